"""Theano 1.0's module path theano.gof.graph: the graph classes and traversals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tensordsl.graph.basic import Apply, Constant, Variable, ancestors, graph_inputs, toposort

__all__ = ["Apply", "Constant", "Variable", "ancestors", "inputs", "io_toposort"]


def inputs(variable_list: Iterable[Variable], blockers: Iterable[Variable] = ()
           ) -> list[Variable]:
    """The variables without an owner that `variable_list` depends on (Theano's
    gof.graph.inputs), in the order a depth-first walk meets them."""
    return graph_inputs(list(variable_list), blockers)


def io_toposort(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> list[Apply]:
    """The Apply nodes between `inputs` and `outputs`, each after the nodes it depends on
    (Theano's gof.graph.io_toposort)."""
    return toposort(list(outputs), blockers=list(inputs))
