"""Property tests: basic and integer-array indexing, set_subtensor and inc_subtensor."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tests.property.harness import assert_matches
from tests.strategies import NUMERIC_DTYPES, arrays, shapes


@st.composite
def basic_index(draw: st.DrawFn, shape: tuple[int, ...], allow_newaxis: bool = True
                ) -> tuple[Any, ...]:
    """A basic index (ints, slices, None, Ellipsis) valid for `shape`."""
    items: list[Any] = []
    for size in shape[:draw(st.integers(0, len(shape)))]:
        if size > 0 and draw(st.booleans()):
            items.append(draw(st.integers(-size, size - 1)))
        else:
            bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
            step = st.one_of(st.none(), st.integers(-3, 3).filter(bool))
            items.append(slice(draw(bound), draw(bound), draw(step)))
    if allow_newaxis and draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()):  # an Ellipsis after the items keeps them on the leading dims
        items.append(Ellipsis)
    return tuple(items)


@st.composite
def array_index(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """An index with one integer array (negative entries allowed) and slices/ints elsewhere."""
    axis = draw(st.integers(0, len(shape) - 1))
    items: list[Any] = [slice(None)] * len(shape)
    size = shape[axis]
    n = draw(st.integers(0, 4)) if size > 0 else 0
    idx = np.array(draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
                   if size > 0 else [], dtype=draw(st.sampled_from(["int32", "int64"])))
    items[axis] = idx
    for d in range(len(shape)):
        if d != axis and shape[d] > 0 and draw(st.booleans()):
            items[d] = draw(st.integers(0, shape[d] - 1))
    return tuple(items[:max(axis + 1, draw(st.integers(0, len(shape))))])


def _compile(inputs, output):
    return tensordsl.function(inputs, output, mode="FAST_COMPILE")


@given(data=st.data())
def test_basic_indexing_matches_numpy(data):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES))
    shape = data.draw(shapes())
    value = data.draw(arrays(dtype, shape))
    index = data.draw(basic_index(shape))
    static = shape if data.draw(st.booleans()) else (None,) * len(shape)
    x = T.tensor(dtype, static, name="x")
    out = x[index]
    want = value[index]
    assert out.dtype == dtype and out.ndim == want.ndim
    for static, actual in zip(out.type.shape, want.shape):
        assert static is None or static == actual, (out.type, want.shape)
    assert_matches(_compile([x], out)(value), want, dtype, what=f"x[{index}]")


@given(data=st.data())
def test_indexing_with_symbolic_ints_and_bounds(data):
    shape = data.draw(shapes(min_dims=1, min_side=1))
    value = data.draw(arrays("float64", shape))
    i = data.draw(st.integers(-shape[0], shape[0] - 1))
    start = data.draw(st.integers(-shape[0] - 1, shape[0] + 1))
    step = data.draw(st.integers(-2, 2).filter(bool))
    x = T.tensor("float64", (None,) * len(shape), name="x")
    a, b, c = T.lscalars("a", "b", "c")
    f = _compile([x, a, b, c], [x[a], x[b::c]])
    got_i, got_s = f(value, i, start, step)
    assert_matches(got_i, value[i], "float64")
    assert_matches(got_s, value[start::step], "float64")


@given(data=st.data())
def test_integer_array_indexing_matches_numpy(data):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES))
    shape = data.draw(shapes(min_dims=1))
    value = data.draw(arrays(dtype, shape))
    index = data.draw(array_index(shape))
    x = T.tensor(dtype, (None,) * len(shape), name="x")
    want = value[index]
    constant_out = x[index]
    assert constant_out.ndim == want.ndim
    assert_matches(_compile([x], constant_out)(value), want, dtype)
    # the index array as a symbolic input
    pos = next(k for k, item in enumerate(index) if isinstance(item, np.ndarray))
    iv = T.tensor(index[pos].dtype.name, (None,), name="i")
    sym_index = index[:pos] + (iv,) + index[pos + 1:]
    assert_matches(_compile([x, iv], x[sym_index])(value, index[pos]), want, dtype)


@given(data=st.data(), set_=st.booleans())
def test_set_and_inc_subtensor_basic(data, set_):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES))
    shape = data.draw(shapes(min_dims=1))
    value = data.draw(arrays(dtype, shape))
    index = data.draw(basic_index(shape, allow_newaxis=False))
    target_shape = value[index].shape
    y_shape = target_shape[data.draw(st.integers(0, len(target_shape))):]
    y_value = data.draw(arrays(dtype, y_shape))
    x = T.tensor(dtype, (None,) * len(shape), name="x")
    y = T.tensor(dtype, (None,) * len(y_shape), name="y")
    fn = T.set_subtensor if set_ else T.inc_subtensor
    out = fn(x[index], y)
    assert out.type == x.type
    want = value.copy()
    if set_:
        want[index] = y_value
    else:
        want[index] += y_value
    before = value.copy()
    got = _compile([x, y], out)(value, y_value)
    np.testing.assert_array_equal(value, before)  # the input is never overwritten
    assert_matches(got, want, dtype)


@given(data=st.data(), set_=st.booleans())
def test_set_and_inc_subtensor_with_integer_arrays(data, set_):
    """inc_subtensor accumulates repeated indices (np.add.at), as Theano does."""
    shape = data.draw(shapes(min_dims=1, max_dims=2, min_side=1))
    value = data.draw(arrays("float64", shape))
    n = data.draw(st.integers(0, 5))
    idx = np.array(data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=n,
                                      max_size=n)), dtype="int64")
    y_value = data.draw(arrays("float64", (n,) + shape[1:]))
    x, y, i = T.dmatrix("x") if len(shape) == 2 else T.dvector("x"), None, T.lvector("i")
    y = T.tensor("float64", (None,) * len(shape), name="y")
    out = (T.set_subtensor if set_ else T.inc_subtensor)(x[i], y)
    want = value.copy()
    if set_:
        want[idx] = y_value
    else:
        np.add.at(want, idx, y_value)
    assert_matches(_compile([x, y, i], out)(value, y_value, idx), want, "float64")


def test_index_out_of_bounds_is_a_clear_error():
    x = T.dvector("x")
    f = _compile([x], x[5])
    with pytest.raises(IndexError, match=r"x\[5\].*shape \(3,\)"):
        f(np.zeros(3))


def test_float_index_is_refused():
    with pytest.raises(IndexError, match="integers"):
        T.dvector("x")[np.array([0.5])]


@given(data=st.data())
def test_boolean_mask_indexing(data):
    shape = data.draw(shapes(min_dims=1))
    value = data.draw(arrays("float64", shape))
    mask = data.draw(arrays("bool", shape))
    x = T.tensor("float64", (None,) * len(shape), name="x")
    m = T.tensor("bool", (None,) * len(shape), name="m")
    out = x[m]
    assert out.ndim == 1
    assert_matches(_compile([x, m], out)(value, mask), value[mask], "float64")
    assert_matches(_compile([x], x[x > 0])(value), value[value > 0], "float64")
