"""The decorator returns exactly numpy's dtypes (NEP 50 weak Python scalars)."""

import numpy as np
import pytest

import tensordsl
from tests.frontend.test_corpus import assert_same


def exp_(x):
    return np.exp(x)


def true_div(x, y):
    return x / y


def floor_div(x, y):
    return x // y


def sum_(x):
    return x.sum()


def mean_(x):
    return np.mean(x)


def var_(x):
    return x.var()


def mul_python_float(x):
    return x * 2.5


def add_python_int(x):
    return x + 3


def pow_int(x):
    return x ** 2


def mixed(x, y):
    return x * y + 1


def maximum_(x, y):
    return np.maximum(x, y)


def where_scalar(x):
    return np.where(x > 1, x, 0.5)


def compare(x, y):
    return x < y


def prod_(x):
    return np.prod(x, axis=0)


def sqrt_weak(x, a):
    return np.sqrt(x) * a


DTYPES = ["bool", "int8", "int32", "int64", "uint8", "float32", "float64"]
UNARY = [exp_, sum_, mean_, var_, mul_python_float, add_python_int, pow_int, where_scalar,
         prod_]
BINARY = [true_div, floor_div, mixed, maximum_, compare]


def _values(dtype, shift=0):
    return (np.arange(1, 5) + shift).astype(dtype)


def _check(fn, *args):
    with np.errstate(all="ignore"):
        try:
            expected = fn(*args)
        except (TypeError, ValueError, ArithmeticError) as err:
            with pytest.raises((TypeError, ValueError, ArithmeticError, tensordsl.CompileError)):
                tensordsl.compile(fn)(*args)
            return err
        actual = tensordsl.compile(fn)(*args)
    assert_same(expected, actual)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", UNARY, ids=[f.__name__ for f in UNARY])
def test_unary_dtypes(fn, dtype):
    _check(fn, _values(dtype))


@pytest.mark.parametrize("dtype_b", DTYPES)
@pytest.mark.parametrize("dtype_a", DTYPES)
@pytest.mark.parametrize("fn", BINARY, ids=[f.__name__ for f in BINARY])
def test_binary_dtypes(fn, dtype_a, dtype_b):
    _check(fn, _values(dtype_a), _values(dtype_b, 1))


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_weak_scalar_arguments(dtype, scalar):
    _check(sqrt_weak, _values(dtype), scalar)
    _check(mixed, _values(dtype), scalar)
