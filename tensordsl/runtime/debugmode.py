"""DEBUG_MODE: run the rewritten graph and the un-rewritten reference side by side.

`prepare(fgraph)` keeps a clone of the graph before rewriting; the rewrite engine
records every replacement (rewrite name, old variable, new variable) in
`fgraph.rewrite_history`. `make_thunk(fgraph, inner)` returns a thunk that runs the
rewritten graph with the inner backend and the reference with the numpy VM, compares
every output, and on a mismatch replays the history on the call's inputs to name the
first replacement whose old and new values differ: a `DebugModeError` naming the
rewrite, the node before and the node after.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Constant, Variable, toposort
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import Schedule, reference_schedule


class DebugModeError(AssertionError):
    """Rewritten and reference graphs computed different values."""


def prepare(fgraph: FunctionGraph) -> None:
    """Remember the un-rewritten graph (call before rewriting)."""
    fgraph.debug_reference = fgraph.clone()[0]  # type: ignore[attr-defined]


def tolerance(dtype: str) -> tuple[float, float]:
    """(rtol, atol) used to compare values of `dtype`."""
    if dtype in ("float16",):
        return 1e-2, 1e-3
    if dtype in ("float32", "complex64"):
        return 1e-4, 1e-5
    return 1e-7, 1e-10


def values_equal(a: Any, b: Any) -> bool:
    """Same shape and dtype, and equal values within the dtype's tolerance (NaN == NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        rtol, atol = tolerance(a.dtype.name)
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.array_equal(a, b))


def evaluate(var: Variable, env: dict[Variable, Any]) -> Any:
    """The value of `var` from the values in `env` (extended with what it computes)."""
    if var in env:
        return env[var]
    if isinstance(var, Constant):
        return var.data
    for node in toposort([var], blockers=list(env)):
        args = [env[v] if not isinstance(v, Constant) else v.data for v in node.inputs]
        if node.op.destroy_map:
            args = [np.array(a, copy=True) for a in args]
        for out, value in zip(node.outputs, node.op.perform(node, args)):
            env[out] = value
    return env[var]


def first_difference(fgraph: FunctionGraph, values: list[Any]) -> str | None:
    """Replay the rewrite history on `values`; describe the first wrong replacement."""
    env: dict[Variable, Any] = {v: np.array(x, copy=True) for v, x in zip(fgraph.inputs, values)}
    history = getattr(fgraph, "rewrite_history", None)
    for reason, old, new in (history.records if history else []):
        before, after = evaluate(old, env), evaluate(new, env)
        if not values_equal(before, after):
            return (f"rewrite {reason!r} changed a value: {old.owner.op if old.owner else old} "
                    f"gave {_brief(before)} but its replacement "
                    f"{new.owner.op if new.owner else new} gives {_brief(after)}")
    return None


def _brief(value: Any) -> str:
    a = np.asarray(value)
    return f"{a.dtype}{list(a.shape)} {np.array2string(a.ravel()[:6], precision=6)}"


def make_thunk(fgraph: FunctionGraph, inner: Any) -> Schedule:
    """A Schedule checking the rewritten graph (run by the backend `inner`) against the
    reference."""
    reference = getattr(fgraph, "debug_reference", None)
    if reference is None:
        raise ValueError("DEBUG_MODE: the graph was rewritten without debugmode.prepare()")
    run = inner.make_thunk(fgraph)
    run_reference = reference_schedule(reference)

    def thunk(values: list[Any]) -> list[Any]:
        expected = run_reference([np.array(v, copy=True) for v in values])
        copies = [np.array(v, copy=True) for v in values]
        results = run(values)
        for i, (got, want) in enumerate(zip(results, expected)):
            if not values_equal(got, want):
                where = first_difference(fgraph, copies)
                raise DebugModeError(
                    f"DEBUG_MODE: output {i} ({fgraph.outputs[i]!r}) is {_brief(got)} after "
                    f"rewriting but {_brief(want)} in the reference graph; "
                    + (where or "no single rewrite changed a value (a backend bug?)"))
        return results

    return Schedule(thunk, run.steps, run.input_slots, run.output_slots, backend=run.backend)
