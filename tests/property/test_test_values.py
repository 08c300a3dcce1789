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
from tests.property import (
    test_ops_elemwise,
    test_ops_index,
    test_ops_nnet,
    test_ops_reduce,
    test_ops_shape,
)
from tests.property.harness import OpRecord, assert_matches, ids
from tests.strategies import tensor_types

RECORDS: list[OpRecord] = [r for m in (test_ops_elemwise, test_ops_index, test_ops_nnet,
                                       test_ops_reduce, test_ops_shape)
                           for r in getattr(m, "RECORDS", [])]


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
