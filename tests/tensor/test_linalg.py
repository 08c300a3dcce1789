"""theano.tensor.nlinalg / slinalg: matrix_inverse, det, eigh, cholesky, solve, trace,
diag (ExtractDiag / AllocDiag), against numpy/scipy, gradients by verify_grad."""

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
from tests.strategies import NUMERIC_DTYPES, arrays, shapes
from tests.tensor.helpers import MODES, run

SETTINGS = settings(max_examples=25, deadline=None)
GRAD_SETTINGS = settings(max_examples=10, deadline=None)
FLOATS = ("float32", "float64")


def _rtol(dtype: str) -> float:
    return 2e-4 if dtype == "float32" else 1e-9


def _general(seed: int, n: int, dtype: str = "float64") -> np.ndarray:
    """A well-conditioned square matrix (diagonally dominated)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, n)) + 3 * n * np.eye(n)).astype(dtype)


def _spd(seed: int, n: int, dtype: str = "float64") -> np.ndarray:
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(n, n))
    return (b @ b.T + n * np.eye(n)).astype(dtype)


def _layout(a: np.ndarray, transposed: bool) -> np.ndarray:
    """The same matrix, C-ordered or as a transposed (Fortran-ordered) view."""
    return np.ascontiguousarray(a.T).T if transposed else a


def test_module_paths() -> None:
    from tensordsl.tensor.nlinalg import matrix_inverse
    from tensordsl.tensor.slinalg import cholesky

    assert theano.tensor.nlinalg.matrix_inverse is matrix_inverse
    assert theano.tensor.slinalg.cholesky is cholesky


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(seed=st.integers(0, 2**16), n=st.integers(0, 5), dtype=st.sampled_from(FLOATS),
       transposed=st.booleans())
def test_inverse_det(mode, seed, n, dtype, transposed) -> None:
    a = _layout(_general(seed, n, dtype), transposed)
    x = T.matrix("x", dtype=dtype)
    inv, det = run([x], [nlinalg.matrix_inverse(x), nlinalg.det(x)], [a], mode)
    assert inv.dtype == det.dtype == np.dtype(dtype)
    a64 = a.astype("float64")
    np.testing.assert_allclose(inv, np.linalg.inv(a64), rtol=_rtol(dtype), atol=1e-6)
    np.testing.assert_allclose(det, np.linalg.det(a64), rtol=_rtol(dtype) * 10)


def test_inverse_det_int_input_is_float64() -> None:
    x = T.imatrix("x")
    assert nlinalg.matrix_inverse(x).dtype == "float64" == nlinalg.det(x).dtype
    a = np.array([[2, 1], [1, 3]], dtype="int32")
    np.testing.assert_allclose(theano.function([x], nlinalg.det(x))(a), 5.0)


@GRAD_SETTINGS
@given(seed=st.integers(0, 2**16), n=st.integers(1, 4))
def test_inverse_det_grad(seed, n) -> None:
    a = _general(seed, n)
    verify_grad(nlinalg.matrix_inverse, [a])
    verify_grad(nlinalg.det, [a])


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(seed=st.integers(0, 2**16), n=st.integers(0, 5), uplo=st.sampled_from("LU"),
       dtype=st.sampled_from(FLOATS))
def test_eigh(mode, seed, n, uplo, dtype) -> None:
    a = np.random.default_rng(seed).normal(size=(n, n)).astype(dtype)  # not symmetric:
    x = T.matrix("x", dtype=dtype)  # eigh reads one triangle, as numpy does
    w, v = run([x], nlinalg.eigh(x, uplo), [a], mode)
    want_w, want_v = np.linalg.eigh(a.astype("float64"), uplo)
    np.testing.assert_allclose(w, want_w, rtol=_rtol(dtype) * 10, atol=1e-4)
    sym = np.tril(a) + np.tril(a, -1).T if uplo == "L" else np.triu(a) + np.triu(a, 1).T
    # eigenvectors are defined up to sign: check the decomposition itself
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, sym, atol=1e-3 if dtype == "float32"
                               else 1e-9)
    np.testing.assert_allclose(np.abs(v.T @ want_v), np.eye(n), atol=1e-3)


@GRAD_SETTINGS
@given(seed=st.integers(0, 2**16), n=st.integers(1, 4), uplo=st.sampled_from("LU"))
def test_eigh_grad(seed, n, uplo) -> None:
    a = np.random.default_rng(seed).normal(size=(n, n))
    # Theano's test: through x x^T (symmetric, distinct eigenvalues almost surely)
    verify_grad(lambda x: nlinalg.eigh(T.dot(x, x.T), uplo)[0], [a])
    verify_grad(lambda x: nlinalg.eigh(T.dot(x, x.T), uplo)[1], [a], abs_tol=1e-3,
                rel_tol=1e-3)
    # one triangle only: the raw input, not symmetrised
    verify_grad(lambda x: nlinalg.eigh(x, uplo)[0], [a + a.T])


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(seed=st.integers(0, 2**16), n=st.integers(0, 5), lower=st.booleans(),
       dtype=st.sampled_from(FLOATS))
def test_cholesky(mode, seed, n, lower, dtype) -> None:
    a = _spd(seed, n, dtype)
    x = T.matrix("x", dtype=dtype)
    got = run([x], slinalg.Cholesky(lower)(x), [a], mode)
    np.testing.assert_allclose(got, scipy.linalg.cholesky(a.astype("float64"), lower=lower),
                               rtol=_rtol(dtype) * 10, atol=1e-5)


def test_cholesky_not_positive_definite() -> None:
    x = T.dmatrix("x")
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        theano.function([x], slinalg.cholesky(x))(-np.eye(2))


@GRAD_SETTINGS
@given(seed=st.integers(0, 2**16), n=st.integers(1, 4), lower=st.booleans())
def test_cholesky_grad(seed, n, lower) -> None:
    a = np.random.default_rng(seed).normal(size=(n, n))
    # Theano's test: through a symmetric positive-definite function of the input
    verify_grad(lambda x: slinalg.Cholesky(lower)(T.dot(x, x.T) + n * T.eye(n)), [a])


@st.composite
def solve_case(draw):
    n = draw(st.integers(0, 4))
    seed = draw(st.integers(0, 2**16))
    structure = draw(st.sampled_from(("general", "symmetric", "lower_triangular",
                                      "upper_triangular")))
    a = _spd(seed, n) if structure == "symmetric" else _general(seed, n)
    b_shape = (n,) if draw(st.booleans()) else (n, draw(st.integers(0, 3)))
    b = np.random.default_rng(seed + 1).normal(size=b_shape)
    return structure, a, b


def _solve_ref(structure: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if structure == "lower_triangular":
        a = np.tril(a)
    elif structure == "upper_triangular":
        a = np.triu(a)
    return np.linalg.solve(a, b) if a.size else np.zeros(b.shape)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(case=solve_case())
def test_solve(mode, case) -> None:
    structure, a, b = case
    x, y = T.dmatrix("a"), T.tensor("float64", (None,) * b.ndim, name="b")
    lower = structure == "lower_triangular"
    got = run([x, y], slinalg.Solve(structure, lower)(x, y), [a, b], mode)
    np.testing.assert_allclose(got, _solve_ref(structure, a, b), rtol=1e-8, atol=1e-10)
    helper = {"general": slinalg.solve, "symmetric": slinalg.solve_symmetric,
              "lower_triangular": slinalg.solve_lower_triangular,
              "upper_triangular": slinalg.solve_upper_triangular}[structure]
    got = run([x, y], helper(x, y), [a, b], mode)
    np.testing.assert_allclose(got, _solve_ref(structure, a, b), rtol=1e-8, atol=1e-10)


@GRAD_SETTINGS
@given(case=solve_case())
def test_solve_grad(case) -> None:
    structure, a, b = case
    if a.size == 0:
        return
    op = slinalg.Solve(structure, structure == "lower_triangular")
    if structure == "symmetric":  # keep the perturbed matrix symmetric, as Theano's test
        verify_grad(lambda p, q: op(p + p.T, q), [a / 2, b])
    else:
        verify_grad(op, [a, b])


def test_solve_errors() -> None:
    with pytest.raises(TypeError, match="expected a matrix"):
        slinalg.solve(T.dvector("v"), T.dvector("b"))
    with pytest.raises(ValueError, match="A_structure"):
        slinalg.Solve("banded")
    a, b = T.dmatrix("a"), T.dvector("b")
    with pytest.raises(ValueError, match="do not match"):
        theano.function([a, b], slinalg.solve(a, b))(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match="square"):
        theano.function([a], nlinalg.det(a))(np.ones((2, 3)))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_trace_and_diag(mode, data, dtype) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes(min_dims=2, max_dims=3))))
    v = data.draw(arrays(dtype, data.draw(shapes(min_dims=1, max_dims=1))))
    k = data.draw(st.integers(-3, 3))
    axis1, axis2 = data.draw(st.permutations(range(a.ndim)))[:2]
    x = T.tensor(dtype, (None,) * a.ndim, name="x")
    y = T.tensor(dtype, (None,), name="v")
    outs = [nlinalg.diag(y), T.diag(y, k), T.diag(x, k), T.diagonal(x, k, axis1, axis2)]
    if a.ndim == 2:
        outs.append(nlinalg.trace(x))
    got = run([x, y], outs, [a, v], mode)
    np.testing.assert_array_equal(got[0], np.diag(v))
    np.testing.assert_array_equal(got[1], np.diag(v, k))
    np.testing.assert_array_equal(got[2], np.diagonal(a, k))
    np.testing.assert_array_equal(got[3], np.diagonal(a, k, axis1, axis2))
    if a.ndim == 2:
        np.testing.assert_array_equal(got[4], np.trace(a).astype(got[4].dtype))


@GRAD_SETTINGS
@given(data=st.data())
def test_trace_and_diag_grad(data) -> None:
    a = data.draw(arrays("float64", data.draw(shapes(min_dims=2, max_dims=3, min_side=1,
                                                     max_side=4))))
    k = data.draw(st.integers(-2, 2))
    axis1, axis2 = data.draw(st.permutations(range(a.ndim)))[:2]
    verify_grad(lambda x: T.diagonal(x, k, axis1, axis2), [a])
    verify_grad(lambda x: T.diag(x, k), [a[..., 0] if a.ndim == 3 else a[0]])
    if a.ndim == 2:
        verify_grad(nlinalg.trace, [a])


def test_tri_tril_triu() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(size=(3, 5))
    x = T.dmatrix("x")
    for k in (-2, 0, 1):
        f = theano.function([x], [T.tril(x, k), T.triu(x, k), T.tri(3, 5, k)])
        lo, up, t = f(a)
        np.testing.assert_array_equal(lo, np.tril(a, k))
        np.testing.assert_array_equal(up, np.triu(a, k))
        np.testing.assert_array_equal(t, np.tri(3, 5, k))


def test_matrix_dot() -> None:
    rng = np.random.default_rng(6)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    x, y, z = T.dmatrices("x", "y", "z")
    got = theano.function([x, y, z], nlinalg.matrix_dot(x, y, z))(a, b, c)
    np.testing.assert_allclose(got, a @ b @ c, rtol=1e-12)
