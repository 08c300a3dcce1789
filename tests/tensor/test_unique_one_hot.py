"""Theano 1.0's extra_ops.Unique / unique (numpy.unique) and to_one_hot."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.tensor import extra_ops


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int32, np.int64, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
                  elements=st.integers(-3, 3)),
       st.booleans(), st.booleans(), st.booleans())
def test_unique_matches_numpy(x, index, inverse, counts):
    v = T.TensorType(str(x.dtype), (None,) * x.ndim)("v")
    out = extra_ops.unique(v, index, inverse, counts)
    outs = out if isinstance(out, list) else [out]
    got = theano.function([v], outs)(x)
    want = np.unique(x, return_index=index, return_inverse=inverse, return_counts=counts)
    want = list(want) if isinstance(want, tuple) else [want]
    assert len(got) == len(want) == 1 + index + inverse + counts
    assert got[0].dtype == x.dtype
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, np.reshape(w, -1))
    for g in got[1:]:
        assert g.dtype == np.int64 and g.ndim == 1


def test_unique_along_an_axis():
    x = np.array([[1, 0, 1], [1, 0, 1], [2, 3, 4], [1, 0, 1]])
    v = T.lmatrix("v")
    for axis, index, counts in itertools.product([0, 1, -1], [False, True], [False, True]):
        got = theano.function([v], extra_ops.Unique(index, False, counts, axis)(v))(x)
        got = got if isinstance(got, list) else [got]
        want = np.unique(x, return_index=index, return_counts=counts, axis=axis)
        want = list(want) if isinstance(want, tuple) else [want]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    with pytest.raises(ValueError, match="out of range"):
        extra_ops.unique(v, axis=2)
    with pytest.raises(TypeError, match="bool"):
        extra_ops.Unique(1)


def test_to_one_hot():
    y = T.lvector("y")
    labels = np.array([0, 3, 1, 3])
    got = theano.function([y], extra_ops.to_one_hot(y, 4))(labels)
    np.testing.assert_array_equal(got, np.eye(4)[labels])
    assert got.dtype == config.floatX
    got_i = theano.function([y], extra_ops.to_one_hot(y, 5, dtype="int32"))(labels)
    assert got_i.dtype == np.int32
    np.testing.assert_array_equal(got_i, np.eye(5, dtype="int32")[labels])
    assert theano.function([y], extra_ops.to_one_hot(y, 3))(np.zeros(0, "int64")).shape \
        == (0, 3)
    with pytest.raises(IndexError):
        theano.function([y], extra_ops.to_one_hot(y, 3))(np.array([3]))
    with pytest.raises(TypeError, match="integer vector"):
        extra_ops.to_one_hot(T.dvector(), 3)
