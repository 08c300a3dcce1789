"""Schedules: a FunctionGraph's nodes in order, each a `Step` over numbered storage slots.

Every backend's `make_thunk` returns a `Schedule`. A step reads its input slots, calls
`step.call(values)` and writes the results to its output slots; `interpret` is the loop
that runs steps (the numpy reference backend is this loop over `perform` steps). The
records say what they hold, so tools (`.source()`, `tensordsl dump`, tests) read
schedules through fields rather than through attributes bolted onto functions.

This module is graph-level on purpose: ops with inner graphs (scan, ifelse, RowBlock's
reference) run their subgraphs through `reference_schedule` without importing a backend.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tensordsl.config import config
from tensordsl.graph.basic import Apply, Constant
from tensordsl.graph.fgraph import FunctionGraph

Call = Callable[[list[Any]], list[Any]]

_CONTEXT_ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, FloatingPointError)


@dataclass(frozen=True)
class InnerCompiler:
    """How a backend compiles the inner graphs of scan and ifelse nodes: `rewrite` makes
    a rewritten copy with the outer function's mode (never in place: the op keeps its
    own graph for gradients), `build` compiles a rewritten graph with the same backend.
    Calling it does both. A backend rule that compiles a whole loop itself (the C
    backend's scan) uses `rewrite` alone."""

    rewrite: Callable[[FunctionGraph], FunctionGraph]
    build: Callable[[FunctionGraph], Any]

    def __call__(self, graph: FunctionGraph) -> Any:
        return self.build(self.rewrite(graph))


@dataclass(frozen=True)
class Step:
    """One node of a schedule: `call(values of inputs slots) -> values of outputs slots`.

    `compiled` is False for a host step running the node's numpy `perform`; `kernel` is
    the kernel IR a compiled step runs (None otherwise); `runner` is the backend's own
    object behind `call` (a KernelRunner, a RowBlock runner...)."""

    node: Apply
    call: Call
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    compiled: bool
    kernel: Any = None
    runner: Any = None


@dataclass(frozen=True)
class Resident:
    """How a device backend keeps values on its device across calls (shared variables,
    `return_device_arrays`): `run` is like `Schedule.run` but leaves outputs computed on
    the device there; `upload`/`download` move one array; `holds(value)` says whether
    `value` is an array on this schedule's device."""

    run: Call
    upload: Callable[[Any], Any]
    download: Callable[[Any], Any]
    holds: Callable[[Any], bool]


@dataclass
class Schedule:
    """A runnable graph: `schedule(values)` -> outputs, values in `fgraph.inputs` order.

    `fresh_outputs[i]` is True when output i is always a new array nobody else holds
    (the caller may skip defensive copies); `fast_call`, when set, makes a specialised
    `__call__` for a Function (the C backend's trampoline for 0-d kernels); `resident`
    is set by device backends (values kept on the device between calls)."""

    run: Call
    steps: tuple[Step, ...]
    input_slots: tuple[int, ...] = ()
    output_slots: tuple[int, ...] = ()
    fresh_outputs: tuple[bool, ...] = ()
    fast_call: Callable[..., Any] | None = None
    backend: str = "numpy"
    notes: dict[str, Any] = field(default_factory=dict)
    resident: Resident | None = None

    def __call__(self, values: list[Any]) -> list[Any]:
        return self.run(values)

    @property
    def host_steps(self) -> tuple[Step, ...]:
        """Steps running numpy `perform` (nodes the backend did not lower)."""
        return tuple(s for s in self.steps if not s.compiled)


class Storage:
    """Slot numbers for a graph's variables; constants' slots are pre-filled."""

    def __init__(self) -> None:
        self.slots: dict[Any, int] = {}
        self.template: list[Any] = []

    def slot(self, var: Any) -> int:
        """The slot of `var` (allocated on first use)."""
        if var not in self.slots:
            self.slots[var] = len(self.template)
            self.template.append(var.data if isinstance(var, Constant) else None)
        return self.slots[var]

    def slots_of(self, variables: Any) -> tuple[int, ...]:
        """The slots of several variables."""
        return tuple(self.slot(v) for v in variables)


def node_context(node: Apply, values: list[Any]) -> str:
    """A description of a node and its input values for error messages."""
    parts = []
    for var, value in zip(node.inputs, values):
        shape = getattr(value, "shape", "?")
        dtype = getattr(value, "dtype", type(value).__name__)
        parts.append(f"{var}: shape {shape}, {dtype}")
    return f"while computing {node.op} of ({'; '.join(parts)})"


def with_context(message: str, node: Apply, values: list[Any]) -> str:
    """`message` plus the node and its input shapes, unless the message already gives them;
    with `config.exception_verbosity='high'` also a debugprint of the node (Theano's)."""
    shapes = [str(getattr(v, "shape", "?")) for v in values]
    if not all(s in message for s in shapes):
        message = f"{message}\n  ({node_context(node, values)})"
    if config.exception_verbosity == "high":
        from tensordsl.printing.debug import debugprint

        tree = debugprint(node.outputs, file="str", print_type=True)
        message = f"{message}\nDebugprint of the apply node:\n{tree}"
    return message


def rebuilt_error(err: Exception, message: str) -> Exception:
    """An error of err's type with `message`, or of its builtin base when err's type
    cannot be built from a message alone (e.g. UnicodeDecodeError)."""
    try:
        return type(err)(message)
    except Exception:  # any constructor failure: fall back to the builtin base type
        base = next(t for t in _CONTEXT_ERRORS if isinstance(err, t))
        return base(message)


def interpret(template: list[Any], input_slots: tuple[int, ...], steps: tuple[Step, ...],
              output_slots: tuple[int, ...]) -> Call:
    """A callable running `steps` in order over a fresh copy of `template`. Errors from
    a step get the node and its input shapes appended."""
    plan = [(s.call, s.node, s.inputs, s.outputs) for s in steps]  # tuples: a faster loop

    def run(values: list[Any]) -> list[Any]:
        storage = list(template)
        for s, value in zip(input_slots, values):
            storage[s] = value
        for call, node, ins, outs in plan:
            args = [storage[i] for i in ins]
            try:
                results = call(args)
            except _CONTEXT_ERRORS as err:
                raise rebuilt_error(err, with_context(str(err), node, args)) from None
            for o, r in zip(outs, results):
                storage[o] = r
        return [storage[i] for i in output_slots]

    return run


def perform_step(node: Apply, inputs: tuple[int, ...], outputs: tuple[int, ...],
                 compile_inner: InnerCompiler | None = None) -> Step:
    """A host step running the node's numpy `perform` (an op with inner graphs runs them
    through `compile_inner` when given, else through the reference schedule)."""
    op = node.op
    if compile_inner is not None and isinstance(op, InnerGraphOp):
        call: Call = functools.partial(op.perform_with, node,
                                       [compile_inner(g) for g in op.inner_graphs()])
    else:
        call = functools.partial(op.perform, node)
    return Step(node, call, inputs, outputs, compiled=False)


def reference_schedule(fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None
                       ) -> Schedule:
    """The reference schedule: every node through its numpy `perform`."""
    storage = Storage()
    input_slots = storage.slots_of(fgraph.inputs)
    steps = tuple(perform_step(node, storage.slots_of(node.inputs),
                               storage.slots_of(node.outputs), compile_inner)
                  for node in fgraph.toposort())
    output_slots = storage.slots_of(fgraph.outputs)
    return Schedule(interpret(storage.template, input_slots, steps, output_slots), steps,
                    input_slots, output_slots)


class InnerGraphOp:
    """Mixin of ops that run subgraphs themselves (scan, ifelse).

    `inner_graphs()` lists them; `perform_with(node, inputs, thunks)` runs the op with
    one callable per inner graph, so a backend can supply compiled ones; `perform` uses
    reference schedules of the inner graphs, made once."""

    def inner_graphs(self) -> list[FunctionGraph]:
        """The op's inner graphs, in the order `perform_with` takes their thunks."""
        raise NotImplementedError

    def perform_with(self, node: Apply, thunks: list[Call], inputs: list[Any]) -> list[Any]:
        """Run the op on `inputs` with `thunks[i]` computing `inner_graphs()[i]`."""
        raise NotImplementedError

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        thunks = self.__dict__.get("_reference_thunks")
        if thunks is None:
            thunks = [reference_schedule(g) for g in self.inner_graphs()]
            self.__dict__["_reference_thunks"] = thunks
        return self.perform_with(node, thunks, inputs)
