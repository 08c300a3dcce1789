"""Gradient rules of the 3-d conv ops: the three are adjoint to each other in each
argument (as the 2-d ones, rules_nnet.py), so each gradient is one of the other two."""

from __future__ import annotations

from tensordsl.gradient.core import register_connection, register_grad
from tensordsl.graph.basic import Apply, Variable
from tensordsl.ops.conv3d import (
    AbstractConv3d,
    AbstractConv3d_gradInputs,
    AbstractConv3d_gradWeights,
)
from tensordsl.tensor import basic as tb

# The size vectors carry no gradient.
register_connection(AbstractConv3d_gradInputs, lambda node: [True, True, False])
register_connection(AbstractConv3d_gradWeights, lambda node: [True, True, False])


def _spatial(x: Variable) -> Variable:
    return tb.shape(x)[2:]


@register_grad(AbstractConv3d)
def _conv(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    img, kern = node.inputs
    params = node.op.params()
    return [AbstractConv3d_gradInputs(**params)(kern, gz, _spatial(img)),
            AbstractConv3d_gradWeights(**params)(img, gz, _spatial(kern))]


@register_grad(AbstractConv3d_gradWeights)
def _grad_weights(node: Apply, out_grads: list) -> list:
    (g_weights,) = out_grads
    img, topgrad, _ = node.inputs
    params = node.op.params()
    return [AbstractConv3d_gradInputs(**params)(g_weights, topgrad, _spatial(img)),
            AbstractConv3d(**params)(img, g_weights), None]


@register_grad(AbstractConv3d_gradInputs)
def _grad_inputs(node: Apply, out_grads: list) -> list:
    (g_inputs,) = out_grads
    kern, topgrad, _ = node.inputs
    params = node.op.params()
    return [AbstractConv3d_gradWeights(**params)(g_inputs, topgrad, _spatial(kern)),
            AbstractConv3d(**params)(g_inputs, kern), None]
