"""Property tests: shape manipulation, casts, joins, creation ops and dot."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tests.property.harness import OpRecord, assert_matches, check_record, first, ids, upcast
from tests.strategies import NUMERIC_DTYPES, arrays, elements, shapes

ALL_DTYPES = ("bool",) + NUMERIC_DTYPES


@st.composite
def one_array(draw, dtypes=NUMERIC_DTYPES, min_dims=0, max_dims=3, min_side=0):
    dtype = draw(st.sampled_from(dtypes))
    return draw(arrays(dtype, draw(shapes(min_dims, max_dims, min_side))))


@st.composite
def reshape_inputs(draw):
    x = draw(one_array())
    size = x.size
    candidates = [(size,), x.shape[::-1], (1, size), (size, 1), x.shape + (1,), (1,) + x.shape]
    newshape = draw(st.sampled_from(candidates))
    if size > 0 and newshape and draw(st.booleans()):
        i = draw(st.integers(0, len(newshape) - 1))
        newshape = newshape[:i] + (-1,) + newshape[i + 1:]
    return [x], {"newshape": newshape}


@st.composite
def flatten_inputs(draw):
    x = draw(one_array(min_dims=1))
    return [x], {"ndim": draw(st.integers(1, x.ndim))}


def flatten_ref(x, ndim):
    return x.reshape(x.shape[:ndim - 1] + (math.prod(x.shape[ndim - 1:]),))


@st.composite
def dimshuffle_inputs(draw):
    x = draw(one_array())
    perm = draw(st.permutations(range(x.ndim)))
    pattern = list(perm)
    for _ in range(draw(st.integers(0, 2))):
        pattern.insert(draw(st.integers(0, len(pattern))), "x")
    return [x], {"pattern": tuple(pattern)}


def dimshuffle_ref(x, pattern):
    kept = [p for p in pattern if p != "x"]
    y = x.transpose(kept)
    return y.reshape([1 if p == "x" else x.shape[p] for p in pattern])


@st.composite
def transpose_inputs(draw):
    x = draw(one_array())
    axes = draw(st.one_of(st.none(), st.permutations(range(x.ndim)).map(tuple)))
    return [x], {"axes": axes}


@st.composite
def cast_inputs(draw):
    dtype = draw(st.sampled_from(ALL_DTYPES))
    # values within +-100: out-of-range float -> int casts are undefined behaviour in C
    x = draw(arrays(dtype, draw(shapes()), elements(dtype, -100, 100)))
    return [x], {"dtype": draw(st.sampled_from(ALL_DTYPES))}


@st.composite
def join_inputs(draw, new_axis=False):
    shape = draw(shapes(min_dims=0 if new_axis else 1))
    ndim = len(shape) + (1 if new_axis else 0)
    axis = draw(st.integers(-ndim, ndim - 1))
    count = draw(st.integers(1, 3))
    out = []
    for _ in range(count):
        s = list(shape)
        if not new_axis:
            s[axis] = draw(st.integers(0, 3))
        out.append(draw(arrays(draw(st.sampled_from(NUMERIC_DTYPES)), tuple(s))))
    return out, {"axis": axis}


@st.composite
def dot_inputs(draw):
    k = draw(st.integers(0, 4))
    n, m = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    a_shape = draw(st.sampled_from([(k,), (n, k)]))
    b_shape = draw(st.sampled_from([(k,), (k, m)]))
    return [draw(arrays(draw(st.sampled_from(NUMERIC_DTYPES)), s))
            for s in (a_shape, b_shape)], {}


@st.composite
def matmul_inputs(draw):
    """Operands of numpy.matmul: vectors, matrices and broadcast batches of matrices."""
    k, n, m = (draw(st.integers(0, 3)) for _ in range(3))
    batch = draw(shapes(max_dims=2, max_side=3))
    a_batch = batch[draw(st.integers(0, len(batch))):]
    b_batch = tuple(draw(st.sampled_from([1, s])) for s in batch)
    a_shape = draw(st.sampled_from([(k,), a_batch + (n, k)]))
    b_shape = draw(st.sampled_from([(k,), b_batch + (k, m)]))
    return [draw(arrays(draw(st.sampled_from(NUMERIC_DTYPES)), s))
            for s in (a_shape, b_shape)], {}


@st.composite
def two_vectors(draw):
    return [draw(one_array(min_dims=1, max_dims=1)) for _ in range(2)], {}


@st.composite
def like_inputs(draw):
    return [draw(one_array(ALL_DTYPES))], {"dtype": draw(st.sampled_from((None,) + ALL_DTYPES))}


def like_ref(fill):
    return lambda x, dtype: np.full(x.shape, fill, dtype=dtype or x.dtype)


RECORDS = [
    OpRecord("reshape", lambda x, newshape: T.reshape(x, newshape),
             lambda x, newshape: x.reshape(newshape), first, reshape_inputs()),
    OpRecord("x.reshape", lambda x, newshape: x.reshape(newshape),
             lambda x, newshape: x.reshape(newshape), first, reshape_inputs()),
    OpRecord("flatten", lambda x, ndim: T.flatten(x, ndim), flatten_ref, first,
             flatten_inputs()),
    OpRecord("x.flatten", lambda x, ndim: x.flatten(ndim), flatten_ref, first,
             flatten_inputs()),
    OpRecord("dimshuffle", lambda x, pattern: T.dimshuffle(x, pattern), dimshuffle_ref, first,
             dimshuffle_inputs()),
    OpRecord("x.dimshuffle", lambda x, pattern: x.dimshuffle(*pattern), dimshuffle_ref, first,
             dimshuffle_inputs()),
    OpRecord("transpose", lambda x, axes: T.transpose(x, axes),
             lambda x, axes: np.transpose(x, axes), first, transpose_inputs()),
    OpRecord("x.T", lambda x: x.T, lambda x: x.T, first, one_array().map(lambda x: ([x], {}))),
    OpRecord("cast", lambda x, dtype: T.cast(x, dtype), lambda x, dtype: x.astype(dtype),
             lambda d, dtype: dtype, cast_inputs()),
    OpRecord("x.astype", lambda x, dtype: x.astype(dtype), lambda x, dtype: x.astype(dtype),
             lambda d, dtype: dtype, cast_inputs()),
    OpRecord("concatenate", lambda *xs, axis: T.concatenate(xs, axis=axis),
             lambda *xs, axis: np.concatenate(xs, axis=axis), upcast, join_inputs()),
    OpRecord("join", lambda *xs, axis: T.join(axis, *xs),
             lambda *xs, axis: np.concatenate(xs, axis=axis), upcast, join_inputs()),
    OpRecord("stack", lambda *xs, axis: T.stack(xs, axis=axis),
             lambda *xs, axis: np.stack(xs, axis=axis), upcast, join_inputs(new_axis=True)),
    OpRecord("dot", T.dot, np.dot, upcast, dot_inputs()),
    OpRecord("operator@", lambda a, b: a @ b, np.matmul, upcast, matmul_inputs(), loose=True),
    OpRecord("matmul", T.matmul, np.matmul, upcast, matmul_inputs(), loose=True),
    OpRecord("x.dot", lambda a, b: a.dot(b), np.dot, upcast, dot_inputs()),
    OpRecord("outer", T.outer, np.outer, upcast, two_vectors()),
    OpRecord("zeros_like", lambda x, dtype: T.zeros_like(x, dtype=dtype), like_ref(0),
             lambda d, dtype: dtype or d[0], like_inputs()),
    OpRecord("ones_like", lambda x, dtype: T.ones_like(x, dtype=dtype), like_ref(1),
             lambda d, dtype: dtype or d[0], like_inputs()),
    OpRecord("x.shape", lambda x: x.shape, lambda x: np.array(x.shape, dtype="int64"),
             lambda d: "int64", one_array(ALL_DTYPES).map(lambda x: ([x], {}))),
    OpRecord("shape", T.shape, lambda x: np.array(x.shape, dtype="int64"),
             lambda d: "int64", one_array(ALL_DTYPES).map(lambda x: ([x], {}))),
]


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@given(data=st.data())
def test_shape_op_matches_numpy(record: OpRecord, data: st.DataObject) -> None:
    check_record(record, data)


# -- creation ops: their inputs are sizes and fill values, not arrays ------------------------
def _run(inputs, output, *values):
    return tensordsl.function(inputs, output, mode="FAST_COMPILE")(*values)


@pytest.mark.parametrize("name,fill", [("zeros", 0), ("ones", 1)])
@given(shape=shapes(), dtype=st.sampled_from((None,) + ALL_DTYPES))
def test_zeros_and_ones_with_constant_shape(name, fill, shape, dtype):
    out = getattr(T, name)(shape, dtype=dtype)
    want_dtype = dtype or tensordsl.config.floatX
    assert out.dtype == want_dtype and out.ndim == len(shape)
    assert_matches(_run([], out), np.full(shape, fill, dtype=want_dtype), want_dtype)


@pytest.mark.parametrize("name,fill", [("zeros", 0), ("ones", 1)])
@given(shape=shapes(min_dims=1), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_zeros_and_ones_with_symbolic_shape(name, fill, shape, dtype):
    sizes = T.lscalars(len(shape))
    out = getattr(T, name)(sizes, dtype=dtype)
    assert_matches(_run(sizes, out, *shape), np.full(shape, fill, dtype=dtype), dtype)


@given(data=st.data())
def test_alloc_broadcasts_a_value_to_a_shape(data):
    shape = data.draw(shapes(min_dims=1))
    value_ndim = data.draw(st.integers(0, len(shape)))
    value_shape = tuple(data.draw(st.sampled_from([1, s])) for s in shape[len(shape) -
                                                                          value_ndim:])
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES))
    value = data.draw(arrays(dtype, value_shape))
    v = T.tensor(dtype, (None,) * value_ndim, name="v")
    sizes = T.lscalars(len(shape))
    symbolic = T.alloc(v, *sizes)
    constant = T.alloc(v, *shape)
    want = np.broadcast_to(value, shape)
    assert symbolic.dtype == constant.dtype == dtype
    assert_matches(_run([v, *sizes], symbolic, value, *shape), want, dtype)
    assert_matches(_run([v], constant, value), want, dtype)


@given(start=st.integers(-10, 10), stop=st.integers(-10, 10),
       step=st.integers(-4, 4).filter(bool), symbolic=st.booleans())
def test_arange_matches_numpy(start, stop, step, symbolic):
    if symbolic:
        a, b, c = T.lscalars("a", "b", "c")
        got = _run([a, b, c], T.arange(a, b, c), start, stop, step)
    else:
        got = _run([], T.arange(start, stop, step))
    assert_matches(got, np.arange(start, stop, step, dtype="int64"), "int64")


@given(stop=st.integers(0, 10), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_arange_with_dtype(stop, dtype):
    out = T.arange(stop, dtype=dtype)
    assert out.dtype == dtype
    assert_matches(_run([], out), np.arange(stop, dtype=dtype), dtype)


def test_reshape_to_a_wrong_size_is_a_clear_error():
    x = T.dmatrix("x")
    f = tensordsl.function([x], x.reshape((5,)), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match=r"cannot reshape x of shape \(2, 3\)"):
        f(np.zeros((2, 3)))


def test_concatenate_mismatched_shapes_is_a_clear_error():
    x, y = T.dmatrices("x", "y")
    f = tensordsl.function([x, y], T.concatenate([x, y], axis=0), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match=r"x \(2, 3\), y \(2, 4\)"):
        f(np.zeros((2, 3)), np.zeros((2, 4)))


@given(data=st.data())
def test_dimshuffle_drops_broadcastable_dims(data):
    shape = data.draw(shapes(min_dims=1))
    static = tuple(1 if s == 1 and data.draw(st.booleans()) else None for s in shape)
    value = data.draw(arrays("float32", shape))
    x = T.tensor("float32", static, name="x")
    kept = [d for d, s in enumerate(static) if s != 1]
    pattern = list(data.draw(st.permutations(kept)))
    if data.draw(st.booleans()):
        pattern.insert(data.draw(st.integers(0, len(pattern))), "x")
    out = x.dimshuffle(*pattern)
    want = dimshuffle_ref(value.reshape([s for d, s in enumerate(shape) if d in kept]),
                          [p if p == "x" else kept.index(p) for p in pattern])
    assert out.broadcastable == tuple(p == "x" or static[p] == 1 for p in pattern)
    assert_matches(_run([x], out, value), want, "float32")


def test_dimshuffle_refuses_to_drop_a_non_broadcastable_dim():
    with pytest.raises(ValueError, match="cannot drop dim 0"):
        T.dmatrix("x").dimshuffle(1)


def test_matmul_refuses_scalars_and_zeros_refuses_unknown_length_shapes():
    with pytest.raises(ValueError, match="at least 1 dim"):
        T.dvector("v") @ T.dscalar("s")
    with pytest.raises(ValueError, match="static length"):
        T.zeros(T.lvector("shape"))
