"""nlinalg.pinv / svd / qr / norm / matrix_power and slinalg.expm / kron (Theano 1.0)
against numpy and scipy, with gradients by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor import nlinalg, slinalg

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def _mat(dtype="float64", name="x"):
    return T.TensorType(dtype, (None, None))(name)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 5), n=st.integers(1, 5), dtype=st.sampled_from(["float32", "float64"]),
       full=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_pinv_svd_qr_match_numpy(m, n, dtype, full, seed):
    a = np.random.default_rng(seed).standard_normal((m, n)).astype(dtype)
    x = _mat(dtype)
    outs = [nlinalg.pinv(x), *nlinalg.svd(x, full), nlinalg.svd(x, compute_uv=False),
            *nlinalg.qr(x), nlinalg.qr(x, "r"), *nlinalg.qr(x, "complete")]
    got = theano.function([x], outs)(a)
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    q, r = np.linalg.qr(a)
    qc, rc = np.linalg.qr(a, "complete")
    want = [np.linalg.pinv(a), u, s, vh, s, q, r, np.linalg.qr(a, "r"), qc, rc]
    for g, w in zip(got, want):
        assert g.dtype == dtype and g.shape == w.shape
    np.testing.assert_allclose(got[0], want[0], **TOL[dtype])
    # singular vectors are unique up to sign: check the factorizations instead
    np.testing.assert_allclose(got[2], s, **TOL[dtype])
    k = min(m, n)
    np.testing.assert_allclose((got[1][:, :k] * got[2]) @ got[3][:k], a, **TOL[dtype])
    np.testing.assert_allclose(got[4], s, **TOL[dtype])
    np.testing.assert_allclose(got[5] @ got[6], a, **TOL[dtype])
    np.testing.assert_allclose(np.abs(got[7]), np.abs(r), **TOL[dtype])
    np.testing.assert_allclose(got[8] @ got[9], a, **TOL[dtype])


def test_raw_qr_and_errors():
    a = np.random.default_rng(0).standard_normal((4, 3))
    x = _mat()
    h, tau = theano.function([x], nlinalg.qr(x, "raw"))(a)
    wh, wtau = np.linalg.qr(a, "raw")
    np.testing.assert_allclose(h, wh, rtol=1e-12)
    np.testing.assert_allclose(tau, wtau, rtol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        nlinalg.qr(x, "economic")
    with pytest.raises(TypeError, match="matrix"):
        nlinalg.pinv(T.dvector())
    with pytest.raises(NotImplementedError, match="not implemented"):
        theano.grad(T.sum(nlinalg.svd(x, compute_uv=False)), x)
    with pytest.raises(NotImplementedError, match="not implemented"):
        theano.grad(T.sum(nlinalg.qr(x)[1]), x)


VECTOR_ORDS = [None, "inf", "-inf", np.inf, -np.inf, 0, 1, 2, 3, 0.5]
MATRIX_ORDS = [None, "fro", "inf", "-inf", np.inf, 1, -1]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norms(ord):
    v = T.dvector("v")
    for vv in (np.array([3.0, -4.0, 0.0, 1.5]), np.array([-2.0])):
        want = np.linalg.norm(vv, float(ord) if isinstance(ord, str) else ord)
        got = theano.function([v], nlinalg.norm(v, ord))(vv)
        assert got == pytest.approx(want, rel=1e-12)
    if ord not in (0, "inf", "-inf", np.inf, -np.inf):
        verify_grad(lambda w: nlinalg.norm(w, ord), [np.array([3.0, -4.0, 0.7, 1.5])])


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norms(ord):
    a = np.random.default_rng(1).standard_normal((3, 4))
    x = _mat()
    want = np.linalg.norm(a, float(ord) if isinstance(ord, str) and ord != "fro" else ord)
    assert theano.function([x], nlinalg.norm(x, ord))(a) == pytest.approx(want, rel=1e-12)
    verify_grad(lambda m: nlinalg.norm(m, ord), [a])


def test_norm_errors_and_integer_count():
    assert theano.function([v := T.dvector()], nlinalg.norm(v, 0))(np.array([0, 2.0, 0])) \
        .dtype == np.int64
    with pytest.raises(ValueError, match="out of bounds"):
        nlinalg.norm(T.dscalar(), None)
    with pytest.raises(NotImplementedError, match="ndim > 2"):
        nlinalg.norm(T.dtensor3(), None)
    with pytest.raises(ValueError, match="Invalid norm order for matrices"):
        nlinalg.norm(_mat(), 2)
    with pytest.raises(ValueError, match="Invalid norm order for vectors"):
        nlinalg.norm(T.dvector(), "nuc")


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 3, 4, 7])
def test_matrix_power(n):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    x = _mat()
    np.testing.assert_allclose(theano.function([x], nlinalg.matrix_power(x, n))(a),
                               np.linalg.matrix_power(a, n), rtol=1e-10, atol=1e-12)
    if n != 0:
        verify_grad(lambda m: nlinalg.matrix_power(m, n), [a], rng=rng)
    with pytest.raises(TypeError, match="int"):
        nlinalg.matrix_power(x, 1.5)


def test_pinv_gradient():
    rng = np.random.default_rng(3)
    for shape in [(3, 3), (4, 2), (2, 5)]:
        verify_grad(nlinalg.pinv, [rng.standard_normal(shape)], rng=rng)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_expm_matches_scipy(n, seed):
    a = np.random.default_rng(seed).standard_normal((n, n))
    x = _mat()
    np.testing.assert_allclose(theano.function([x], slinalg.expm(x))(a), scipy.linalg.expm(a),
                               rtol=1e-10, atol=1e-12)


def test_expm_gradient():
    rng = np.random.default_rng(4)
    verify_grad(slinalg.expm, [rng.standard_normal((3, 3))], rng=rng)
    with pytest.raises(ValueError, match="square"):
        theano.function([x := _mat()], slinalg.expm(x))(np.ones((2, 3)))


@pytest.mark.parametrize("shapes", [((2, 3), (4, 2)), ((3,), (2, 2)), ((2, 2), (3,)),
                                    ((2, 1, 2), (3, 2)), ((1, 3), (2, 1, 2))], ids=str)
def test_kron_matches_numpy(shapes):
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal(s) for s in shapes)
    x = T.TensorType("float64", (None,) * a.ndim)("a")
    y = T.TensorType("float64", (None,) * b.ndim)("b")
    got = theano.function([x, y], slinalg.kron(x, y))(a, b)
    np.testing.assert_allclose(got, np.kron(a, b), rtol=1e-12)
    verify_grad(slinalg.kron, [a, b], rng=rng)


def test_kron_needs_three_dims():
    with pytest.raises(TypeError, match="sum to 3 or more"):
        slinalg.kron(T.dvector(), T.dvector())
