"""conv2d(..., unshared=True) (Theano 1.0's locally connected conv) against Theano's own
reference steps spelled out with loops, and its gradients by finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet import abstract_conv
from tests.nnet.reference import unshared_conv2d_loops

MODES = ("FAST_COMPILE", "FAST_RUN")
BORDER_MODES = ("valid", "full", "half", 0, 2, (1, 2), ((0, 2), (1, 0)))
TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-10, atol=1e-10)}


def _tensor6(name: str, dtype: str = "float64"):
    return T.TensorType(dtype, (None,) * 6)(name)


def _filter_shape(img_shape, out_channels, khw, **kwargs) -> tuple[int, ...]:
    """The 6-d unshared filter shape whose output grid fits these images and parameters."""
    groups = kwargs.get("num_groups", 1)
    out = abstract_conv.get_conv_output_shape(
        img_shape, (out_channels, img_shape[1] // groups, *khw),
        kwargs.get("border_mode", "valid"), kwargs.get("subsample", (1, 1)),
        kwargs.get("filter_dilation", (1, 1)))
    return (out_channels, out[2], out[3], img_shape[1] // groups, *khw)


def _unshared_fn(mode: str = "FAST_RUN", dtype: str = "float64", **kwargs):
    x, w = T.tensor4("x", dtype=dtype), _tensor6("w", dtype)
    return theano.function([x, w], T.nnet.conv2d(x, w, unshared=True, **kwargs), mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("border_mode", BORDER_MODES, ids=str)
@pytest.mark.parametrize("filter_flip", [True, False])
def test_unshared_matches_theano_reference_for_every_parameter(mode, border_mode, filter_flip):
    rng = np.random.default_rng(1)
    for subsample, dilation, groups in itertools.product([(1, 1), (2, 3)], [(1, 1), (2, 1)],
                                                         [1, 2]):
        kwargs = dict(border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                      filter_dilation=dilation, num_groups=groups)
        img = rng.standard_normal((2, 4, 7, 6))
        kern = rng.standard_normal(_filter_shape(img.shape, 6, (3, 2), **kwargs))
        got = _unshared_fn(mode, **kwargs)(img, kern)
        want = unshared_conv2d_loops(img, kern, **kwargs)
        assert got.shape == want.shape, kwargs
        np.testing.assert_allclose(got, want, **TOL["float64"], err_msg=str(kwargs))


def test_unshared_with_identical_filters_is_the_shared_convolution():
    """Every position holding the same filter gives conv2d's result (flip included)."""
    rng = np.random.default_rng(2)
    img, shared = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    for flip in (True, False):
        kwargs = dict(border_mode="half", subsample=(2, 1), filter_flip=flip)
        oh, ow = _filter_shape(img.shape, 4, (3, 2), **kwargs)[1:3]
        kern = np.broadcast_to(shared[:, None, None], (4, oh, ow, 3, 3, 2))
        x, w4 = T.tensor4("x"), T.tensor4("w4")
        want = theano.function([x, w4], T.nnet.conv2d(x, w4, **kwargs))(img, shared)
        np.testing.assert_allclose(_unshared_fn(**kwargs)(img, kern), want, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       border_mode=st.sampled_from(BORDER_MODES), flip=st.booleans(),
       groups=st.sampled_from([1, 2]), layout=st.sampled_from(["contiguous", "strided"]))
def test_unshared_property(data, dtype, border_mode, flip, groups, layout):
    draw = data.draw
    n, cg, og = draw(st.integers(0, 2)), draw(st.integers(0, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    khw = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kwargs = dict(border_mode=border_mode, subsample=(draw(st.integers(1, 3)),
                                                      draw(st.integers(1, 3))),
                  filter_flip=flip, filter_dilation=(draw(st.integers(1, 2)),
                                                     draw(st.integers(1, 2))),
                  num_groups=groups)
    img_shape = (n, cg * groups, h, w)
    kshape = _filter_shape(img_shape, og * groups, khw, **kwargs)
    assume(min(kshape[1:3]) >= 1)  # else no window fits: an error
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    img = rng.standard_normal(img_shape).astype(dtype)
    kern = rng.standard_normal(kshape).astype(dtype)
    if layout == "strided":  # views with gaps: neither input is contiguous
        tall = rng.standard_normal((n, cg * groups, 2 * h, w)).astype(dtype)
        tall[:, :, ::2] = img
        img = tall[:, :, ::2]
        wide = np.zeros(kshape[:-1] + (2 * khw[1],), dtype)
        wide[..., ::2] = kern
        kern = wide[..., ::2]
    saved = (img.copy(), kern.copy())
    got = _unshared_fn(dtype=dtype, **kwargs)(img, kern)
    want = unshared_conv2d_loops(img, kern, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL[dtype])
    np.testing.assert_array_equal(img, saved[0])  # nothing the user owns is mutated
    np.testing.assert_array_equal(kern, saved[1])


GRAD_CASES = [dict(border_mode=b, subsample=s, filter_flip=f, filter_dilation=d, num_groups=g)
              for b, s, f, d, g in [("valid", (1, 1), True, (1, 1), 1),
                                    ("full", (2, 1), False, (1, 1), 1),
                                    ("half", (1, 2), True, (2, 1), 2),
                                    ((1, 2), (2, 2), True, (1, 2), 1),
                                    (((0, 2), (1, 0)), (1, 1), False, (1, 1), 2)]]


@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_verify_grad_unshared_conv2d(kwargs):
    rng = np.random.default_rng(3)
    img_shape = (2, 2 * kwargs["num_groups"], 5, 4)
    kern = rng.random(_filter_shape(img_shape, 2 * kwargs["num_groups"], (3, 2), **kwargs))
    verify_grad(lambda x, w: T.nnet.conv2d(x, w, unshared=True, **kwargs),
                [rng.random(img_shape), kern], rng=rng)


@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_verify_grad_of_the_unshared_gradient_ops(kwargs):
    rng = np.random.default_rng(4)
    img_shape = (2, 2 * kwargs["num_groups"], 5, 4)
    kshape = _filter_shape(img_shape, 2 * kwargs["num_groups"], (3, 2), **kwargs)
    top = rng.random((2, kshape[0], kshape[1], kshape[2]))
    verify_grad(lambda g, w: abstract_conv.conv2d_grad_wrt_inputs(
        g, w, img_shape, unshared=True, **kwargs), [top, rng.random(kshape)], rng=rng)
    verify_grad(lambda x, g: abstract_conv.conv2d_grad_wrt_weights(
        x, g, kshape, unshared=True, **kwargs), [rng.random(img_shape), top], rng=rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_unshared_gradients_are_adjoint_to_the_reference(kwargs, dtype):
    """<conv(x, w), g> = <x, grad_wrt_inputs(g, w)> = <w, grad_wrt_weights(x, g)>."""
    rng = np.random.default_rng(5)
    img = rng.standard_normal((2, 2 * kwargs["num_groups"], 6, 5)).astype(dtype)
    kern = rng.standard_normal(_filter_shape(img.shape, 4, (3, 2), **kwargs)).astype(dtype)
    ref = unshared_conv2d_loops(img, kern, **kwargs)
    top = rng.standard_normal(ref.shape).astype(dtype)
    g, x, w = T.tensor4("g", dtype), T.tensor4("x", dtype), _tensor6("w", dtype)
    gx = theano.function([g, w], abstract_conv.conv2d_grad_wrt_inputs(
        g, w, img.shape, unshared=True, **kwargs))(top, kern)
    gw = theano.function([x, g], abstract_conv.conv2d_grad_wrt_weights(
        x, g, kern.shape, unshared=True, **kwargs))(img, top)
    assert gx.shape == img.shape and gw.shape == kern.shape
    assert gx.dtype == dtype and gw.dtype == dtype
    inner = float(np.sum(ref * top))
    tol = 1e-3 if dtype == "float32" else 1e-9
    assert np.sum(img.astype("float64") * gx) == pytest.approx(inner, rel=tol, abs=tol)
    assert np.sum(kern.astype("float64") * gw) == pytest.approx(inner, rel=tol, abs=tol)


def test_grad_through_T_grad_matches_the_gradient_functions():
    rng = np.random.default_rng(6)
    kwargs = dict(border_mode="half", subsample=(2, 1))
    img = rng.standard_normal((2, 3, 5, 4))
    kern = rng.standard_normal(_filter_shape(img.shape, 2, (3, 3), **kwargs))
    x, w = T.tensor4("x"), _tensor6("w")
    y = T.nnet.conv2d(x, w, unshared=True, **kwargs)
    cost = T.sum(y ** 2)
    gx, gw = theano.function([x, w], T.grad(cost, [x, w]))(img, kern)
    top = 2 * unshared_conv2d_loops(img, kern, **kwargs)
    xs, ws, gs = T.tensor4("xs"), _tensor6("ws"), T.tensor4("gs")
    want_x = theano.function([gs, ws], abstract_conv.conv2d_grad_wrt_inputs(
        gs, ws, img.shape, unshared=True, **kwargs))(top, kern)
    want_w = theano.function([xs, gs], abstract_conv.conv2d_grad_wrt_weights(
        xs, gs, kern.shape, unshared=True, **kwargs))(img, top)
    np.testing.assert_allclose(gx, want_x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, want_w, rtol=1e-10, atol=1e-12)


def test_static_shapes_and_infer_shape():
    x = T.TensorType("float32", (2, 3, 6, 5))("x")
    w = T.TensorType("float32", (4, 2, 2, 3, 3, 2))("w")
    y = T.nnet.conv2d(x, w, unshared=True, subsample=(2, 2))
    assert y.type.shape == (2, 4, 2, 2) and y.dtype == "float32"
    xv, wv = T.tensor4("xv"), _tensor6("wv")
    yv = T.nnet.conv2d(xv, wv, unshared=True, border_mode="full")
    f = theano.function([xv, wv], yv.shape)
    rng = np.random.default_rng(7)
    img, kern = rng.random((1, 2, 3, 3)), rng.random((5, 5, 4, 2, 3, 2))
    np.testing.assert_array_equal(f(img, kern), (1, 5, 5, 4))


def test_errors_name_the_argument():
    x, w4, w6 = T.tensor4("x"), T.tensor4("w4"), _tensor6("w6")
    with pytest.raises(TypeError, match="6-d tensor for unshared"):
        T.nnet.conv2d(x, w4, unshared=True)
    with pytest.raises(TypeError, match="4-d tensor"):
        T.nnet.conv2d(x, w6)  # 6-d filters without unshared=True
    with pytest.raises(TypeError, match="unshared must be a bool"):
        T.nnet.conv2d(x, w6, unshared="yes")
    with pytest.raises(ValueError, match="tuple of 6 entries"):
        T.nnet.conv2d(x, w6, unshared=True, filter_shape=(1, 2, 3, 4))
    with pytest.raises(ValueError, match="filter_shape.*tuple of 6"):
        abstract_conv.conv2d_grad_wrt_weights(x, x, (1, 1, 3, 3), unshared=True)
    f = theano.function([x, w6], T.nnet.conv2d(x, w6, unshared=True))
    img = np.zeros((1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"output positions.*\(3, 3\) rows/cols"):
        f(img, np.zeros((1, 4, 4, 2, 3, 3)))  # a 4x4 grid for a 3x3 output
    with pytest.raises(ValueError, match="channels"):
        f(img, np.zeros((1, 3, 3, 3, 3, 3)))  # 3 input channels for 2
    with pytest.raises(ValueError, match="filters span"):
        f(img, np.zeros((1, 1, 1, 2, 6, 6)))
    # a static mismatch is found while the graph is built
    xs = T.TensorType("float64", (1, 2, 5, 5))("xs")
    ws = T.TensorType("float64", (1, 4, 4, 2, 3, 3))("ws")
    with pytest.raises(ValueError, match="output positions"):
        T.nnet.conv2d(xs, ws, unshared=True)


def test_zero_size_batch_and_channels():
    f = _unshared_fn(border_mode="half")
    out = f(np.zeros((0, 2, 4, 4)), np.ones((3, 4, 4, 2, 3, 3)))
    assert out.shape == (0, 3, 4, 4)
    out = f(np.zeros((2, 0, 4, 4)), np.ones((3, 4, 4, 0, 3, 3)))
    np.testing.assert_array_equal(out, np.zeros((2, 3, 4, 4)))


def test_rop_is_the_convolution_of_the_direction():
    """Linear in each argument: R-op along w is conv(x, v), along x is conv(v, w).
    (Theano 1.0 raises NotImplementedError here; tensordsl's Rop is generic.)"""
    rng = np.random.default_rng(8)
    kwargs = dict(border_mode=1, subsample=(2, 1))
    img = rng.standard_normal((2, 3, 5, 4))
    kern = rng.standard_normal(_filter_shape(img.shape, 2, (3, 2), **kwargs))
    x, w, vx, vw = T.tensor4("x"), _tensor6("w"), T.tensor4("vx"), _tensor6("vw")
    y = T.nnet.conv2d(x, w, unshared=True, **kwargs)
    f = theano.function([x, w, vx, vw], [T.Rop(y, w, vw), T.Rop(y, x, vx)])
    dx, dw = rng.standard_normal(img.shape), rng.standard_normal(kern.shape)
    along_w, along_x = f(img, kern, dx, dw)
    np.testing.assert_allclose(along_w, unshared_conv2d_loops(img, dw, **kwargs), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(along_x, unshared_conv2d_loops(dx, kern, **kwargs), rtol=1e-10,
                               atol=1e-12)
