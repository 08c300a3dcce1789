"""Errors as Theano and numpy raise them: an index out of range is an IndexError (read,
set_subtensor, inc_subtensor), a broadcast-pattern violation a TypeError naming the input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tests.tensor.helpers import MODES

SETTINGS = settings(max_examples=20, deadline=None)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(n=st.integers(0, 4), index=st.integers(-8, 8), cols=st.integers(1, 3))
def test_scalar_index(mode, n, index, cols) -> None:
    a = np.arange(n * cols, dtype="float64").reshape(n, cols)
    x, i, v = T.dmatrix("x"), T.lscalar("i"), T.dvector("v")
    fns = {kind: theano.function([x, i, v], out, mode=mode, on_unused_input="ignore")
           for kind, out in (("read", x[i] * 1.0), ("set", T.set_subtensor(x[i], v)),
                             ("inc", T.inc_subtensor(x[i], v)))}
    value = np.full(cols, 2.0)
    if -n <= index < n:
        want_set, want_inc = a.copy(), a.copy()
        want_set[index] = value
        want_inc[index] += value
        np.testing.assert_array_equal(fns["read"](a, index, value), a[index])
        np.testing.assert_array_equal(fns["set"](a, index, value), want_set)
        np.testing.assert_array_equal(fns["inc"](a, index, value), want_inc)
    else:
        for fn in fns.values():
            with pytest.raises(IndexError, match=f"index {index} is out of bounds"):
                fn(a, index, value)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(n=st.integers(1, 4), indices=st.lists(st.integers(-6, 6), min_size=1, max_size=4))
def test_array_index(mode, n, indices) -> None:
    a = np.arange(n, dtype="float64")
    idx = np.asarray(indices, dtype="int64")
    x, iv = T.dvector("x"), T.lvector("iv")
    outs = [x[iv] * 1.0, T.set_subtensor(x[iv], 5.0), T.inc_subtensor(x[iv], 1.0)]
    fns = [theano.function([x, iv], out, mode=mode) for out in outs]
    if np.all((idx >= -n) & (idx < n)):
        want_set, want_inc = a.copy(), a.copy()
        want_set[idx] = 5.0
        np.add.at(want_inc, idx, 1.0)
        for fn, want in zip(fns, (a[idx], want_set, want_inc)):
            np.testing.assert_array_equal(fn(a, idx), want)
    else:
        for fn in fns:
            with pytest.raises(IndexError, match="out of bounds"):
                fn(a, idx)


def test_value_shape_mismatch_in_set_subtensor_stays_a_value_error() -> None:
    x, v = T.dmatrix("x"), T.dvector("v")
    f = theano.function([x, v], T.set_subtensor(x[0], v), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match="cannot set x"):
        f(np.ones((2, 3)), np.ones(2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ctor,bad,dim", [(T.drow, (2, 3), 0), (T.dcol, (3, 2), 1),
                                          (T.dtensor3, None, None)])
def test_broadcast_pattern_violation_is_a_type_error(mode, ctor, bad, dim) -> None:
    if bad is None:  # a custom pattern (True, False, True)
        var = T.tensor("float64", broadcastable=(True, False, True), name="t")
        bad, dim = (1, 2, 4), 2
    else:
        var = ctor("r")
    f = theano.function([var], var * 2, mode=mode)
    with pytest.raises(TypeError, match=rf"'{var.name}': dim {dim} must have size 1"):
        f(np.ones(bad))
    good = tuple(1 if b else 3 for b in var.broadcastable)
    np.testing.assert_array_equal(f(np.ones(good)), np.full(good, 2.0))
