"""Gradient rules of convolution and pooling (Theano's L_op of the same ops).

The three conv ops are adjoint to each other in each argument, so every gradient is one
of the other two with the same parameters; pooling's gradients are MaxPoolGrad /
AveragePoolGrad, whose own gradients close the loop for second derivatives.
"""

from __future__ import annotations

from tensordsl.gradient.core import register_connection, register_grad
from tensordsl.graph.basic import Apply, Variable
from tensordsl.ops.conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
)
from tensordsl.ops.neighbours import Images2Neibs, Images2NeibsGrad
from tensordsl.ops.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
)
from tensordsl.tensor import basic as tb
from tensordsl.tensor import math as tm


def _spatial_shape(x: Variable) -> Variable:
    """The last two sizes of a 4-d variable, as an int64 vector (constants when static)."""
    return tb.shape(x)[2:]


# The size vectors and pooling parameters carry no gradient.
register_connection(AbstractConv2d_gradInputs, lambda node: [True, True, False])
register_connection(AbstractConv2d_gradWeights, lambda node: [True, True, False])
register_connection(Pool, lambda node: [True, False, False, False])
register_connection(MaxPoolGrad, lambda node: [True, True, True, False, False, False])
register_connection(AveragePoolGrad, lambda node: [True, True, False, False, False])
register_connection(DownsampleFactorMaxGradGrad,
                    lambda node: [True, True, True, False, False, False])
register_connection(Images2Neibs, lambda node: [True, False, False])
register_connection(Images2NeibsGrad, lambda node: [True, False, False, False])


# images2neibs and its scatter-add are linear and adjoint: each one's gradient is the
# other (Theano 1.0 has them only for valid / ignore_borders; the adjoint holds in every
# mode)
@register_grad(Images2Neibs)
def _images2neibs(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x, shape, step = node.inputs
    return [Images2NeibsGrad(node.op.mode)(gz, shape, step, tb.shape(x)), None, None]


@register_grad(Images2NeibsGrad)
def _images2neibs_grad(node: Apply, out_grads: list) -> list:
    (gx,) = out_grads
    _, shape, step, _ = node.inputs
    return [Images2Neibs(node.op.mode)(gx, shape, step), None, None, None]


@register_grad(AbstractConv2d)
def _conv2d(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    img, kern = node.inputs
    params = node.op.params()
    g_img = AbstractConv2d_gradInputs(**params)(kern, gz, _spatial_shape(img))
    g_kern = AbstractConv2d_gradWeights(**params)(img, gz, _spatial_shape(kern))
    return [g_img, g_kern]


@register_grad(AbstractConv2d_gradWeights)
def _conv2d_grad_weights(node: Apply, out_grads: list) -> list:
    (g_weights,) = out_grads
    img, topgrad, _ = node.inputs
    params = node.op.params()
    g_img = AbstractConv2d_gradInputs(**params)(g_weights, topgrad, _spatial_shape(img))
    g_top = AbstractConv2d(**params)(img, g_weights)
    return [g_img, g_top, None]


@register_grad(AbstractConv2d_gradInputs)
def _conv2d_grad_inputs(node: Apply, out_grads: list) -> list:
    (g_inputs,) = out_grads
    kern, topgrad, _ = node.inputs
    params = node.op.params()
    g_kern = AbstractConv2d_gradWeights(**params)(g_inputs, topgrad, _spatial_shape(kern))
    g_top = AbstractConv2d(**params)(g_inputs, kern)
    return [g_kern, g_top, None]


def _pool_params(node: Apply, first: int) -> list[Variable]:
    return node.inputs[first:first + 3]


@register_grad(Pool)
def _pool(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x = node.inputs[0]
    op = node.op
    params = _pool_params(node, 1)
    if op.mode == "max":
        gx = MaxPoolGrad(op.ignore_border, op.ndim)(x, node.outputs[0], gz, *params)
    else:
        gx = AveragePoolGrad(op.ignore_border, op.mode, op.ndim)(x, gz, *params)
    return [gx, None, None, None]


@register_grad(MaxPoolGrad)
def _max_pool_grad(node: Apply, out_grads: list) -> list:
    (ggx,) = out_grads
    x, maxout, _ = node.inputs[:3]
    op = node.op
    gg = DownsampleFactorMaxGradGrad(op.ignore_border, "max", op.ndim)(
        x, maxout, ggx, *_pool_params(node, 3))
    # piecewise constant in x and maxout (the routing changes only at ties), as in Theano
    return [tm.zeros_like(x), tm.zeros_like(maxout), gg, None, None, None]


@register_grad(AveragePoolGrad)
def _average_pool_grad(node: Apply, out_grads: list) -> list:
    (ggx,) = out_grads
    x = node.inputs[0]
    op = node.op
    # linear in gz: its adjoint is the pooling itself
    gg = Pool(op.ignore_border, op.mode, op.ndim)(ggx, *_pool_params(node, 2))
    return [tm.zeros_like(x), gg, None, None, None]


@register_grad(DownsampleFactorMaxGradGrad)
def _max_pool_grad_grad(node: Apply, out_grads: list) -> list:
    (gout,) = out_grads
    x, maxout, _ = node.inputs[:3]
    op = node.op
    g = MaxPoolGrad(op.ignore_border, op.ndim)(x, maxout, gout, *_pool_params(node, 3))
    return [tm.zeros_like(x), tm.zeros_like(maxout), g, None, None, None]
