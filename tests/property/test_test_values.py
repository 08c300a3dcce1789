"""config.compute_test_value over the property suites' op tables: with the drawn inputs
as test values, building each expression in 'raise' mode evaluates it eagerly, and the
output's tag.test_value equals numpy's result (value and dtype)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tests.property import (
    test_ops_elemwise,
    test_ops_nnet,
    test_ops_reduce,
    test_ops_shape,
)
from tests.property.harness import OpRecord, assert_matches, ids
from tests.strategies import tensor_types

RECORDS: list[OpRecord] = [r for m in (test_ops_elemwise, test_ops_nnet, test_ops_reduce,
                                       test_ops_shape) for r in m.RECORDS]


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_test_value_equals_numpy(record: OpRecord, data: st.DataObject) -> None:
    values, params = data.draw(record.inputs, label="inputs")
    in_dtypes = tuple(v.dtype.name for v in values)
    types = [data.draw(tensor_types(v.dtype.name, v.shape), label=f"type{i}")
             for i, v in enumerate(values)]
    variables = [t(f"x{i}") for i, t in enumerate(types)]
    for var, value in zip(variables, values):
        var.tag.test_value = value
    expected_dtype = record.out_dtype(in_dtypes, **params)
    with tensordsl.config.change_flags(compute_test_value="raise"), np.errstate(all="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = record.build(*variables, **params)
    ref_args = [v.astype(expected_dtype) if record.compute_in_out else v for v in values]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.asarray(record.ref(*ref_args, **params)).astype(expected_dtype)
    tol = "float32" if record.loose and "float32" in in_dtypes else None
    assert_matches(np.asarray(out.tag.test_value), want, expected_dtype, record.loose,
                   record.name, tol)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_indexing_test_values(data: st.DataObject, dtype: str) -> None:
    """Basic and integer-array indexing and inc_subtensor, eagerly, against numpy."""
    n, m = data.draw(st.integers(1, 5)), data.draw(st.integers(0, 4))
    a = np.arange(n * m, dtype=dtype).reshape(n, m)
    start = data.draw(st.integers(-n, n - 1))
    step = data.draw(st.sampled_from([1, 2, -1]))
    rows = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), max_size=4)), dtype="int64")
    x, idx = T.matrix("x", dtype=dtype), T.lvector("idx")
    x.tag.test_value, idx.tag.test_value = a, rows
    with tensordsl.config.change_flags(compute_test_value="raise"):
        basic = x[start::step, ::-1]
        advanced = x[idx]
        inc = T.inc_subtensor(x[idx], 1)
    np.testing.assert_array_equal(basic.tag.test_value, a[start::step, ::-1])
    np.testing.assert_array_equal(advanced.tag.test_value, a[rows])
    want = a.copy()
    np.add.at(want, rows, 1)
    np.testing.assert_array_equal(inc.tag.test_value, want)
    np.testing.assert_array_equal(x.tag.test_value, np.arange(n * m, dtype=dtype).reshape(n, m))
