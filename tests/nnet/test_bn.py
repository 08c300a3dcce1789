"""theano.tensor.nnet.bn (Theano 1.0): batch_normalization_train / _test and
batch_normalization against numpy, their gradients by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet import bn

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def _norm_axes(axes, ndim):
    if axes == "per-activation":
        return (0,)
    if axes == "spatial":
        return (0,) + tuple(range(2, ndim))
    return tuple(sorted(axes))


def _numpy_train(x, gamma, beta, axes, eps, factor, rmean, rvar, reduced):
    """Theano 1.0's documented formulas, in float64."""
    ax = _norm_axes(axes, x.ndim)
    kept = tuple(i for i in range(x.ndim) if i not in ax)
    x64 = x.astype("float64")

    def full(p):
        return np.expand_dims(p, ax) if reduced else p

    mean = x64.mean(ax, keepdims=True)
    var = x64.var(ax, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    out = (x64 - mean) * full(gamma) * invstd + full(beta)
    m = np.prod([x.shape[a] for a in ax])
    new_mean = full(rmean) * (1 - factor) + mean * factor
    with np.errstate(divide="ignore", invalid="ignore"):  # m = 1: nan, as in Theano
        new_var = full(rvar) * (1 - factor) + (m / (m - 1)) * var * factor

    def back(t):
        return t.reshape([t.shape[i] for i in kept]) if reduced else t

    return out, back(mean), back(invstd), back(new_mean), back(new_var)


def _param_shape(shape, axes, reduced):
    ax = _norm_axes(axes, len(shape))
    if reduced:
        return tuple(s for i, s in enumerate(shape) if i not in ax)
    return tuple(1 if i in ax else s for i, s in enumerate(shape))


def _var(shape, dtype, name):
    return T.TensorType(dtype, (None,) * len(shape))(name)


@settings(max_examples=30, deadline=None)
@given(dtype=st.sampled_from(["float32", "float64"]),
       case=st.sampled_from([((5, 3), "per-activation"), ((4, 3, 2, 3), "spatial"),
                             ((4, 3, 2, 3), "per-activation"), ((3, 4, 5), (0, 2)),
                             ((2, 1, 3), (1,)), ((6, 2, 2), [2, 0])]),
       reduced=st.booleans(), running=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_train_matches_numpy(dtype, case, reduced, running, seed):
    shape, axes = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    pshape = _param_shape(shape, axes, reduced)
    gamma, beta, rmean = (rng.standard_normal(pshape).astype(dtype) for _ in range(3))
    rvar = rng.random(pshape).astype(dtype) + 0.5
    names = ["x", "gamma", "beta", "rmean", "rvar"]
    syms = [_var(v.shape, dtype, n) for v, n in zip((x, gamma, beta, rmean, rvar), names)]
    kwargs = dict(running_mean=syms[3], running_var=syms[4]) if running else {}
    outs = bn.batch_normalization_train(*syms[:3], axes=axes, epsilon=1e-3,
                                        running_average_factor=0.3, **kwargs)
    assert len(outs) == (5 if running else 3)
    inputs = syms if running else syms[:3]
    got = theano.function(inputs, list(outs))(*[x, gamma, beta, rmean, rvar][:len(inputs)])
    want = _numpy_train(x, gamma, beta, axes, 1e-3, 0.3, rmean, rvar, reduced)
    for g, w in zip(got, want):
        assert g.dtype == dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, **TOL[dtype])


@pytest.mark.parametrize("reduced", [True, False])
def test_test_mode_matches_numpy(reduced):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 2, 2))
    pshape = _param_shape(x.shape, "spatial", reduced)
    gamma, beta, mean = (rng.standard_normal(pshape) for _ in range(3))
    var = rng.random(pshape) + 0.1
    syms = [_var(v.shape, "float64", n) for v, n in
            zip((x, gamma, beta, mean, var), "xgbmv")]
    out = bn.batch_normalization_test(*syms, axes="spatial", epsilon=1e-4)
    got = theano.function(syms, out)(x, gamma, beta, mean, var)

    def full(p):
        return p.reshape(1, 3, 1, 1)

    want = (x - full(mean)) * full(gamma) / np.sqrt(full(var) + 1e-4) + full(beta)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["low_mem", "high_mem"])
def test_batch_normalization_matches_numpy(mode):
    rng = np.random.default_rng(2)
    x, g, b, m = (rng.standard_normal((5, 4)) for _ in range(4))
    s = rng.random((5, 4)) + 0.5
    syms = [T.dmatrix(n) for n in "xgbms"]
    f = theano.function(syms, T.nnet.batch_normalization(*syms, mode=mode))
    np.testing.assert_allclose(f(x, g, b, m, s), (x - m) / s * g + b, rtol=1e-12)
    with pytest.raises(ValueError, match="low_mem"):
        bn.batch_normalization(*syms, mode="fast")


@pytest.mark.parametrize("axes,reduced", [("per-activation", True), ("spatial", False),
                                          ((0, 2), True)])
def test_verify_grad_of_train_outputs(axes, reduced):
    rng = np.random.default_rng(3)
    shape = (4, 3, 2, 2) if axes == "spatial" else (5, 3, 2)
    pshape = _param_shape(shape, axes, reduced)
    vals = [rng.standard_normal(shape), rng.standard_normal(pshape),
            rng.standard_normal(pshape)]
    weights = [rng.standard_normal(s) for s in (shape, pshape, pshape)]

    def cost(x, g, b):
        out, mean, invstd = bn.batch_normalization_train(x, g, b, axes=axes)
        # every output reaches the cost, weighted so no gradient cancels
        return (T.sum(out * weights[0]) + T.sum(mean * weights[1])
                + T.sum(invstd * weights[2]))

    verify_grad(cost, vals, rng=rng)


def test_verify_grad_of_test_mode():
    rng = np.random.default_rng(4)
    vals = [rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3),
            rng.standard_normal(3), rng.random(3) + 0.5]
    verify_grad(lambda x, g, b, m, v: bn.batch_normalization_test(x, g, b, m, v), vals,
                rng=rng)


def test_static_shapes_and_bad_arguments():
    x, v, m = T.tensor4("x"), T.dvector("v"), T.dmatrix("m")
    with pytest.raises(ValueError, match="gamma and beta dimensionality"):
        bn.batch_normalization_train(x, m, m)
    with pytest.raises(ValueError, match="both be given"):
        bn.batch_normalization_train(x, v, v, "spatial", running_mean=v)
    with pytest.raises(ValueError, match="running_var must be of the same dimensionality"):
        bn.batch_normalization_train(x, v, v, "spatial", running_mean=v, running_var=m)
    with pytest.raises(ValueError, match="epsilon must be at least 1e-5"):
        bn.batch_normalization_train(x, v, v, "spatial", epsilon=1e-6)
    with pytest.raises(ValueError, match="axes should be less than ndim"):
        bn.batch_normalization_train(x, v, v, (0, 4))
    with pytest.raises(ValueError, match="axes must be"):
        bn.batch_normalization_train(x, v, v, "channel")
    with pytest.raises(ValueError, match="mean and var|mean must be of the same"):
        bn.batch_normalization_test(x, v, v, m, v, "spatial")
    # a full-ndim parameter with a known size != 1 on a normalized axis
    g = T.TensorType("float64", (2, 3, 1, 1))("g")
    with pytest.raises(ValueError, match="size 1 on the normalized axes"):
        bn.batch_normalization_train(x, g, g, "spatial")
    # unknown sizes are checked at run time
    full = T.tensor4("full")
    f = theano.function([x, full], bn.batch_normalization_train(x, full, full, "spatial")[0])
    with pytest.raises(ValueError):
        f(np.ones((2, 3, 2, 2)), np.ones((2, 3, 1, 1)))
    np.testing.assert_allclose(f(np.arange(24.0).reshape(2, 3, 2, 2), np.ones((1, 3, 1, 1))),
                               _numpy_train(np.arange(24.0).reshape(2, 3, 2, 2),
                                            np.ones((1, 3, 1, 1)), np.ones((1, 3, 1, 1)),
                                            "spatial", 1e-4, 0.1, np.zeros((1, 3, 1, 1)),
                                            np.ones((1, 3, 1, 1)), False)[0], rtol=1e-12)


def test_epsilon_is_checked_in_floatx_as_theano():
    x, v = T.fmatrix("x"), T.fvector("v")
    with config.change_flags(floatX="float32"):
        # numpy.float32(1e-5) < 1e-5: Theano rejects it under floatX=float32
        with pytest.raises(ValueError, match="epsilon"):
            bn.batch_normalization_train(x, v, v, epsilon=1e-5)
    out = bn.batch_normalization_train(x, v, v, epsilon=1e-5)
    assert all(o.dtype == "float32" for o in out)
