"""A Case is one measured line of a workload's table (e.g. black_scholes float64).

A case owns its inputs and one factory per column: `factory(inputs) -> run`, where
`run()` computes the workload once and returns what is checked against numpy. A factory
raises NotApplicable when the library cannot express the workload and env.NotInstalled
when the library is missing; both become cells with the reason, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PEERS = ("numpy", "numexpr", "numba", "pytensor", "jax", "torch")
# hand-written compute limits shown as columns but never counted as a peer
# the training-loop workloads' GEMM floor: their unavoidable matrix products alone through
# numpy's BLAS; it computes something else, so its result is not checked against numpy's
FLOOR_COLUMN = "GEMM floor (numpy BLAS)"
# the same products with numpy's BLAS held at one thread: on a loaded or contended host the
# default thread count makes the products alone slower than whole steps of other libraries
FLOOR_1T_COLUMN = "GEMM floor, 1 thread"
FLOOR_COLUMNS = (FLOOR_COLUMN, FLOOR_1T_COLUMN)
LIMIT_COLUMNS = ("C vector-math loop (limit)", *FLOOR_COLUMNS)
# tensordsl variants a workload may add beside the regular columns (shown after them)
FIXED_THREADS_COLUMN = "tensordsl FAST_RUN, fixed threads"
EXTRA_COLUMNS = (FIXED_THREADS_COLUMN,)

Run = Callable[[], Any]
Factory = Callable[[dict[str, Any]], Run]


class NotApplicable(Exception):
    """The library has no way to express this workload (the cell shows n/a and why)."""


@dataclass
class Case:
    """One workload variant with its inputs, implementations and physical limit."""

    workload: str
    label: str
    make_inputs: Callable[[], dict[str, Any]]
    impls: dict[str, Factory]
    rtol: float = 1e-7
    atol: float = 1e-9
    work: float = 0.0  # bytes per call (limit 'triad') or flops per call (limit 'blas_*')
    limit: str | None = None  # 'triad', 'blas_float64', 'blas_float32' or None
    notes: list[str] = field(default_factory=list)


def noted(run: Run, note: str) -> Run:
    """Attach a note (shown under the table) to a run callable."""
    run.bench_note = note  # type: ignore[attr-defined]
    return run


def stepper(step: Callable[..., tuple], data: tuple, state: tuple) -> Run:
    """A run that applies a pure training `step(*data, *state) -> (out, *new_state)`.

    Each call advances its own copy of the state, as a shared variable would; it returns
    the step's outputs and the new state, which is what the first call is checked on.
    """
    current = [s.copy() for s in state]

    def run() -> tuple:
        result = step(*data, *current)
        current[:] = result[-len(current):]
        return result

    return run
