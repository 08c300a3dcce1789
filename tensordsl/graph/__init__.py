"""Graph IR: types, variables, apply nodes, ops and function graphs."""

from tensordsl.graph.basic import (
    Apply,
    Constant,
    Op,
    Variable,
    ancestors,
    clone_graph,
    graph_inputs,
    toposort,
)
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.type import TensorType

__all__ = ["Apply", "Constant", "FunctionGraph", "Op", "TensorType", "Variable", "ancestors",
           "clone_graph", "graph_inputs", "toposort"]
