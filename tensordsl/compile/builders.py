"""Theano 1.0's OpFromGraph (theano.OpFromGraph, theano.compile.builders): a graph
packaged as an op that can be applied to other inputs.

    x, y = T.dscalars("x", "y")
    op = OpFromGraph([x, y], [x + y * 2])
    z = op(a, b)  # a + b * 2

The inner graph is compiled once (on first use) and run by `perform`; shared variables
the outputs read are extra inputs of every node (so their values are current). The
gradient is the inner graph's, rebuilt over the node's inputs (`grad_overrides` a
callable `(inputs, output_grads) -> input grads` replaces it). `inline=True` returns the
graph itself with the new inputs substituted, instead of an op. Ops compare by
identity: two OpFromGraph built from equal graphs are different ops, as in Theano.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op, Variable, clone_graph
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.op_compat import accepts
from tensordsl.innergraph import depends_on, extract_inner

__all__ = ["OpFromGraph"]


class OpFromGraph(Op):
    """The op computing `outputs` from `inputs` (module docstring)."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable] | Variable,
                 inline: bool = False, grad_overrides: Any = "default",
                 rop_overrides: Any = "default", connection_pattern: Any = None,
                 name: str | None = None) -> None:
        outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
        if not isinstance(inputs, (list, tuple)) or not all(
                isinstance(v, Variable) for v in inputs):
            raise TypeError(f"OpFromGraph: inputs must be a list of symbolic variables, got "
                            f"{inputs!r}")
        for v in inputs:
            if v.owner is not None or getattr(v, "is_shared", False) or hasattr(v, "data"):
                raise ValueError(f"OpFromGraph: the input {v} must be a fresh variable (not "
                                 f"computed, shared or constant)")
        if not outputs or not all(isinstance(o, Variable) for o in outputs):
            raise TypeError(f"OpFromGraph: outputs must be symbolic variables, got {outputs!r}")
        if not (grad_overrides == "default" or callable(grad_overrides)):
            raise NotImplementedError("OpFromGraph: grad_overrides must be 'default' or a "
                                      "callable (inputs, output_grads) -> gradients")
        if rop_overrides != "default":
            raise NotImplementedError("OpFromGraph: rop_overrides other than 'default' are "
                                      "not supported (R-ops are built from the gradient)")
        self.inputs = list(inputs)
        self.outputs = outputs
        self.inline = bool(inline)
        self.grad_overrides = grad_overrides
        self._connection = connection_pattern
        self.name = name
        explicit = {id(v) for v in self.inputs}
        # anything ownerless the outputs read besides the inputs (shared variables, free
        # inputs) becomes an extra input of every node
        self.fgraph, self.hoisted = extract_inner(
            outputs, self.inputs,
            lambda v: v.owner is None and id(v) not in explicit and not hasattr(v, "data"))
        for v in self.hoisted:
            if not getattr(v, "is_shared", False):
                raise ValueError(f"OpFromGraph: the outputs depend on {v}, which is not one of "
                                 f"the inputs")
        self._fn: Any = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_fn"] = None  # the compiled inner function is rebuilt on first use
        return state

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"OpFromGraph{{{self.name or id(self)}}}"

    __repr__ = __str__

    def __call__(self, *inputs: Any) -> Any:
        if not self.inline:
            return super().__call__(*inputs)
        node = self.make_node(*inputs)  # checks the arguments
        memo = clone_graph(self.outputs, replace=dict(zip(self.inputs, node.inputs)))
        outs = [memo.get(o, o) for o in self.outputs]
        return outs[0] if len(outs) == 1 else outs

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != len(self.inputs):
            raise TypeError(f"{self}: expected {len(self.inputs)} inputs, got {len(inputs)}")
        variables = [as_tensor_variable(x) for x in inputs]
        for i, (x, want) in enumerate(zip(variables, self.inputs)):
            if not accepts(want.type, x.type):
                raise TypeError(f"{self}: input {i} ({x}) has type {x.type}, expected "
                                f"{want.type}")
        return Apply(self, variables + list(self.hoisted), [o.type() for o in self.outputs])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if self._fn is None:
            from tensordsl.runtime.function import function

            # the inner graph over plain placeholders (hoisted shared values are inputs)
            self._fn = function(list(self.fgraph.inputs), list(self.fgraph.outputs),
                                mode="FAST_COMPILE", on_unused_input="ignore")
        outs = self._fn(*inputs)
        outs = outs if isinstance(outs, list) else [outs]
        return [np.asarray(o, dtype=v.dtype) for o, v in zip(outs, node.outputs)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """Per input, per output: whether the output depends on it (or the pattern
        given to the constructor)."""
        if self._connection is not None:
            return [list(map(bool, row)) for row in self._connection]
        inner_inputs = list(self.fgraph.inputs)
        return [[id(o) in depends_on([o], [i]) for o in self.fgraph.outputs]
                for i in inner_inputs]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        raise NotImplementedError(f"{self}: shapes come from running the inner graph")

    def grad_rule(self, node: Apply, out_grads: list) -> list:
        """The gradients of the node's inputs (explicit, then hoisted shared values)."""
        from tensordsl.gradient.core import NotImplementedGrad, grad
        from tensordsl.tensor import math as tm

        n = len(self.inputs)
        grads = [g if g is not None else tm.zeros_like(o)
                 for g, o in zip(out_grads, node.outputs)]
        if callable(self.grad_overrides):
            custom = list(self.grad_overrides(list(node.inputs[:n]), grads))
            if len(custom) != n:
                raise ValueError(f"{self}: grad_overrides returned {len(custom)} gradients "
                                 f"for {n} inputs")
            return custom + [NotImplementedGrad(
                f"{self}: grad_overrides gives no gradient to the shared variable {v}")
                for v in self.hoisted]
        memo = clone_graph(list(self.fgraph.outputs),
                           replace=dict(zip(self.fgraph.inputs, node.inputs)))
        outs = [memo.get(o, o) for o in self.fgraph.outputs]
        known = {o: g for o, g in zip(outs, grads)}
        return list(grad(None, list(node.inputs), known_grads=known,
                         disconnected_inputs="ignore", return_disconnected="None"))


def _rule(node: Apply, out_grads: list) -> list:
    return node.op.grad_rule(node, out_grads)


def _register() -> None:
    from tensordsl.gradient.core import register_grad

    register_grad(OpFromGraph)(_rule)


_register()
