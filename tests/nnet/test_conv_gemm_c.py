"""The C backend's register-blocked filter product (`td_nn_gemm`, backends/c/nnet.py).

`gemm_product(lib, a)(b, out)` must equal `np.matmul(a, b)` for any shape (row blocks
and column panels with tails, empty dims, batches), any row strides of b and out, both
float types; it must leave a and b alone and write nothing outside out; what it does not
take (other dtypes, strided columns, overlap, bad shapes) goes to np.matmul, with numpy's
errors. The conv forward pass takes it for filters of many taps (`use_gemm`) and must
still equal the loop definition.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.backends.c import nnet
from tests.nnet.reference import conv2d_loops

TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-12, atol=1e-12)}


def _view(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, layout: str
          ) -> np.ndarray:
    """Random values of `shape` whose rows (dim -2) are not adjacent in memory."""
    if layout == "row-gaps":  # rows 3 elements apart more than their length
        big = rng.standard_normal(shape[:-1] + (shape[-1] + 3,)).astype(dtype)
        return big[..., :shape[-1]]
    if layout == "reversed-rows":
        return np.ascontiguousarray(rng.standard_normal(shape).astype(dtype)[..., ::-1, :]
                                    )[..., ::-1, :]
    return rng.standard_normal(shape).astype(dtype)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       layout=st.sampled_from(["contiguous", "row-gaps", "reversed-rows"]),
       batched=st.booleans())
def test_gemm_product_equals_matmul(data, dtype, layout, batched):
    # m around the 10-row block (tails of 1-9 rows), n around the 32 / 16 wide panel
    m = data.draw(st.integers(1, 23), label="m")
    k = data.draw(st.integers(1, 40), label="k")
    n = data.draw(st.integers(0, 70), label="n")
    batch = data.draw(st.integers(0, 3), label="batch") if batched else None
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    lead = () if batch is None else (batch,)
    a = _view(rng, (m, k), dtype, layout)
    b = _view(rng, lead + (k, n), dtype, layout)
    a_before, b_before = a.copy(), b.copy()
    # out inside a larger buffer: its rows 2 elements apart more than n, guards around
    rows = int(np.prod(lead + (m,)))
    buf = np.full(rows * (n + 2) + 8, 7.0, dtype=dtype)
    out = buf[4:4 + rows * (n + 2)].reshape(lead + (m, n + 2))[..., :n]
    got = nnet.gemm_product(nnet.library(dtype), a)(b, out)
    assert got is out
    np.testing.assert_allclose(out, np.matmul(a_before, b_before), **TOL[dtype])
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)
    assert (buf[:4] == 7).all() and (buf[4 + rows * (n + 2):] == 7).all()
    gaps = buf[4:4 + rows * (n + 2)].reshape(lead + (m, n + 2))[..., n:]
    assert (gaps == 7).all()  # the row gaps are not out's: untouched


def test_the_kernel_runs_for_its_operands(monkeypatch):
    lib = nnet.library("float32")
    calls = []
    kernel = lib.fns["_gemm"]
    monkeypatch.setitem(lib.fns, "_gemm", lambda *args: calls.append(1) or kernel(*args))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((12, 70)).astype("float32")
    b = rng.standard_normal((70, 40)).astype("float32")
    out = np.empty((12, 40), "float32")
    nnet.gemm_product(lib, a)(b, out)
    assert calls == [1]
    np.testing.assert_allclose(out, a @ b, **TOL["float32"])


@pytest.mark.parametrize("case", ["strided columns", "other dtype", "overlap",
                                  "4 KB rows"])
def test_what_the_kernel_does_not_take_goes_to_numpy(monkeypatch, case):
    lib = nnet.library("float32")
    monkeypatch.setitem(lib.fns, "_gemm", lambda *args: pytest.fail("kernel called"))
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5, 3)).astype("float32")
    b = rng.standard_normal((3, 8)).astype("float32")
    out = np.empty((5, 8), "float32")
    if case == "strided columns":
        b = np.repeat(b, 2, axis=1)[:, ::2]
    elif case == "other dtype":
        b = b.astype("float64")
        out = out.astype("float64")
    elif case == "overlap":
        b = np.zeros((3, 8), "float32")
        out = np.zeros((5, 8), "float32")
        big = np.zeros((5, 8), "float32")
        b, out = big[:3], big  # out's first rows are b
    elif case == "4 KB rows":
        b = rng.standard_normal((3, 1024)).astype("float32")[:, :8]
    want = np.matmul(a, b)
    nnet.gemm_product(lib, a)(b, out)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


def test_bad_shapes_raise_numpys_error():
    lib = nnet.library("float32")
    a = np.ones((4, 3), "float32")
    with pytest.raises(ValueError):
        nnet.gemm_product(lib, a)(np.ones((5, 6), "float32"), np.empty((4, 6), "float32"))
    with pytest.raises(ValueError):
        nnet.gemm_product(lib, a)(np.ones((3, 6), "float32"), np.empty((4, 7), "float32"))


def test_use_gemm_rule():
    assert nnet.use_gemm((50, 500), "float32")  # LeNet's second layer
    assert not nnet.use_gemm((20, 25), "float32")  # its first: short columns
    assert not nnet.use_gemm((500, 50), "float32")  # many rows: OpenBLAS's
    assert not nnet.use_gemm((50, 500), "float64")
    assert not nnet.use_gemm((0, 500), "float32")


@pytest.mark.parametrize("kwargs", [
    dict(border_mode="valid"),
    dict(border_mode="half", filter_flip=False, subsample=(2, 1)),
    dict(border_mode="full", filter_dilation=(1, 2), num_groups=2),
], ids=str)
def test_conv_forward_through_the_kernel_equals_the_loops(monkeypatch, kwargs):
    """Filters of 8 channels x 3 x 3 taps (72 >= GEMM_MIN_K) in slices of a few samples
    (so the panels and the out rows are strided views), checked against the loops."""
    monkeypatch.setattr(nnet, "CHUNK_BYTES", 1 << 12)
    lib = nnet.library("float32")
    calls = []
    kernel = lib.fns["_gemm"]
    monkeypatch.setitem(lib.fns, "_gemm", lambda *args: calls.append(1) or kernel(*args))
    groups = kwargs.get("num_groups", 1)
    rng = np.random.default_rng(2)
    img = rng.standard_normal((7, 8 * groups, 9, 7)).astype("float32")
    kern = rng.standard_normal((6 * groups, 8, 3, 3)).astype("float32")
    x, w = T.ftensor4("x"), T.ftensor4("w")
    f = theano.function([x, w], T.nnet.conv2d(x, w, **kwargs), mode="FAST_RUN")
    got = f(img, kern)
    assert calls, "the forward pass did not take td_nn_gemm"
    np.testing.assert_allclose(got, conv2d_loops(img, kern, **kwargs), rtol=2e-4, atol=2e-4)


def test_scratch_arrays_are_per_thread_and_per_tag():
    import threading

    cc = nnet.CColumns(nnet.library("float32"))
    a = cc.scratch("test tag a", (4, 5), "float32")
    b = cc.scratch("test tag a", (2, 3), "float32")  # smaller: the same memory
    assert np.shares_memory(a, b) and b.shape == (2, 3) and b.dtype == np.float32
    c = cc.scratch("test tag b", (2, 3), "float32")  # another tag: its own array
    assert not np.shares_memory(b, c)
    # another node's helpers on this thread: the same arrays (nodes run one by one)
    other_node = nnet.CColumns(nnet.library("float64"))
    assert np.shares_memory(other_node.scratch("test tag a", (4, 5), "float32"), a)
    d = cc.scratch("test tag a", (1000, 1000), "float32")  # larger: a new array
    assert d.shape == (1000, 1000) and not np.shares_memory(a, d)
    assert d.ctypes.data % nnet.HUGE_PAGE == 0  # 4 MB: on huge pages
    assert cc.scratch("test tag a", (3,), "float64").dtype == np.float64
    assert cc.scratch("test tag a", (0, 7), "float32").shape == (0, 7)
    other = []
    t = threading.Thread(target=lambda: other.append(cc.scratch("test tag a", (4, 5),
                                                                "float32")))
    t.start()
    t.join()
    mine = cc.scratch("test tag a", (4, 5), "float32")
    assert not np.shares_memory(other[0], mine)


@pytest.mark.parametrize("out_channels", [1, 3])
def test_gradient_results_are_not_scratch(monkeypatch, out_channels):
    """The filter and input gradients, computed in batch slices with scratch columns and
    parts, are new arrays: a later call (other values) leaves a held result alone."""
    monkeypatch.setattr(nnet, "CHUNK_BYTES", 1 << 10)
    rng = np.random.default_rng(6)
    x, w = T.ftensor4("x"), T.ftensor4("w")
    y = T.nnet.conv2d(x, w)
    gy = T.ftensor4("gy")
    f = theano.function([x, w, gy], theano.grad(T.sum(y * gy), [x, w]), mode="FAST_RUN")
    img = rng.standard_normal((9, 8, 7, 6)).astype("float32")
    kern = rng.standard_normal((out_channels, 8, 3, 3)).astype("float32")
    g = rng.standard_normal((9, out_channels, 5, 4)).astype("float32")
    gx, gw = f(img, kern, g)
    kept = gx.copy(), gw.copy()
    gx2, gw2 = f(img * 2, kern * 3, g)
    np.testing.assert_array_equal(gx, kept[0])
    np.testing.assert_array_equal(gw, kept[1])
    np.testing.assert_allclose(gx2, 3 * kept[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw2, 2 * kept[1], rtol=1e-4, atol=1e-4)
    fc = theano.function([x, w, gy], theano.grad(T.sum(y * gy), [x, w]),
                         mode="FAST_COMPILE")
    for got, want in zip((gx, gw), fc(img, kern, g)):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)


def _layout4(x: np.ndarray, layout: str) -> np.ndarray:
    """The same values with other strides (the pixel-major copy takes any)."""
    if layout == "channel-major":
        return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    if layout == "strided":
        big = np.zeros(x.shape[:3] + (2 * x.shape[3],), x.dtype)
        big[..., ::2] = x
        return big[..., ::2]
    return x


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       border=st.sampled_from(["valid", "full", "half", 1, (2, 0)]),
       layout=st.sampled_from(["contiguous", "channel-major", "strided"]))
def test_pixel_columns_are_the_windows(data, dtype, border, layout):
    from tensordsl.ops import conv_kernels as ck

    n = data.draw(st.integers(0, 3), label="batch")
    c = data.draw(st.integers(1, 3), label="channels")
    # taps up to 10 wide: 8-element copies (kw <= 8) and the per-entry loop
    kshape = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 10)))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h, w = data.draw(st.integers(4, 9)), data.draw(st.integers(10, 21))
    pads = ck.pads_for(ck.normalize_border_mode(border), kshape, dilation)
    oshape = (ck.conv_out_size(h, kshape[0], pads[0], stride[0], dilation[0]),
              ck.conv_out_size(w, kshape[1], pads[1], stride[1], dilation[1]))
    if min(oshape) < 1:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = _layout4(rng.standard_normal((n, c, h, w)).astype(dtype), layout)
    before = x.copy()
    cc = nnet.CColumns(nnet.library(dtype))
    k = c * kshape[0] * kshape[1]
    width = k + data.draw(st.integers(0, 40), label="extra width")
    cols = cc.pixel_columns(x, pads, kshape, oshape, stride, dilation, width)
    want = ck.NUMPY_COLUMNS.sample_columns(x, pads, kshape, oshape, stride, dilation, 1)
    want = want[:, 0].transpose(0, 2, 1).reshape(-1, k)  # (batch * pixels, k)
    assert cols.shape == (n * oshape[0] * oshape[1], width)
    np.testing.assert_array_equal(cols[:, :k], want)
    assert (cols[:, k:] == 0).all()
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("kwargs", [
    dict(border_mode="valid"),
    dict(border_mode="half", filter_flip=False, subsample=(2, 1)),
    dict(border_mode=(1, 2), filter_dilation=(2, 1)),
], ids=str)
def test_filter_gradient_by_pixel_columns_equals_numpy(monkeypatch, kwargs):
    """LeNet-like channels (8 x 3 x 3 = 72 taps, 5 filters): the filter gradient takes
    the pixel-major columns and td_nn_gemm, in slices of a few samples, on 1-3
    threads, and equals the numpy kernels' (and the adjoint identity)."""
    from tensordsl.ops import conv_kernels as ck

    monkeypatch.setattr(nnet, "CHUNK_BYTES", 1 << 12)
    lib = nnet.library("float32")
    calls = []
    kernel = lib.fns["_im2col_t"]
    monkeypatch.setitem(lib.fns, "_im2col_t", lambda *a: calls.append(1) or kernel(*a))
    rng = np.random.default_rng(8)
    img = rng.standard_normal((11, 8, 9, 10)).astype("float32")
    kern = rng.standard_normal((5, 8, 3, 3)).astype("float32")
    mode = ck.normalize_border_mode(kwargs.get("border_mode", "valid"))
    args = (mode, kwargs.get("subsample", (1, 1)), kwargs.get("filter_dilation", (1, 1)),
            kwargs.get("filter_flip", True), 1, "float32")
    y = ck.conv2d_forward(img, kern, *args)
    gy = rng.standard_normal(y.shape).astype("float32")
    want = ck.conv2d_grad_weights(img, gy, (3, 3), *args)
    for workers in (1, 2, 3):
        monkeypatch.setattr(lib, "threads", lambda workers=workers: workers)
        cc = nnet.CColumns(lib)
        for g in (gy, np.ascontiguousarray(gy.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)):
            got = ck.conv2d_grad_weights(img, g, (3, 3), *args, impl=cc)
            np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)
    assert calls
    total = float(np.sum(y.astype("float64") * gy))
    assert np.isclose(float(np.sum(kern.astype("float64") * got)), total, rtol=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16"])
@pytest.mark.parametrize("size", [1, 5, 300_001])
def test_huge_page_empty(dtype, size):
    a = nnet.huge_page_empty(size, dtype)
    assert a.shape == (size,) and a.dtype == np.dtype(dtype)
    assert a.ctypes.data % nnet.HUGE_PAGE == 0
    a[:] = 3  # writable over its whole length
    assert (a == 3).all()
