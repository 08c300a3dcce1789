"""Property tests: T.nnet (sigmoid, softmax, relu, binary and categorical cross-entropy)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tensordsl import tensor as T
from tests.property.harness import (
    OpRecord,
    check_record,
    elemwise_inputs,
    first,
    float_of,
    ids,
    upcast,
)
from tests.strategies import FLOAT_DTYPES, NUMERIC_DTYPES, arrays, elements, shapes


def softmax_ref(x):
    x = x.astype("float64")
    if x.ndim == 1:  # Theano 1.0: softmax of a vector is a (1, n) row
        x = x[None, :]
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def bce_ref(p, t):
    p, t = p.astype("float64"), t.astype("float64")
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


@st.composite
def softmax_inputs(draw):
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    shape = draw(shapes(min_dims=1, max_dims=2, min_side=1))
    return [draw(arrays(dtype, shape, elements(dtype, -50, 50)))], {}


@st.composite
def distributions(draw, dtype, rows, cols):
    raw = draw(arrays(dtype, (rows, cols), elements(dtype, 0.05, 1.0)))
    return (raw / raw.sum(axis=1, keepdims=True)).astype(dtype)


@st.composite
def cce_dense_inputs(draw):
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    rows, cols = draw(st.integers(0, 4)), draw(st.integers(1, 4))
    coding = draw(distributions(dtype, rows, cols))
    true = draw(distributions(dtype, rows, cols))
    return [coding, true], {}


@st.composite
def cce_label_inputs(draw):
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    rows, cols = draw(st.integers(0, 4)), draw(st.integers(1, 4))
    coding = draw(distributions(dtype, rows, cols))
    labels = np.array(draw(st.lists(st.integers(0, cols - 1), min_size=rows, max_size=rows)),
                      dtype=draw(st.sampled_from(["int32", "int64"])))
    return [coding, labels.reshape(rows)], {}


def cce_dense_ref(coding, true):
    return -(true.astype("float64") * np.log(coding.astype("float64"))).sum(axis=1)


def cce_label_ref(coding, labels):
    return -np.log(coding.astype("float64")[np.arange(len(labels)), labels])


RECORDS = [
    OpRecord("nnet.sigmoid", T.nnet.sigmoid,
             lambda x: 1 / (1 + np.exp(-x.astype("float64"))), float_of,
             elemwise_inputs([NUMERIC_DTYPES], [(-30.0, 30.0)]), loose=True),
    OpRecord("nnet.softmax", T.nnet.softmax, softmax_ref, first, softmax_inputs(),
             loose=True),
    OpRecord("nnet.relu", T.nnet.relu, lambda x: np.maximum(x, 0).astype(x.dtype), first,
             elemwise_inputs([NUMERIC_DTYPES])),
    OpRecord("nnet.relu(alpha=0.5)", lambda x: T.nnet.relu(x, 0.5),
             lambda x: np.where(x > 0, x, x * np.float32(0.5)), first,
             elemwise_inputs([FLOAT_DTYPES])),
    OpRecord("nnet.binary_crossentropy", T.nnet.binary_crossentropy, bce_ref, upcast,
             elemwise_inputs([FLOAT_DTYPES, FLOAT_DTYPES], [(0.01, 0.99), (0.0, 1.0)]),
             loose=True),
    OpRecord("nnet.categorical_crossentropy(dense)", T.nnet.categorical_crossentropy,
             cce_dense_ref, upcast, cce_dense_inputs(), loose=True),
    OpRecord("nnet.categorical_crossentropy(labels)", T.nnet.categorical_crossentropy,
             cce_label_ref, first, cce_label_inputs(), loose=True),
]


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@given(data=st.data())
def test_nnet_matches_numpy(record: OpRecord, data: st.DataObject) -> None:
    check_record(record, data)


def test_categorical_crossentropy_refuses_mismatched_ranks():
    with pytest.raises(TypeError, match="integer labels"):
        T.nnet.categorical_crossentropy(T.dmatrix("p"), T.dtensor3("t"))
