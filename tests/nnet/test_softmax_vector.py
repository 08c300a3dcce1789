"""T.nnet.softmax / log_softmax (Theano 1.0's logsoftmax) as Theano 1.0 defines them: a
vector is padded to a (1, n) row with Theano's DEPRECATION warning, non-floats are a
ValueError, and softmax over a size-1 last dim warns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet import SoftmaxVectorWarning
from tests.strategies import FLOAT_DTYPES, arrays, elements
from tests.tensor.helpers import MODES, run, tol

THEANO_TEXT = ("DEPRECATION: If x is a vector, {} will not automatically pad x anymore in "
               "next releases.")


def _log_softmax(a: np.ndarray) -> np.ndarray:
    a = a.astype("float64")
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=25, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES), n=st.integers(1, 6),
       strided=st.booleans())
def test_log_softmax_of_a_vector_is_a_row(mode, data, dtype, n, strided) -> None:
    a = data.draw(arrays(dtype, (2 * n if strided else n,), elements(dtype, -30, 30)))
    if strided:
        a = a[::2]  # not contiguous
    x = T.vector("x", dtype=dtype)
    for fn in (T.nnet.log_softmax, T.nnet.logsoftmax):
        with pytest.warns(SoftmaxVectorWarning) as record:
            out = fn(x)
        assert str(record[0].message).startswith(THEANO_TEXT.format("LogSoftmax"))
        assert out.ndim == 2 and out.broadcastable == (True, False) and out.dtype == dtype
        got = run([x], out, [a], mode)
        assert got.shape == (1, n) and got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got[0], _log_softmax(a), **tol(dtype))


def test_the_warning_is_theanos_user_warning_and_a_deprecation() -> None:
    x = T.dvector("x")
    for fn, name in ((T.nnet.softmax, "Softmax"), (T.nnet.log_softmax, "LogSoftmax")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(x)
        (w,) = caught
        assert issubclass(w.category, UserWarning) and issubclass(w.category, DeprecationWarning)
        assert str(w.message).startswith(THEANO_TEXT.format(name))
        assert w.filename == __file__  # points at the caller, as Theano's stacklevel does


def test_matrices_are_unchanged_and_silent() -> None:
    x = T.matrix("x", dtype="float32")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(0, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = T.nnet.log_softmax(x)
    for value in a:
        got = run([x], out, [value], "FAST_RUN")
        assert got.shape == value.shape
        np.testing.assert_allclose(got, _log_softmax(value), **tol("float32"))


def test_non_float_inputs_are_a_value_error_as_in_theano() -> None:
    for fn in (T.nnet.softmax, T.nnet.log_softmax):
        with pytest.raises(ValueError, match="tensor of floats, got .*int32"):
            fn(T.ivector("i"))
        with pytest.raises(ValueError, match="tensor of floats"):
            fn(T.lmatrix("m"))


def test_softmax_over_a_broadcastable_last_dim_warns() -> None:
    col = T.TensorType("float64", (None, 1))("col")
    with pytest.warns(UserWarning, match="dimension of shape 1"):
        out = T.nnet.softmax(col)
    np.testing.assert_array_equal(run([col], out, [np.zeros((3, 1))], "FAST_RUN"),
                                  np.ones((3, 1)))


def test_gradients_of_the_vector_case() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoftmaxVectorWarning)
        verify_grad(lambda x: T.nnet.log_softmax(x)[0, 2], [v], rng=rng)
        verify_grad(lambda x: T.nnet.softmax(x)[0, 1], [v], rng=rng)
