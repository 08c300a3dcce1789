"""Inner graphs of control-flow ops (ifelse, scan).

A control-flow op runs a subgraph itself (lazily, or once per step). `extract_inner`
cuts that subgraph out of expressions the user built: every variable that `is_outer`
accepts is computed outside and becomes an input of the op (it is "hoisted"); the
nodes between those and the outputs are copied into a FunctionGraph whose inputs are
the explicit `inputs` followed by one fresh variable per hoisted outer variable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tensordsl.graph.basic import Constant, Variable, clone_graph
from tensordsl.graph.fgraph import FunctionGraph


def depends_on(outputs: Sequence[Variable], sources: Sequence[Variable]) -> set[int]:
    """Ids of the variables (ancestors of `outputs`) that depend on any of `sources`."""
    source_ids = {id(s) for s in sources}
    result: set[int] = set()
    done: set[int] = set()
    stack = [(v, False) for v in outputs]
    while stack:
        var, expanded = stack.pop()
        if id(var) in done:
            continue
        if id(var) in source_ids:
            result.add(id(var))
            done.add(id(var))
            continue
        if var.owner is None:
            done.add(id(var))
            continue
        if not expanded:
            stack.append((var, True))
            stack.extend((i, False) for i in var.owner.inputs if id(i) not in done)
            continue
        done.add(id(var))
        if any(id(i) in result for i in var.owner.inputs):
            result.add(id(var))
    return result


def outer_frontier(outputs: Sequence[Variable], is_outer: Callable[[Variable], bool]
                   ) -> list[Variable]:
    """The outer variables the inner subgraph reads, in a deterministic order."""
    frontier: list[Variable] = []
    seen: set[int] = set()
    stack = list(reversed(list(outputs)))
    while stack:
        var = stack.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        if isinstance(var, Constant):
            continue
        if is_outer(var):
            frontier.append(var)
        elif var.owner is not None:
            stack.extend(reversed(var.owner.inputs))
    return frontier


def extract_inner(outputs: Sequence[Variable], inputs: Sequence[Variable],
                  is_outer: Callable[[Variable], bool]
                  ) -> tuple[FunctionGraph, list[Variable]]:
    """(inner graph over `inputs` + hoisted placeholders, the hoisted outer variables)."""
    hoisted = outer_frontier(outputs, is_outer)
    placeholders = [v.type(name=v.name) for v in hoisted]
    memo = clone_graph(list(outputs), replace=dict(zip(hoisted, placeholders)))
    inner_outputs = [memo.get(o, o) for o in outputs]
    fgraph = FunctionGraph(list(inputs) + placeholders, inner_outputs, clone=False)
    return fgraph, hoisted
