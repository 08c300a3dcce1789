"""The property suites' op-record tables (elementwise, nnet, reductions, shape ops) run
through `tensordsl.function` with FAST_RUN's rewrites on the OpenCL backend, against
numpy: every op of the reference backend, compiled to OpenCL or run on the host."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.property import test_ops_elemwise, test_ops_nnet, test_ops_reduce, test_ops_shape
from tests.property.harness import check_record, ids

from .helpers import needs_opencl, opencl_mode

pytestmark = needs_opencl

RECORDS = (test_ops_elemwise.RECORDS + test_ops_nnet.RECORDS + test_ops_reduce.RECORDS
           + test_ops_shape.RECORDS)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_record_matches_numpy_on_opencl(record, data):
    check_record(record, data, mode=opencl_mode())
