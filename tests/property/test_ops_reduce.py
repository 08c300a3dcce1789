"""Property tests: reductions (sum/mean/var/std/max/min/prod/argmax/argmin/all/any)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tests.property.harness import OpRecord, check_record, first, fixed, ids
from tests.strategies import NUMERIC_DTYPES, arrays, shapes

SUM_DTYPE = {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
             "int64": "int64", "float32": "float32", "float64": "float64"}


def sum_dtype(in_dtypes, **_):
    """Theano 1.0: integer sums accumulate in int64; float sums keep their dtype."""
    return SUM_DTYPE[in_dtypes[0]]


def mean_dtype(in_dtypes, **_):
    """Theano 1.0: the mean of integers is float64."""
    return "float64" if in_dtypes[0] in SUM_DTYPE and "int" in in_dtypes[0] else in_dtypes[0]


@st.composite
def axis_args(draw: st.DrawFn, ndim: int, single: bool = False) -> Any:
    """An axis argument: None, an int (maybe negative) or a tuple of distinct axes."""
    if ndim == 0:
        return None
    choices = [st.none(), st.integers(-ndim, ndim - 1)]
    if not single:
        choices.append(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)
                       .map(tuple))
    return draw(st.one_of(*choices))


@st.composite
def reduce_inputs(draw: st.DrawFn, dtypes=NUMERIC_DTYPES, min_side: int = 0,
                  single: bool = False, ddof: bool = False):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(shapes(min_side=min_side))
    x = draw(arrays(dtype, shape))
    params = {"axis": draw(axis_args(len(shape), single)), "keepdims": draw(st.booleans())}
    if ddof:
        params["ddof"] = draw(st.integers(0, 1))
    return [x], params


def _np_axis(axis):
    return axis if axis is None or isinstance(axis, int) else tuple(axis)


def method(name):
    return lambda x, **kw: getattr(x, name)(**kw)


def np_ref(fn, dtype_rule=None):
    def ref(x, axis, keepdims, **kw):
        extra = {"dtype": dtype_rule((x.dtype.name,))} if dtype_rule else {}
        return fn(x, axis=_np_axis(axis), keepdims=keepdims, **extra, **kw)
    return ref


def arg_ref(fn):
    def ref(x, axis, keepdims):
        if axis is None:
            out = fn(x)
            return np.reshape(out, (1,) * x.ndim) if keepdims else out
        return fn(x, axis=axis, keepdims=keepdims)
    return ref


def compute_in(dtype_rule, fn):
    """Reference computed on the input cast to the result dtype (numpy's own float rules)."""
    def ref(x, **kw):
        return fn(x.astype(dtype_rule((x.dtype.name,))), **kw)
    return ref


RECORDS = [
    OpRecord("sum", T.sum, np_ref(np.sum, sum_dtype), sum_dtype, reduce_inputs(), loose=True),
    OpRecord("x.sum", method("sum"), np_ref(np.sum, sum_dtype), sum_dtype,
             reduce_inputs(("bool",) + NUMERIC_DTYPES), loose=True),
    OpRecord("prod", T.prod, np_ref(np.prod, sum_dtype), sum_dtype,
             reduce_inputs(), loose=True),
    OpRecord("x.prod", method("prod"), np_ref(np.prod, sum_dtype), sum_dtype, reduce_inputs(),
             loose=True),
    OpRecord("mean", T.mean, compute_in(mean_dtype, np_ref(np.mean)), mean_dtype,
             reduce_inputs(), loose=True),
    OpRecord("x.mean", method("mean"), compute_in(mean_dtype, np_ref(np.mean)), mean_dtype,
             reduce_inputs(), loose=True),
    OpRecord("var", T.var, compute_in(mean_dtype, np_ref(np.var)), mean_dtype,
             reduce_inputs(min_side=2, ddof=True), loose=True),
    OpRecord("x.var", method("var"), compute_in(mean_dtype, np_ref(np.var)), mean_dtype,
             reduce_inputs(min_side=2, ddof=True), loose=True),
    OpRecord("std", T.std, compute_in(mean_dtype, np_ref(np.std)), mean_dtype,
             reduce_inputs(min_side=2, ddof=True), loose=True),
    OpRecord("x.std", method("std"), compute_in(mean_dtype, np_ref(np.std)), mean_dtype,
             reduce_inputs(min_side=2, ddof=True), loose=True),
    OpRecord("max", T.max, np_ref(np.max), first, reduce_inputs(min_side=1)),
    OpRecord("x.max", method("max"), np_ref(np.max), first, reduce_inputs(min_side=1)),
    OpRecord("min", T.min, np_ref(np.min), first, reduce_inputs(min_side=1)),
    OpRecord("x.min", method("min"), np_ref(np.min), first, reduce_inputs(min_side=1)),
    OpRecord("argmax", T.argmax, arg_ref(np.argmax), fixed("int64"),
             reduce_inputs(min_side=1, single=True)),
    OpRecord("x.argmax", method("argmax"), arg_ref(np.argmax), fixed("int64"),
             reduce_inputs(min_side=1, single=True)),
    OpRecord("argmin", T.argmin, arg_ref(np.argmin), fixed("int64"),
             reduce_inputs(min_side=1, single=True)),
    OpRecord("x.argmin", method("argmin"), arg_ref(np.argmin), fixed("int64"),
             reduce_inputs(min_side=1, single=True)),
    OpRecord("all", T.all, np_ref(np.all), fixed("bool"),
             reduce_inputs(("bool",) + NUMERIC_DTYPES)),
    OpRecord("any", T.any, np_ref(np.any), fixed("bool"),
             reduce_inputs(("bool",) + NUMERIC_DTYPES)),
]


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@given(data=st.data())
def test_reduction_matches_numpy(record: OpRecord, data: st.DataObject) -> None:
    check_record(record, data)


EMPTY_OK = [("sum", 0), ("prod", 1)]


@pytest.mark.parametrize("name,identity", EMPTY_OK)
@given(dtype=st.sampled_from(NUMERIC_DTYPES), n=st.integers(0, 3))
def test_sum_and_prod_of_empty_axes_give_the_identity(name, identity, dtype, n):
    x = T.tensor(dtype, (None, None), name="x")
    f = tensordsl.function([x], getattr(T, name)(x, axis=0), mode="FAST_COMPILE")
    out = f(np.zeros((0, n), dtype=dtype))
    np.testing.assert_array_equal(out, np.full((n,), identity))
    assert out.dtype.name == SUM_DTYPE[dtype]


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_reductions_without_identity_refuse_empty_input(name):
    x = T.dmatrix("x")
    f = tensordsl.function([x], getattr(T, name)(x, axis=0), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros((0, 3)))


def test_axis_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="axis 2 is out of range for a 2-d"):
        T.sum(T.dmatrix("x"), axis=2)


def test_argmax_takes_one_axis():
    with pytest.raises(ValueError, match=r"argmax: axis must be None or one axis, got \(0, 1\)"):
        T.argmax(T.dmatrix("x"), axis=(0, 1))
    with pytest.raises(ValueError, match="repeated axis"):
        T.sum(T.dmatrix("x"), axis=(0, 0))
