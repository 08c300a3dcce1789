"""The C backend's conv and max-pool helpers (backends/c/nnet.py) against numpy.

The compiled im2col / col2im must equal the numpy kernels' copies bit for bit; the conv
ops split into batch slices (small `CHUNK_BYTES` forces many, run on several threads)
must equal the loop definition; max pooling and its gradient must equal the numpy
kernels on any strides, dims and NaNs; recycled result buffers must never overwrite a
result somebody still holds.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.backends.c import nnet
from tensordsl.ops import conv_kernels as ck
from tensordsl.ops.pool import MaxPoolGrad
from tensordsl.ops.pool_kernels import Geometry, max_pool_grad, pool_forward
from tensordsl.tensor.signal.pool import pool_2d
from tests.nnet.reference import conv2d_loops

TOL = {"float32": dict(rtol=2e-4, atol=2e-4), "float64": dict(rtol=1e-10, atol=1e-10)}
BORDERS = ["valid", "full", "half", 1, (2, 0), ((0, 2), (1, 0))]


def _geometry(h: int, w: int, kshape, border, stride, dilation):
    pads = ck.pads_for(ck.normalize_border_mode(border), kshape, dilation)
    oh = ck.conv_out_size(h, kshape[0], pads[0], stride[0], dilation[0])
    ow = ck.conv_out_size(w, kshape[1], pads[1], stride[1], dilation[1])
    return pads, (oh, ow)


def _layout(x: np.ndarray, layout: str) -> np.ndarray:
    """The same values in another memory layout (the helpers take any strides)."""
    if layout == "channel-major":
        return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    if layout == "reversed":
        return np.ascontiguousarray(x[:, :, ::-1, ::-1])[:, :, ::-1, ::-1]
    if layout == "strided":
        big = np.zeros(x.shape[:3] + (2 * x.shape[3],), x.dtype)
        big[..., ::2] = x
        return big[..., ::2]
    return x


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       border=st.sampled_from(BORDERS), layout=st.sampled_from(
           ["contiguous", "channel-major", "reversed", "strided"]))
def test_im2col_and_col2im_equal_numpy_bit_for_bit(data, dtype, border, layout):
    n = data.draw(st.integers(0, 3), label="batch")
    groups = data.draw(st.integers(1, 2), label="groups")
    c = groups * data.draw(st.integers(1, 3), label="channels per group")
    kshape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    # rows up to 21 wide: the unit-step copies and adds run in blocks of 8 plus a tail
    # (0-2 blocks, with and without padding clipping the row)
    h, w = data.draw(st.integers(5, 9)), data.draw(st.integers(5, 21), label="cols")
    pads, oshape = _geometry(h, w, kshape, border, stride, dilation)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = _layout(rng.standard_normal((n, c, h, w)).astype(dtype), layout)
    cc = nnet.CColumns(nnet.library(dtype))
    geo = (pads, kshape, oshape, stride, dilation, groups)
    np.testing.assert_array_equal(cc.columns(x, *geo), ck.NUMPY_COLUMNS.columns(x, *geo))
    np.testing.assert_array_equal(cc.sample_columns(x, *geo),
                                  ck.NUMPY_COLUMNS.sample_columns(x, *geo))
    rows = c * kshape[0] * kshape[1]
    g = rng.standard_normal((rows, n) + oshape).astype(dtype)
    args = ((n, c, h, w), pads, kshape, stride, dilation)
    np.testing.assert_array_equal(cc.col2im(g, *args), ck.NUMPY_COLUMNS.col2im(g, *args))


@pytest.fixture
def tiny_slices(monkeypatch):
    """Batch slices of one or two samples: the sliced and threaded paths run."""
    monkeypatch.setattr(nnet, "CHUNK_BYTES", 64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [
    dict(border_mode="valid"),
    dict(border_mode="full", filter_flip=False, subsample=(2, 1)),
    dict(border_mode="half", filter_dilation=(2, 1), num_groups=2),
], ids=str)
@pytest.mark.parametrize("channels", [1, 4], ids=["first-layer", "deep"])
def test_sliced_conv_and_gradients_match_the_loops(tiny_slices, dtype, kwargs, channels):
    rng = np.random.default_rng(3)
    groups = kwargs.get("num_groups", 1)
    c = channels * groups
    img = rng.standard_normal((5, c, 7, 6)).astype(dtype)
    kern = rng.standard_normal((4, channels, 3, 2)).astype(dtype)
    x, w = T.TensorType(dtype, (None,) * 4)("x"), T.TensorType(dtype, (None,) * 4)("w")
    y = T.nnet.conv2d(x, w, **kwargs)
    gy = rng.standard_normal(conv2d_loops(img, kern, **kwargs).shape).astype(dtype)
    cost = T.sum(y * theano.shared(gy))
    f = theano.function([x, w], [y, *theano.grad(cost, [x, w])], mode="FAST_RUN")
    got_y, got_gx, got_gw = f(img, kern)
    np.testing.assert_allclose(got_y, conv2d_loops(img, kern, **kwargs), **TOL[dtype])
    # the gradients through the adjoint identity <conv(x, w), gy> = <x, gx> = <w, gw>,
    # each checked entry by entry against the numpy kernels' unsliced gradients
    fn = theano.function([x, w], theano.grad(cost, [x, w]), mode="FAST_COMPILE")
    want_gx, want_gw = fn(img, kern)
    np.testing.assert_allclose(got_gx, want_gx, **TOL[dtype])
    np.testing.assert_allclose(got_gw, want_gw, **TOL[dtype])
    total = float(np.sum(conv2d_loops(img, kern, **kwargs) * gy))
    assert np.isclose(float(np.sum(img * got_gx)), total, rtol=1e-3 if dtype == "float32"
                      else 1e-9)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_slices_on_several_threads_equal_one_thread(monkeypatch, workers):
    monkeypatch.setattr(nnet, "CHUNK_BYTES", 1 << 12)
    lib = nnet.library("float64")
    monkeypatch.setattr(lib, "threads", lambda: workers)
    cc = nnet.CColumns(lib)
    rng = np.random.default_rng(4)
    img = rng.standard_normal((23, 3, 9, 9))
    kern = rng.standard_normal((5, 3, 3, 3))
    args = ("half", (1, 1), (1, 1), True, 1, "float64")
    y = ck.conv2d_forward(img, kern, *args, impl=cc)
    gy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(y, ck.conv2d_forward(img, kern, *args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ck.conv2d_grad_weights(img, gy, (3, 3), *args, impl=cc),
                               ck.conv2d_grad_weights(img, gy, (3, 3), *args),
                               rtol=1e-11, atol=1e-11)
    np.testing.assert_array_equal(ck.conv2d_grad_inputs(kern, gy, (9, 9), *args, impl=cc),
                                  ck.conv2d_grad_inputs(kern, gy, (9, 9), *args))


def test_a_held_result_is_not_recycled():
    """Results above the recycling size: the buffer of a result the caller still holds
    is never written by the next call."""
    rng = np.random.default_rng(5)
    x = T.ftensor4("x")
    w = T.ftensor4("w")
    f = theano.function([x, w], pool_2d(T.nnet.conv2d(x, w), (2, 2), ignore_border=True),
                        mode="FAST_RUN")
    img = rng.standard_normal((64, 2, 40, 40)).astype("float32")
    kern = rng.standard_normal((8, 2, 3, 3)).astype("float32")
    first = f(img, kern)
    kept = first.copy()
    second = f(img * 2, kern)
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_allclose(second, 2 * kept, rtol=1e-5, atol=1e-5)
    del first
    third = f(img * 3, kern)  # may reuse the dropped buffer: still right
    np.testing.assert_allclose(third, 3 * kept, rtol=1e-5, atol=1e-5)


POOL_GEOMETRIES = [((2, 2), (2, 2), (0, 0), True), ((2, 2), (2, 2), (0, 0), False),
                   ((3, 2), (1, 2), (0, 0), False), ((3, 3), (2, 2), (1, 2), True),
                   ((2, 2), (1, 1), (1, 1), True), ((1, 1), (2, 2), (0, 0), False)]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       geometry=st.sampled_from(POOL_GEOMETRIES),
       layout=st.sampled_from(["contiguous", "channel-major", "reversed", "strided"]))
def test_max_pool_and_gradient_equal_numpy(data, dtype, geometry, layout):
    ws, stride, pad, ignore_border = geometry
    n, c = data.draw(st.integers(0, 3), label="batch"), data.draw(st.integers(1, 3))
    h, w = data.draw(st.integers(1, 7), label="rows"), data.draw(st.integers(1, 7))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    # few distinct values: ties inside windows (every tied maximum gets the gradient)
    x = rng.integers(-3, 3, (n, c, h, w)).astype(dtype)
    if data.draw(st.booleans(), label="a NaN"):
        x.reshape(-1)[: x.size // 3] = np.nan
    x = _layout(x, layout)
    geo = Geometry(x.shape, np.array(ws), np.array(stride), np.array(pad), ignore_border,
                   "pool")
    want = pool_forward(x, geo, "max")
    gz = rng.standard_normal(want.shape).astype(dtype)
    if data.draw(st.booleans(), label="inf and NaN in gz"):
        # the 2x2 gradient masks bits instead of selecting: still exact for these
        gz.reshape(-1)[:3] = [np.inf, -np.inf, np.nan][: gz.size]
    # gz's layout drawn apart from x's (LeNet: a channel-major conv output x, a
    # contiguous gz; the gradient then walks the planes in x's order)
    gz = _layout(gz, data.draw(st.sampled_from(
        ["contiguous", "channel-major", "reversed", "strided"]), label="gz layout"))
    node = pool_2d(T.TensorType(dtype, (None,) * 4)("x"), ws, ignore_border, stride, pad,
                   "max").owner
    got = nnet.PoolRunner(node).call([x, *(np.array(v) for v in (ws, stride, pad))])[0]
    np.testing.assert_array_equal(got, want)
    mp = MaxPoolGrad(ignore_border)(x, want, gz, ws, stride, pad)
    runner = nnet.PoolRunner(mp.owner)
    got_g = runner.call([x, want, gz, *(np.array(v) for v in (ws, stride, pad))])[0]
    with np.errstate(invalid="ignore"):  # inf + -inf where windows overlap: NaN in both
        want_g = max_pool_grad(x, want, gz, geo)
    np.testing.assert_allclose(got_g, want_g, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(7, 6), (2, 7, 6), (2, 3, 2, 7, 6), (0, 3, 4, 4)])
def test_max_pool_over_any_number_of_leading_dims(shape):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype("float32")
    xv = T.TensorType("float32", (None,) * len(shape))("x")
    out = pool_2d(xv, (2, 2), ignore_border=False)
    f = theano.function([xv], [out, theano.grad(T.sum(out ** 2), xv)], mode="FAST_RUN")
    ref = theano.function([xv], [out, theano.grad(T.sum(out ** 2), xv)], mode="FAST_COMPILE")
    for got, want in zip(f(x), ref(x)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_the_conv_and_pool_nodes_run_compiled():
    x, w = T.ftensor4("x"), T.ftensor4("w")
    y = pool_2d(T.nnet.conv2d(x, w), (2, 2), ignore_border=True)
    f = theano.function([x, w], [y, *theano.grad(T.sum(y), [x, w])], mode="FAST_RUN")
    kinds = {type(s.node.op).__name__: s.compiled for s in f.thunk.steps
             if "Conv" in type(s.node.op).__name__ or "Pool" in type(s.node.op).__name__}
    assert kinds == {"AbstractConv2d": True, "AbstractConv2d_gradWeights": True,
                     "AbstractConv2d_gradInputs": True, "Pool": True, "MaxPoolGrad": True}


def test_average_pooling_and_integers_keep_the_numpy_kernels():
    x = T.ftensor4("x")
    f = theano.function([x], pool_2d(x, (2, 2), ignore_border=True, mode="average_inc_pad"),
                        mode="FAST_RUN")
    assert not any(s.compiled for s in f.thunk.steps if type(s.node.op).__name__ == "Pool")
    v = np.arange(16, dtype="float32").reshape(1, 1, 4, 4)
    np.testing.assert_allclose(f(v)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    xi = T.itensor4("xi")
    g = theano.function([xi], pool_2d(xi, (2, 2), ignore_border=True), mode="FAST_RUN")
    np.testing.assert_array_equal(g(np.arange(16, dtype="int32").reshape(1, 1, 4, 4))[0, 0],
                                  [[5, 7], [13, 15]])


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_runs_the_threaded_slices(monkeypatch):
    """The parent's slice threads do not exist in a forked child: it makes its own."""
    import multiprocessing

    monkeypatch.setattr(nnet, "CHUNK_BYTES", 1 << 10)
    lib = nnet.library("float64")
    monkeypatch.setattr(lib, "threads", lambda: 2)
    cc = nnet.CColumns(lib)
    rng = np.random.default_rng(7)
    img, kern = rng.standard_normal((16, 2, 8, 8)), rng.standard_normal((3, 2, 3, 3))
    args = ("valid", (1, 1), (1, 1), True, 1, "float64")
    want = ck.conv2d_forward(img, kern, *args)
    np.testing.assert_allclose(ck.conv2d_forward(img, kern, *args, impl=cc), want)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # the child inherits the patched thread count and slices
        got = pool.apply_async(_child_conv, (img, kern, args)).get(timeout=60)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _child_conv(img: np.ndarray, kern: np.ndarray, args: tuple) -> np.ndarray:
    return ck.conv2d_forward(img, kern, *args, impl=nnet.CColumns(nnet.library("float64")))
