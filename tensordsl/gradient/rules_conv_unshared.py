"""Gradient rules of the unshared (locally connected) conv ops: the three are adjoint to
each other in each argument, as the shared ones (rules_nnet), so each gradient is one of
the other two with the same parameters."""

from __future__ import annotations

from tensordsl.gradient.core import register_connection, register_grad
from tensordsl.graph.basic import Apply, Variable
from tensordsl.ops.conv_unshared import (
    AbstractConv2dUnshared,
    AbstractConv2dUnshared_gradInputs,
    AbstractConv2dUnshared_gradWeights,
)
from tensordsl.tensor import basic as tb

# The size vectors carry no gradient.
register_connection(AbstractConv2dUnshared_gradInputs, lambda node: [True, True, False])
register_connection(AbstractConv2dUnshared_gradWeights, lambda node: [True, True, False])


def _last_two(x: Variable) -> Variable:
    """The last two sizes of a variable (spatial sizes, or filter taps of 6-d filters)."""
    return tb.shape(x)[-2:]


@register_grad(AbstractConv2dUnshared)
def _conv(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    img, kern = node.inputs
    params = node.op.params()
    g_img = AbstractConv2dUnshared_gradInputs(**params)(kern, gz, _last_two(img))
    g_kern = AbstractConv2dUnshared_gradWeights(**params)(img, gz, _last_two(kern))
    return [g_img, g_kern]


@register_grad(AbstractConv2dUnshared_gradWeights)
def _grad_weights(node: Apply, out_grads: list) -> list:
    (g_weights,) = out_grads
    img, topgrad, _ = node.inputs
    params = node.op.params()
    g_img = AbstractConv2dUnshared_gradInputs(**params)(g_weights, topgrad, _last_two(img))
    g_top = AbstractConv2dUnshared(**params)(img, g_weights)
    return [g_img, g_top, None]


@register_grad(AbstractConv2dUnshared_gradInputs)
def _grad_inputs(node: Apply, out_grads: list) -> list:
    (g_inputs,) = out_grads
    kern, topgrad, _ = node.inputs
    params = node.op.params()
    g_kern = AbstractConv2dUnshared_gradWeights(**params)(g_inputs, topgrad, _last_two(kern))
    g_top = AbstractConv2dUnshared(**params)(g_inputs, kern)
    return [g_kern, g_top, None]
