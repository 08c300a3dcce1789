"""Theano 1.0's abstract conv op classes built and applied directly, as Theano code does:
`AbstractConv2d(imshp, kshp, border_mode, subsample, filter_flip, filter_dilation,
num_groups, unshared)(input, filters)` and the two gradient ops applied to
(input or filters, output_grad, spatial shape), with unshared=True routed to the
locally connected convolution; checked against the nested-loop references."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    BaseAbstractConv,
    get_conv_output_shape,
)
from tests.nnet.reference import conv2d_loops, unshared_conv2d_loops

CASES = [dict(border_mode="valid", subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1),
              num_groups=1),
         dict(border_mode="full", subsample=(2, 1), filter_flip=False, filter_dilation=(1, 1),
              num_groups=2),
         dict(border_mode="half", subsample=(1, 2), filter_flip=True, filter_dilation=(2, 1),
              num_groups=1),
         dict(border_mode=(1, 2), subsample=(2, 2), filter_flip=False,
              filter_dilation=(1, 2), num_groups=2)]
ORDER = ("border_mode", "subsample", "filter_flip", "filter_dilation", "num_groups")


def _tensor6(name: str, dtype: str = "float64"):
    return T.TensorType(dtype, (None,) * 6)(name)


def _positional(kwargs: dict, unshared: bool) -> tuple:
    """Theano 1.0's positional order: imshp, kshp, border_mode, subsample, filter_flip,
    filter_dilation, num_groups, unshared."""
    return (None, None, *(kwargs[k] for k in ORDER), unshared)


def _unshared_kshape(img_shape, out_channels, khw, kwargs) -> tuple[int, ...]:
    groups = kwargs["num_groups"]
    out = get_conv_output_shape(img_shape, (out_channels, img_shape[1] // groups, *khw),
                                kwargs["border_mode"], kwargs["subsample"],
                                kwargs["filter_dilation"])
    return (out_channels, out[2], out[3], img_shape[1] // groups, *khw)


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("spelling", ["positional", "keyword"])
def test_unshared_forward_op_built_directly(kwargs, spelling):
    rng = np.random.default_rng(0)
    img = rng.standard_normal((2, 4, 7, 6))
    kern = rng.standard_normal(_unshared_kshape(img.shape, 4, (3, 2), kwargs))
    op = (AbstractConv2d(*_positional(kwargs, True)) if spelling == "positional"
          else AbstractConv2d(unshared=True, **kwargs))
    assert isinstance(op, AbstractConv2d) and isinstance(op, BaseAbstractConv)
    assert op.unshared is True
    x, w = T.tensor4("x"), _tensor6("w")
    got = theano.function([x, w], op(x, w))(img, kern)
    want = unshared_conv2d_loops(img, kern, **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # the same op as conv2d(..., unshared=True) builds
    assert op == T.nnet.conv2d(x, w, unshared=True, **kwargs).owner.op


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_shared_ops_built_directly_with_unshared_false(kwargs):
    rng = np.random.default_rng(1)
    img = rng.standard_normal((2, 4, 7, 6))
    kern = rng.standard_normal((4, 4 // kwargs["num_groups"], 3, 2))
    op = AbstractConv2d(*_positional(kwargs, False))
    assert type(op) is AbstractConv2d and op.unshared is False
    x, w = T.tensor4("x"), T.tensor4("w")
    got = theano.function([x, w], op(x, w))(img, kern)
    np.testing.assert_allclose(got, conv2d_loops(img, kern, **kwargs), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unshared_gradient_ops_built_directly_are_adjoint(kwargs, dtype):
    """<conv(x, w), g> = <x, gradInputs(w, g, x.shape[2:])> = <w, gradWeights(x, g,
    w.shape[-2:])>, with the ops built as Theano's own AbstractConv2d.grad builds them."""
    rng = np.random.default_rng(2)
    img = rng.standard_normal((2, 4, 6, 5)).astype(dtype)
    kern = rng.standard_normal(_unshared_kshape(img.shape, 4, (3, 2), kwargs)).astype(dtype)
    ref = unshared_conv2d_loops(img, kern, **kwargs)
    top = rng.standard_normal(ref.shape).astype(dtype)
    args = _positional(kwargs, True)
    g, x, w = T.tensor4("g", dtype), T.tensor4("x", dtype), _tensor6("w", dtype)
    grad_in = AbstractConv2d_gradInputs(*args)
    grad_w = AbstractConv2d_gradWeights(*args)
    assert isinstance(grad_in, AbstractConv2d_gradInputs) and grad_in.unshared
    assert isinstance(grad_w, AbstractConv2d_gradWeights) and grad_w.unshared
    # the shape as Theano's grad passes it (symbolic), and as ints
    gx = theano.function([w, g, x], grad_in(w, g, x.shape[2:]))(kern, top, img)
    np.testing.assert_array_equal(
        theano.function([w, g], grad_in(w, g, img.shape[2:]))(kern, top), gx)
    gw = theano.function([x, g, w], grad_w(x, g, w.shape[-2:]))(img, top, kern)
    assert gx.shape == img.shape and gw.shape == kern.shape
    assert gx.dtype == dtype and gw.dtype == dtype
    inner = float(np.sum(ref * top))
    tol = 1e-3 if dtype == "float32" else 1e-9
    assert np.sum(img.astype("float64") * gx) == pytest.approx(inner, rel=tol, abs=tol)
    assert np.sum(kern.astype("float64") * gw) == pytest.approx(inner, rel=tol, abs=tol)


@pytest.mark.parametrize("kwargs", CASES[:2], ids=str)
def test_verify_grad_through_the_directly_built_ops(kwargs):
    rng = np.random.default_rng(3)
    img_shape = (2, 2 * kwargs["num_groups"], 5, 4)
    kshape = _unshared_kshape(img_shape, 2 * kwargs["num_groups"], (3, 2), kwargs)
    top_shape = (2, kshape[0], kshape[1], kshape[2])
    args = _positional(kwargs, True)
    verify_grad(lambda x, w: AbstractConv2d(*args)(x, w),
                [rng.random(img_shape), rng.random(kshape)], rng=rng)
    verify_grad(lambda w, g: AbstractConv2d_gradInputs(*args)(w, g, img_shape[2:]),
                [rng.random(kshape), rng.random(top_shape)], rng=rng)
    verify_grad(lambda x, g: AbstractConv2d_gradWeights(*args)(x, g, kshape[-2:]),
                [rng.random(img_shape), rng.random(top_shape)], rng=rng)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(0, 2), groups=st.sampled_from([1, 2]), h=st.integers(3, 6),
       w=st.integers(3, 6), kh=st.integers(1, 3), kw=st.integers(1, 3),
       flip=st.booleans(), border=st.sampled_from(["valid", "full", "half", 1]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2 ** 16))
def test_unshared_op_property(batch, groups, h, w, kh, kw, flip, border, dtype, seed):
    kwargs = dict(border_mode=border, subsample=(1, 1), filter_flip=flip,
                  filter_dilation=(1, 1), num_groups=groups)
    rng = np.random.default_rng(seed)
    img = rng.standard_normal((batch, 2 * groups, h, w)).astype(dtype)
    kern = rng.standard_normal(_unshared_kshape(img.shape, 2 * groups, (kh, kw), kwargs))
    kern = kern.astype(dtype)
    x, f = T.tensor4("x", dtype), _tensor6("f", dtype)
    got = theano.function([x, f], AbstractConv2d(*_positional(kwargs, True))(x, f))(img, kern)
    assert got.dtype == dtype
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, unshared_conv2d_loops(img, kern, **kwargs), rtol=tol,
                               atol=tol)


def test_ops_compare_pickle_and_keep_their_flag():
    shared = AbstractConv2d(border_mode="half")
    unshared = AbstractConv2d(border_mode="half", unshared=True)
    assert shared != unshared and hash(shared) != hash(unshared)
    assert unshared == AbstractConv2d(None, None, "half", (1, 1), True, (1, 1), 1, True)
    for op in (shared, unshared, AbstractConv2d_gradWeights(unshared=True),
               AbstractConv2d_gradInputs(unshared=True)):
        back = pickle.loads(pickle.dumps(op))
        assert back == op and type(back) is type(op) and back.unshared == op.unshared


def test_bad_filter_ranks_and_flags_raise_like_theano():
    x, w4, w6 = T.tensor4("x"), T.tensor4("w4"), _tensor6("w6")
    with pytest.raises(TypeError, match="6-d tensor for unshared"):
        AbstractConv2d(unshared=True)(x, w4)
    with pytest.raises(TypeError, match="4-d tensor.*pass unshared=True"):
        AbstractConv2d()(x, w6)
    with pytest.raises(TypeError, match="6-d tensor for unshared"):
        AbstractConv2d_gradInputs(unshared=True)(w4, x, (5, 5))
    with pytest.raises(TypeError, match="4-d tensor.*pass unshared=True"):
        AbstractConv2d_gradInputs()(w6, x, (5, 5))
    with pytest.raises(TypeError, match="output_grad must be a 4-d"):
        AbstractConv2d_gradWeights(unshared=True)(x, w6, (3, 3))
    with pytest.raises(TypeError, match="unshared must be a bool"):
        AbstractConv2d(unshared="yes")
    with pytest.raises(ValueError, match="tuple of 6 entries"):
        AbstractConv2d(kshp=(1, 2, 3, 3), unshared=True)
    from tensordsl.ops.conv_unshared import AbstractConv2dUnshared

    with pytest.raises(ValueError, match="unshared convolution, got unshared=False"):
        AbstractConv2dUnshared(unshared=False)
    with pytest.raises(TypeError, match="has no unshared variant"):
        BaseAbstractConv(unshared=True)


def test_gradient_ops_take_theanos_add_assert_shape_keyword():
    """Theano's own AbstractConv2d.grad calls the gradient ops with
    add_assert_shape=False; the values are the same either way."""
    rng = np.random.default_rng(4)
    img, kern = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 2, 2))
    top = rng.standard_normal((2, 3, 4, 3))
    x, w, g = T.tensor4("x"), T.tensor4("w"), T.tensor4("g")
    outs = []
    for flag in (True, False):
        gi = AbstractConv2d_gradInputs()(w, g, x.shape[2:], add_assert_shape=flag)
        gw = AbstractConv2d_gradWeights()(x, g, w.shape[2:], add_assert_shape=flag)
        outs.append(theano.function([x, w, g], [gi, gw])(img, kern, top))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    kern6 = rng.standard_normal((3, 4, 3, 2, 2, 2))
    w6 = _tensor6("w6")
    gi6 = AbstractConv2d_gradInputs(unshared=True)(w6, g, (5, 4), add_assert_shape=False)
    assert theano.function([w6, g], gi6)(kern6, top).shape == img.shape
