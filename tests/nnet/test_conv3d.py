"""T.nnet.conv3d / abstract_conv.conv3d and its gradients (Theano 1.0) against a
nested-loop definition, finite differences and the adjoint identity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.ops.conv3d import AbstractConv3d, get_conv3d_output_shape
from tensordsl.tensor.nnet import abstract_conv

TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-10, atol=1e-10)}


def _pads(border_mode, kshape, dilation):
    ext = [(k - 1) * d + 1 for k, d in zip(kshape, dilation)]
    if border_mode == "valid":
        return [(0, 0)] * 3
    if border_mode == "full":
        return [(e - 1, e - 1) for e in ext]
    if border_mode == "half":
        return [(e // 2, e // 2) for e in ext]
    if isinstance(border_mode, int):
        return [(border_mode, border_mode)] * 3
    if isinstance(border_mode[0], int):
        return [(p, p) for p in border_mode]
    return [tuple(p) for p in border_mode]


def conv3d_loops(img, kern, border_mode="valid", subsample=(1, 1, 1), filter_flip=True,
                 filter_dilation=(1, 1, 1), num_groups=1):
    """The definition, one output element at a time, in float64."""
    n, c = img.shape[:2]
    o, kc = kern.shape[:2]
    ks = kern.shape[2:]
    pads = _pads(border_mode, ks, filter_dilation)
    xp = np.pad(img.astype("float64"), [(0, 0), (0, 0)] + pads)
    k = kern[:, :, ::-1, ::-1, ::-1] if filter_flip else kern
    out_sz = [(xp.shape[2 + i] - ((ks[i] - 1) * filter_dilation[i] + 1)) // subsample[i] + 1
              for i in range(3)]
    out = np.zeros((n, o, *out_sz))
    og = o // num_groups
    for b, f, i, j, m in itertools.product(range(n), range(o), *[range(s) for s in out_sz]):
        g = f // og
        acc = 0.0
        for ch, u, v, w in itertools.product(range(kc), *[range(s) for s in ks]):
            acc += (xp[b, g * kc + ch, i * subsample[0] + u * filter_dilation[0],
                       j * subsample[1] + v * filter_dilation[1],
                       m * subsample[2] + w * filter_dilation[2]] * k[f, ch, u, v, w])
        out[b, f, i, j, m] = acc
    return out


def _t5(name, dtype="float64"):
    return T.TensorType(dtype, (None,) * 5)(name)


BORDERS = ["valid", "full", "half", 1, (0, 1, 2), ((1, 0), (0, 2), (1, 1))]


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
@pytest.mark.parametrize("border_mode", BORDERS, ids=str)
def test_conv3d_matches_the_loops(mode, border_mode):
    rng = np.random.default_rng(0)
    x, w = _t5("x"), _t5("w")
    for subsample, dilation, flip, groups in [((1, 1, 1), (1, 1, 1), True, 1),
                                              ((2, 1, 2), (1, 2, 1), False, 2),
                                              ((1, 2, 1), (2, 1, 1), True, 2)]:
        kwargs = dict(border_mode=border_mode, subsample=subsample, filter_flip=flip,
                      filter_dilation=dilation, num_groups=groups)
        img = rng.standard_normal((2, 4, 5, 6, 4))
        kern = rng.standard_normal((4, 4 // groups, 2, 3, 2))
        got = theano.function([x, w], T.nnet.conv3d(x, w, **kwargs), mode=mode)(img, kern)
        want = conv3d_loops(img, kern, **kwargs)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOL["float64"], err_msg=str(kwargs))


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(["float32", "float64"]), n=st.integers(0, 2),
       c=st.integers(1, 2), o=st.integers(1, 3), size=st.tuples(*[st.integers(2, 4)] * 3),
       k=st.tuples(*[st.integers(1, 2)] * 3), border=st.sampled_from(["valid", "half", 1]),
       flip=st.booleans(), transposed=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_conv3d_property(dtype, n, c, o, size, k, border, flip, transposed, seed):
    rng = np.random.default_rng(seed)
    img = rng.standard_normal((n, c, *size[::-1])).astype(dtype)
    img = img.transpose(0, 1, 4, 3, 2) if transposed else np.ascontiguousarray(
        img.transpose(0, 1, 4, 3, 2))
    kern = rng.standard_normal((o, c, *k)).astype(dtype)
    x, w = _t5("x", dtype), _t5("w", dtype)
    got = theano.function([x, w], T.nnet.conv3d(x, w, border_mode=border,
                                                filter_flip=flip))(img, kern)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, conv3d_loops(img, kern, border, filter_flip=flip),
                               **TOL[dtype])


GRAD_CASES = [dict(border_mode="valid", subsample=(1, 1, 1), filter_flip=True,
                   filter_dilation=(1, 1, 1), num_groups=1),
              dict(border_mode="full", subsample=(2, 1, 1), filter_flip=False,
                   filter_dilation=(1, 1, 2), num_groups=2),
              dict(border_mode=(1, 0, 1), subsample=(1, 2, 2), filter_flip=True,
                   filter_dilation=(1, 1, 1), num_groups=1)]


@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_verify_grad_of_conv3d_and_its_gradient_ops(kwargs):
    rng = np.random.default_rng(1)
    g = kwargs["num_groups"]
    img_shape, kshape = (2, 2 * g, 4, 3, 4), (2 * g, 2, 2, 2, 2)
    verify_grad(lambda x, w: abstract_conv.conv3d(x, w, **kwargs),
                [rng.random(img_shape), rng.random(kshape)], rng=rng)
    top_shape = get_conv3d_output_shape(img_shape, kshape, kwargs["border_mode"],
                                        kwargs["subsample"], kwargs["filter_dilation"])
    top = rng.random(top_shape)
    verify_grad(lambda gz, w: abstract_conv.conv3d_grad_wrt_inputs(gz, w, img_shape, **kwargs),
                [top, rng.random(kshape)], rng=rng)
    verify_grad(lambda x, gz: abstract_conv.conv3d_grad_wrt_weights(x, gz, kshape, **kwargs),
                [rng.random(img_shape), top], rng=rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_gradients_are_adjoint_to_the_loops(kwargs, dtype):
    """<conv3d(x, w), g> = <x, grad_wrt_inputs(g, w)> = <w, grad_wrt_weights(x, g)>."""
    rng = np.random.default_rng(2)
    g = kwargs["num_groups"]
    img = rng.standard_normal((2, 2 * g, 5, 4, 3)).astype(dtype)
    kern = rng.standard_normal((2 * g, 2, 2, 3, 2)).astype(dtype)
    ref = conv3d_loops(img, kern, **kwargs)
    top = rng.standard_normal(ref.shape).astype(dtype)
    gs, xs, ws = _t5("g", dtype), _t5("x", dtype), _t5("w", dtype)
    gx = theano.function([gs, ws], abstract_conv.conv3d_grad_wrt_inputs(
        gs, ws, img.shape, **kwargs))(top, kern)
    gw = theano.function([xs, gs], abstract_conv.conv3d_grad_wrt_weights(
        xs, gs, kern.shape, **kwargs))(img, top)
    assert gx.shape == img.shape and gw.shape == kern.shape
    inner = float(np.sum(ref * top))
    tol = 1e-3 if dtype == "float32" else 1e-9
    assert np.sum(img.astype("float64") * gx) == pytest.approx(inner, rel=tol, abs=tol)
    assert np.sum(kern.astype("float64") * gw) == pytest.approx(inner, rel=tol, abs=tol)
    # T.grad builds the same gradient ops
    cost = T.sum(abstract_conv.conv3d(xs, ws, **kwargs) * gs)
    tx, tw = theano.function([xs, ws, gs], T.grad(cost, [xs, ws]))(img, kern, top)
    np.testing.assert_allclose(tx, gx, **TOL[dtype])
    np.testing.assert_allclose(tw, gw, **TOL[dtype])


def test_static_shapes_and_errors():
    x = T.TensorType("float32", (2, 3, 6, 5, 4))("x")
    w = T.TensorType("float32", (4, 3, 3, 3, 1))("w")
    assert T.nnet.conv3d(x, w, subsample=(2, 2, 1)).type.shape == (2, 4, 2, 2, 4)
    xv, wv = _t5("xv"), _t5("wv")
    with pytest.raises(TypeError, match="5-d tensor"):
        T.nnet.conv3d(T.tensor4(), wv)
    with pytest.raises(ValueError, match="subsample must be a tuple of 3"):
        T.nnet.conv3d(xv, wv, subsample=(1, 1))
    with pytest.raises(ValueError, match="border_mode"):
        T.nnet.conv3d(xv, wv, border_mode="same")
    with pytest.raises(ValueError, match="num_groups"):
        AbstractConv3d(num_groups=0)
    f = theano.function([xv, wv], T.nnet.conv3d(xv, wv))
    with pytest.raises(ValueError, match="channels"):
        f(np.zeros((1, 2, 3, 3, 3)), np.zeros((1, 3, 2, 2, 2)))
    with pytest.raises(ValueError, match="filters span"):
        f(np.zeros((1, 1, 3, 3, 3)), np.zeros((1, 1, 4, 2, 2)))
    with pytest.raises(ValueError, match="filter_shape.*5 entries"):
        abstract_conv.conv3d_grad_wrt_weights(xv, xv, (1, 1, 3, 3))
    hinted = theano.function([xv, wv], T.nnet.conv3d(xv, wv, input_shape=(1, 1, 3, 3, 3)))
    with pytest.raises(ValueError, match="input_shape"):
        hinted(np.zeros((1, 1, 4, 3, 3)), np.zeros((1, 1, 2, 2, 2)))
