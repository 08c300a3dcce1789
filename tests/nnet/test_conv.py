"""conv2d (Theano 1.0's nnet.conv2d / abstract_conv) against a nested-loop definition."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.ops import conv_kernels as conv_ops
from tensordsl.tensor.nnet import abstract_conv
from tests.nnet.reference import conv2d_loops

MODES = ("FAST_COMPILE", "FAST_RUN")  # the numpy reference backend and the default one
BORDER_MODES = ("valid", "full", "half", 0, 2, (1, 2), ((0, 2), (1, 0)))
TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-10, atol=1e-10)}


def _rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: str = "float64"
          ) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def _conv_fn(mode: str = "FAST_RUN", dtype: str = "float64", **kwargs):
    x, w = T.tensor4("x", dtype=dtype), T.tensor4("w", dtype=dtype)
    return theano.function([x, w], T.nnet.conv2d(x, w, **kwargs), mode=mode)


@pytest.fixture(params=["per-sample GEMMs", "channel-major GEMM"])
def forward_path(request, monkeypatch):
    """Both forward kernels: per-sample GEMMs (short columns) and one large GEMM."""
    monkeypatch.setattr(conv_ops, "PER_SAMPLE_MAX_K", 10**9 if request.param[0] == "p" else 0)
    return request.param


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("border_mode", BORDER_MODES, ids=str)
@pytest.mark.parametrize("filter_flip", [True, False])
def test_conv2d_matches_loops_for_every_parameter(mode, border_mode, filter_flip, forward_path):
    rng = np.random.default_rng(1)
    for subsample, dilation, groups in itertools.product([(1, 1), (2, 3)], [(1, 1), (2, 1)],
                                                         [1, 2]):
        kwargs = dict(border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                      filter_dilation=dilation, num_groups=groups)
        img, kern = _rand(rng, (2, 4, 7, 6)), _rand(rng, (6, 4 // groups, 3, 2))
        got = _conv_fn(mode, **kwargs)(img, kern)
        want = conv2d_loops(img, kern, **kwargs)
        assert got.shape == want.shape, kwargs
        np.testing.assert_allclose(got, want, **TOL["float64"], err_msg=str(kwargs))


@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       border_mode=st.sampled_from(BORDER_MODES), flip=st.booleans(),
       groups=st.sampled_from([1, 2]), layout=st.sampled_from(["contiguous", "strided"]),
       max_k=st.sampled_from([0, 10**9]))
def test_conv2d_property(data, dtype, border_mode, flip, groups, layout, max_k):
    draw = data.draw
    n, cg, og = draw(st.integers(0, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    shape = abstract_conv.get_conv_output_shape((n, cg * groups, h, w),
                                                (og * groups, cg, kh, kw), border_mode,
                                                stride, dilation)
    assume(min(shape[2:]) >= 1)  # else no window fits: an error
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    img = _rand(rng, (n, cg * groups, h, w), dtype)
    kern = _rand(rng, (og * groups, cg, kh, kw), dtype)
    if layout == "strided":  # every other row of a taller array: not contiguous
        tall = _rand(rng, (n, cg * groups, 2 * h, w), dtype)
        tall[:, :, ::2] = img
        img = tall[:, :, ::2]
    kwargs = dict(border_mode=border_mode, subsample=stride, filter_flip=flip,
                  filter_dilation=dilation, num_groups=groups)
    saved, conv_ops.PER_SAMPLE_MAX_K = conv_ops.PER_SAMPLE_MAX_K, max_k  # both kernels
    try:
        got = _conv_fn("FAST_RUN", dtype, **kwargs)(img, kern)
    finally:
        conv_ops.PER_SAMPLE_MAX_K = saved
    assert got.dtype == dtype
    assert got.shape == shape
    np.testing.assert_allclose(got, conv2d_loops(img, kern, **kwargs), **TOL[dtype])


def test_static_output_shape_and_dtype():
    x = T.TensorType("float32", (None, 3, 28, 28))("x")
    w = T.TensorType("float32", (20, 3, 5, 5))("w")
    y = T.nnet.conv2d(x, w)
    assert y.dtype == "float32"
    assert y.type.shape == (None, 20, 24, 24)
    y = T.nnet.conv2d(x, w, border_mode="full", subsample=(2, 2))
    assert y.type.shape == (None, 20, 16, 16)
    assert T.nnet.conv2d(x, w, border_mode="half").type.shape == (None, 20, 28, 28)


def test_get_conv_output_shape():
    assert abstract_conv.get_conv_output_shape((2, 3, 10, 9), (4, 3, 3, 2), "valid",
                                               (1, 1)) == (2, 4, 8, 8)
    assert abstract_conv.get_conv_output_shape((2, 3, 10, 9), (4, 3, 3, 2), (1, 2), (2, 3),
                                               (2, 1)) == (2, 4, 4, 4)
    assert abstract_conv.get_conv_output_shape((None, 3, None, 9), (4, 3, 3, 2), "full",
                                               (1, 1)) == (None, 4, None, 10)


# ---------------------------------------------------------------- gradients

GRAD_CASES = [
    dict(border_mode="valid"),
    dict(border_mode="full", filter_flip=False),
    dict(border_mode="half", subsample=(2, 1)),
    dict(border_mode=(1, 2), filter_dilation=(2, 1)),
    dict(border_mode=((0, 1), (2, 0)), subsample=(1, 2), num_groups=2),
]


@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_verify_grad_conv2d(kwargs):
    rng = np.random.default_rng(2)
    groups = kwargs.get("num_groups", 1)
    img, kern = rng.random((2, 2 * groups, 5, 4)), rng.random((2 * groups, 2, 3, 2))
    verify_grad(lambda x, w: T.nnet.conv2d(x, w, **kwargs), [img, kern], rng=rng)


@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_verify_grad_of_the_gradient_ops(kwargs):
    """conv2d_grad_wrt_inputs / _weights are differentiable in both arguments."""
    rng = np.random.default_rng(3)
    groups = kwargs.get("num_groups", 1)
    img_shape, kern_shape = (2, 2 * groups, 5, 4), (2 * groups, 2, 3, 2)
    out_shape = abstract_conv.get_conv_output_shape(
        img_shape, kern_shape, kwargs["border_mode"], kwargs.get("subsample", (1, 1)),
        kwargs.get("filter_dilation", (1, 1)))
    top = rng.random(out_shape)
    verify_grad(lambda g, w: abstract_conv.conv2d_grad_wrt_inputs(g, w, img_shape, **kwargs),
                [top, rng.random(kern_shape)], rng=rng)
    verify_grad(lambda x, g: abstract_conv.conv2d_grad_wrt_weights(x, g, kern_shape, **kwargs),
                [rng.random(img_shape), top], rng=rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_gradient_functions_are_adjoint_to_the_loop_definition(kwargs, dtype):
    """<conv(x, w), g> = <x, grad_wrt_inputs(g, w)> = <w, grad_wrt_weights(x, g)>."""
    rng = np.random.default_rng(4)
    groups = kwargs.get("num_groups", 1)
    img, kern = _rand(rng, (2, 2 * groups, 6, 5), dtype), _rand(rng, (4, 2, 3, 2), dtype)
    top = _rand(rng, conv2d_loops(img, kern, **kwargs).shape, dtype)
    g, w, x = T.tensor4("g", dtype), T.tensor4("w", dtype), T.tensor4("x", dtype)
    gx = theano.function([g, w], abstract_conv.conv2d_grad_wrt_inputs(
        g, w, img.shape, **kwargs))(top, kern)
    gw = theano.function([x, g], abstract_conv.conv2d_grad_wrt_weights(
        x, g, kern.shape, **kwargs))(img, top)
    assert gx.shape == img.shape and gw.shape == kern.shape
    assert gx.dtype == dtype and gw.dtype == dtype
    inner = float(np.sum(conv2d_loops(img, kern, **kwargs) * top))
    tol = 1e-3 if dtype == "float32" else 1e-9
    assert np.sum(img.astype("float64") * gx) == pytest.approx(inner, rel=tol, abs=tol)
    assert np.sum(kern.astype("float64") * gw) == pytest.approx(inner, rel=tol, abs=tol)


def test_grad_wrt_inputs_with_a_stride_covers_the_unused_border_with_zeros():
    # 7 rows, 3-row filters, stride 2: rows 0..6 are all used; with 8 rows row 7 is not
    rng = np.random.default_rng(5)
    top, kern = rng.random((1, 1, 3, 1)), rng.random((1, 1, 3, 1))
    g, w = T.tensor4("g"), T.tensor4("w")
    f = theano.function([g, w], abstract_conv.conv2d_grad_wrt_inputs(
        g, w, (1, 1, 8, 1), subsample=(2, 1)))
    assert f(top, kern)[0, 0, 7, 0] == 0.0


def test_grad_through_a_symbolic_input_shape():
    x, w, g = T.tensor4("x"), T.tensor4("w"), T.tensor4("g")
    out = abstract_conv.conv2d_grad_wrt_inputs(g, w, x.shape, border_mode="half")
    rng = np.random.default_rng(6)
    img, kern = rng.random((1, 2, 5, 5)), rng.random((3, 2, 3, 3))
    top = rng.random((1, 3, 5, 5))
    got = theano.function([x, w, g], out)(img, kern, top)
    want = theano.function([x, w, g], T.grad(T.sum(T.nnet.conv2d(x, w, border_mode="half")
                                                   * g), x))(img, kern, top)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_second_derivative():
    rng = np.random.default_rng(7)

    def fn(x, w):
        y = T.nnet.conv2d(x, w, border_mode="half")
        return T.grad(T.sum(y ** 2), w)

    verify_grad(fn, [rng.random((1, 2, 4, 4)), rng.random((2, 2, 3, 3))], rng=rng)


def test_lenet_layer_training_step_on_every_backend():
    """A float32 conv layer with shared filters trained by SGD gives the same numbers."""
    rng = np.random.default_rng(8)
    img = rng.standard_normal((4, 1, 8, 8)).astype("float32")
    kern = (0.1 * rng.standard_normal((3, 1, 3, 3))).astype("float32")
    results = []
    for mode in MODES:
        x = T.tensor4("x", dtype="float32")
        w = theano.shared(kern.copy(), name="w")
        cost = T.mean(T.tanh(T.nnet.conv2d(x, w)) ** 2)
        with theano.config.change_flags(floatX="float32"):
            update = w - 0.1 * T.grad(cost, w)
        step = theano.function([x], cost, updates=[(w, update)], mode=mode)
        results.append((step(img), step(img), w.get_value()))
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- other entry points


def test_old_nnet_conv_api_and_image_shape():
    rng = np.random.default_rng(9)
    img, kern = rng.random((2, 3, 6, 5)), rng.random((4, 3, 2, 2))
    x, w = T.tensor4("x"), T.tensor4("w")
    old = theano.function([x, w], T.nnet.conv.conv2d(x, w, image_shape=img.shape,
                                                     border_mode="full"))
    np.testing.assert_allclose(old(img, kern), conv2d_loops(img, kern, "full"), rtol=1e-12)
    with pytest.warns(UserWarning, match="image_shape"):
        y = T.nnet.conv2d(x, w, image_shape=img.shape)
    np.testing.assert_allclose(theano.function([x, w], y)(img, kern), conv2d_loops(img, kern),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="border_mode"):
        T.nnet.conv.conv2d(x, w, border_mode="half")


def test_conv2d_transpose_is_the_input_gradient():
    rng = np.random.default_rng(10)
    top, kern = rng.random((2, 4, 3, 3)), rng.random((4, 3, 3, 3))
    g, w = T.tensor4("g"), T.tensor4("w")
    y = T.nnet.conv2d_transpose(g, w, (2, 3, 7, 7), input_dilation=(2, 2))
    got = theano.function([g, w], y)(top, kern)
    assert got.shape == (2, 3, 7, 7)
    img = rng.random((2, 3, 7, 7))
    inner = np.sum(conv2d_loops(img, kern, subsample=(2, 2)) * top)
    assert np.sum(img * got) == pytest.approx(inner, rel=1e-10)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, match", [
    (dict(border_mode="same"), "border_mode"),
    (dict(border_mode=-1), "border_mode"),
    (dict(border_mode=(1, 2, 3)), "border_mode"),
    (dict(subsample=(0, 1)), "subsample"),
    (dict(subsample=2), "subsample"),
    (dict(filter_dilation=(1,)), "filter_dilation"),
    (dict(num_groups=0), "num_groups"),
    (dict(input_shape=(1, 2, 3)), "input_shape"),
])
def test_bad_parameters_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        T.nnet.conv2d(T.tensor4("x"), T.tensor4("w"), **kwargs)


def test_bad_inputs_name_the_argument():
    with pytest.raises(TypeError, match="input must be a 4-d"):
        T.nnet.conv2d(T.matrix("x"), T.tensor4("w"))
    with pytest.raises(TypeError, match="filters must be a 4-d"):
        T.nnet.conv2d(T.tensor4("x"), T.tensor3("w"))
    x = T.TensorType("float64", (None, 3, 4, 4))("x")
    with pytest.raises(ValueError, match="filters"):
        T.nnet.conv2d(x, T.TensorType("float64", (2, 3, 5, 5))("w"))
    with pytest.raises(ValueError, match="num_groups"):
        T.nnet.conv2d(x, T.TensorType("float64", (2, 1, 3, 3))("w"), num_groups=2)


def test_run_time_shape_errors():
    rng = np.random.default_rng(11)
    f = _conv_fn("FAST_COMPILE")
    with pytest.raises(ValueError, match="channels"):
        f(rng.random((1, 3, 5, 5)), rng.random((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="padded input"):
        f(rng.random((1, 2, 2, 5)), rng.random((2, 2, 3, 3)))
    hinted = _conv_fn("FAST_COMPILE", input_shape=(None, 2, 5, 5))
    with pytest.raises(ValueError, match="input_shape"):
        hinted(rng.random((1, 2, 6, 5)), rng.random((2, 2, 3, 3)))
    g, w = T.tensor4("g"), T.tensor4("w")
    with pytest.raises(ValueError, match="input_shape"):
        abstract_conv.conv2d_grad_wrt_inputs(g, w, (1, 2, None, 5))
    bad_top = theano.function([g, w], abstract_conv.conv2d_grad_wrt_inputs(g, w, (1, 2, 5, 5)))
    with pytest.raises(ValueError, match="output_grad"):
        bad_top(rng.random((1, 2, 4, 4)), rng.random((2, 2, 3, 3)))


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(12)
    img, kern = rng.random((2, 2, 5, 5)), rng.random((3, 2, 3, 3))
    before = img.copy(), kern.copy()
    x, w = T.tensor4("x"), T.tensor4("w")
    y = T.nnet.conv2d(x, w, border_mode=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theano.function([x, w], [y] + T.grad(T.sum(y), [x, w]))(img, kern)
    np.testing.assert_array_equal(img, before[0])
    np.testing.assert_array_equal(kern, before[1])


@pytest.mark.parametrize("kwargs", GRAD_CASES, ids=str)
def test_infer_shape_gives_the_run_time_shape(kwargs):
    x, w, g = T.tensor4("x"), T.tensor4("w"), T.tensor4("g")
    groups = kwargs.get("num_groups", 1)
    img, kern = np.zeros((2, 2 * groups, 6, 5)), np.zeros((4, 2, 3, 2))
    top = np.zeros(conv2d_loops(img, kern, **kwargs).shape)
    cases = [(T.nnet.conv2d(x, w, **kwargs), [x, w], (img, kern)),
             (abstract_conv.conv2d_grad_wrt_inputs(g, w, x.shape, **kwargs), [g, w, x],
              (top, kern, img)),
             (abstract_conv.conv2d_grad_wrt_weights(x, g, w.shape, **kwargs), [x, g, w],
              (img, top, kern))]
    for out, inputs, values in cases:
        node = out.owner
        shapes = [tuple(v.shape[i] for i in range(v.ndim)) for v in node.inputs]
        shape = node.op.infer_shape(node, shapes)[0]
        *sizes, value = theano.function(inputs, [*shape, out], on_unused_input="ignore")(*values)
        assert tuple(int(s) for s in sizes) == value.shape


@given(data=st.data(), border_mode=st.sampled_from(BORDER_MODES), flip=st.booleans(),
       groups=st.sampled_from([1, 2]))
def test_gradient_functions_adjoint_property(data, border_mode, flip, groups):
    """The adjoint identity over random geometries (strides leave unused input rows)."""
    draw = data.draw
    n, cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kwargs = dict(border_mode=border_mode, filter_flip=flip, num_groups=groups,
                  subsample=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                  filter_dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))))
    img_shape, kern_shape = (n, cg * groups, h, w), (og * groups, cg, kh, kw)
    out_shape = abstract_conv.get_conv_output_shape(
        img_shape, kern_shape, border_mode, kwargs["subsample"], kwargs["filter_dilation"])
    assume(min(out_shape[2:]) >= 1)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    img, kern, top = rng.random(img_shape), rng.random(kern_shape), rng.random(out_shape)
    g, k, x = T.tensor4("g"), T.tensor4("k"), T.tensor4("x")
    gx, gw = theano.function([g, k, x], [
        abstract_conv.conv2d_grad_wrt_inputs(g, k, img_shape, **kwargs),
        abstract_conv.conv2d_grad_wrt_weights(x, g, kern_shape, **kwargs)])(top, kern, img)
    inner = float(np.sum(conv2d_loops(img, kern, **kwargs) * top))
    assert np.sum(img * gx) == pytest.approx(inner, rel=1e-10, abs=1e-12)
    assert np.sum(kern * gw) == pytest.approx(inner, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_convolution(dtype, forward_path):
    rng = np.random.default_rng(13)
    img = rng.integers(-5, 6, (2, 2, 5, 4)).astype(dtype)
    kern = rng.integers(-3, 4, (3, 2, 2, 3)).astype(dtype)
    got = _conv_fn("FAST_RUN", dtype, border_mode="half", subsample=(2, 1))(img, kern)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, conv2d_loops(img, kern, "half", (2, 1)))


def test_empty_images_with_full_padding():
    """Rows of size 0 padded by 'full' still hold the filters: the output is all zeros."""
    img, kern = np.zeros((2, 1, 0, 3)), np.ones((2, 1, 3, 2))
    got = _conv_fn("FAST_RUN", border_mode="full")(img, kern)
    assert got.shape == (2, 2, 2, 4)
    np.testing.assert_array_equal(got, np.zeros((2, 2, 2, 4)))
