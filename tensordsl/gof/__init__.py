"""Theano 1.0's module path theano.gof (the graph objects), for programs that define
ops with `from theano.gof import Op, Apply`. The objects are tensordsl.graph's."""

from tensordsl.gof import graph
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.type import TensorType

__all__ = ["Apply", "Constant", "FunctionGraph", "Op", "TensorType", "Variable", "graph"]
