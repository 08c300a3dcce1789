"""Every corpus function, compiled, equals its plain numpy call (values, dtype, shape)."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import tensordsl
from tests.frontend import corpus
from tests.frontend.conftest import arguments, available_targets

TARGETS = available_targets()


# Functions whose result amplifies rounding: gram_distances takes the square root of a
# cancelling difference, so where numpy's BLAS cancels to exactly 0 a product summed in
# another order (OpenCL's tiled GEMM) leaves ~eps * |x|^2 and its root ~sqrt(eps) * |x|.
# Their absolute tolerance on targets whose products are not numpy's own: (args) -> atol.
def _gram_atol(args):
    x = np.asarray(args[0], dtype="float64")
    scale = float(np.max(np.sum(x * x, axis=1))) if x.size else 0.0
    return 4.0 * np.sqrt(np.finfo(np.asarray(args[0]).dtype).eps * max(scale, 1.0) * x.shape[1])


CANCELLING = {"gram_distances": _gram_atol}


def assert_same(expected, actual, path="result", atol=None):
    """Compiled result == plain result: container types, dtypes, shapes and values."""
    if isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected), f"{path}: {type(actual)} != {type(expected)}"
        assert len(actual) == len(expected)
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{path}[{i}]", atol)
        return
    if isinstance(expected, (bool, int, float, complex)) and not isinstance(expected,
                                                                            np.generic):
        assert type(actual) is type(expected), f"{path}: {type(actual)} != {type(expected)}"
    e, a = np.asarray(expected), np.asarray(actual)
    assert a.dtype == e.dtype, f"{path}: dtype {a.dtype} != {e.dtype}"
    assert a.shape == e.shape, f"{path}: shape {a.shape} != {e.shape}"
    tol = 2e-4 if e.dtype in (np.float32, np.float16) else 1e-9
    np.testing.assert_allclose(a, e, rtol=tol, atol=max(tol, atol or 0.0), equal_nan=True,
                               err_msg=path)


def test_corpus_size():
    assert len(corpus.CASES) >= 40


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fn,specs", corpus.CASES, ids=[f.__name__ for f, _ in corpus.CASES])
def test_compiled_equals_plain(fn, specs, target):
    compiled = tensordsl.compile(fn, target=target)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(arguments(specs, min_dim=0))
    def check(args):
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's empty-mean warnings
            try:
                expected = fn(*args)
            except (ValueError, IndexError, ZeroDivisionError):
                # numpy refuses (e.g. the max of an empty array): so must the compiled call
                with pytest.raises((ValueError, IndexError, ZeroDivisionError)):
                    compiled(*args)
                return
            actual = compiled(*args)
        cancelling = CANCELLING.get(fn.__name__) if target == "opencl" else None
        assert_same(expected, actual, atol=cancelling(args) if cancelling else None)
        for before, after in zip(copies, args):  # the caller's arrays are untouched
            np.testing.assert_array_equal(before, after)

    check()
