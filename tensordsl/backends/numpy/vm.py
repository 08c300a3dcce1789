"""A small virtual machine that runs a FunctionGraph node by node with numpy `perform`."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant
from tensordsl.graph.fgraph import FunctionGraph

_CONTEXT_ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, FloatingPointError)


def node_context(node: Apply, values: list[Any]) -> str:
    """A description of a node and its input values for error messages."""
    parts = []
    for var, value in zip(node.inputs, values):
        shape = getattr(value, "shape", "?")
        dtype = getattr(value, "dtype", type(value).__name__)
        parts.append(f"{var!r}: shape {shape}, {dtype}")
    return f"while computing {node.op} of ({'; '.join(parts)})"


def with_context(message: str, node: Apply, values: list[Any]) -> str:
    """`message` plus the node and its input shapes, unless the message already gives them."""
    shapes = [str(getattr(v, "shape", "?")) for v in values]
    if all(s in message for s in shapes):
        return message
    return f"{message}\n  ({node_context(node, values)})"


def _rebuilt(err: Exception, message: str) -> Exception:
    """An error of err's type with `message`, or of its builtin base when err's type
    cannot be built from a message alone (e.g. UnicodeDecodeError)."""
    try:
        return type(err)(message)
    except Exception:  # any constructor failure: fall back to the builtin base type
        base = next(t for t in _CONTEXT_ERRORS if isinstance(err, t))
        return base(message)


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


def interpret(template: list[Any], input_slots: list[int], steps: list[tuple],
              output_slots: list[int]) -> Any:
    """A thunk running `steps`, each (fn, node, input slots, output slots, compiled):
    a compiled step is called as fn(args), a reference one as fn(node, args). Errors
    from a step get the node and its input shapes appended."""
    def run(values: list[Any]) -> list[Any]:
        storage = list(template)
        for s, value in zip(input_slots, values):
            storage[s] = value
        for fn, node, ins, outs, compiled in steps:
            args = [storage[i] for i in ins]
            try:
                results = fn(args) if compiled else fn(node, args)
            except _CONTEXT_ERRORS as err:
                raise _rebuilt(err, with_context(str(err), node, args)) from None
            for o, r in zip(outs, results):
                storage[o] = r
        return [storage[i] for i in output_slots]

    run.steps = steps  # type: ignore[attr-defined]
    return run


def make_thunk(fgraph: FunctionGraph) -> Any:
    """A callable running `fgraph` with numpy: list of input arrays -> list of outputs."""
    storage = Storage()
    input_slots = [storage.slot(v) for v in fgraph.inputs]
    steps = [(node.op.perform, node, [storage.slot(v) for v in node.inputs],
              [storage.slot(v) for v in node.outputs], False) for node in fgraph.toposort()]
    output_slots = [storage.slot(v) for v in fgraph.outputs]
    return interpret(storage.template, input_slots, steps, output_slots)


def evaluate(fgraph: FunctionGraph, values: list[np.ndarray]) -> list[np.ndarray]:
    """Run `fgraph` once on `values` (convenience for tests and constant folding)."""
    return make_thunk(fgraph)(values)
