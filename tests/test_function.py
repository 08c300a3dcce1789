"""tensordsl.function: outputs, In defaults and keywords, updates, givens, ownership."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensordsl
from tensordsl import In
from tensordsl import tensor as T
from tensordsl.errors import UnusedInputError


def fn(*args, **kwargs):
    kwargs.setdefault("mode", "FAST_COMPILE")
    return tensordsl.function(*args, **kwargs)


# -- outputs -------------------------------------------------------------------------------
def test_single_output_comes_back_as_an_array():
    x, y = T.dscalars("x", "y")
    out = fn([x, y], x + y)(1.5, 2.5)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64
    assert out == 4.0


def test_list_and_tuple_outputs_keep_their_structure():
    x = T.dvector("x")
    as_list = fn([x], [x + 1, x * 2])(np.array([1.0, 2.0]))
    as_tuple = fn([x], (x + 1, x * 2))(np.array([1.0, 2.0]))
    assert isinstance(as_list, list) and isinstance(as_tuple, tuple)
    for got in (as_list, as_tuple):
        np.testing.assert_array_equal(got[0], [2.0, 3.0])
        np.testing.assert_array_equal(got[1], [2.0, 4.0])
    one = fn([x], [x.sum()])(np.array([1.0, 2.0]))
    assert isinstance(one, list) and len(one) == 1 and one[0] == 3.0


def test_no_outputs_and_no_inputs():
    s = tensordsl.shared(np.float64(1.0), name="s")
    step = fn([], [], updates=[(s, s + 1)])
    assert step() == []
    assert s.get_value() == 2.0
    assert fn([], T.constant(3.0) * 2)() == 6.0


def test_same_output_twice_gives_two_independent_arrays():
    x = T.dvector("x")
    y = x * 2
    a, b = fn([x], [y, y])(np.ones(3))
    assert not np.shares_memory(a, b)
    a[0] = 99
    assert b[0] == 2.0


# -- inputs ----------------------------------------------------------------------------------
def test_in_default_and_keyword_calls():
    x, y, z = T.dscalars("x", "y", "z")
    f = fn([x, In(y, value=1.0), In(z, value=2.0, name="zz")], x + 10 * y + 100 * z)
    assert f(1.0) == 1 + 10 + 200
    assert f(1.0, 3.0) == 1 + 30 + 200
    assert f(1.0, zz=5.0) == 1 + 10 + 500
    assert f(x=1.0, y=0.0, zz=0.0) == 1.0
    assert f(zz=0.0, x=2.0) == 2 + 10


def test_default_value_is_converted_to_the_input_type():
    x = T.fscalar("x")
    f = fn([In(x, value=0.5)], x * 2)
    out = f()
    assert out.dtype == np.float32 and out == 1.0


def test_python_lists_and_scalars_are_converted():
    x = T.fvector("x")
    i = T.bscalar("i")  # float32 * int8 stays float32
    out = fn([x, i], x * i)([1.5, 2.5], 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [3.0, 5.0])


def test_python_float_list_into_float32_input_is_fine_but_float64_array_is_refused():
    x = T.fvector("x")
    f = fn([x], x)
    np.testing.assert_array_equal(f([0.1, 0.2]), np.array([0.1, 0.2], dtype="float32"))
    with pytest.raises(TypeError, match="'x'"):
        f(np.array([0.1, 0.2]))
    g = fn([x], x, allow_input_downcast=True)
    assert g(np.array([0.1])).dtype == np.float32


def test_int_array_into_float_input_upcasts_safely():
    x = T.dvector("x")
    out = fn([x], x)(np.array([1, 2], dtype="int32"))
    assert out.dtype == np.float64


def test_eval_shortcut():
    x = T.dscalar("x")
    assert (x * 3).eval({x: 2.0}) == 6.0


# -- updates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("as_dict", [False, True])
def test_updates_as_pairs_or_dict(as_dict):
    w = tensordsl.shared(np.array([1.0, 2.0]), name="w")
    x = T.dscalar("x")
    updates = {w: w * x} if as_dict else [(w, w * x)]
    f = fn([x], w.sum(), updates=updates)
    assert f(2.0) == 3.0  # the output sees the old value
    np.testing.assert_array_equal(w.get_value(), [2.0, 4.0])
    assert f(2.0) == 6.0
    np.testing.assert_array_equal(w.get_value(), [4.0, 8.0])


def test_updates_are_applied_together_after_all_outputs():
    a = tensordsl.shared(np.float64(1.0), name="a")
    b = tensordsl.shared(np.float64(10.0), name="b")
    f = fn([], [a, b], updates=[(a, b), (b, a)])  # a swap: both read the old values
    out = f()
    assert out == [1.0, 10.0]
    assert a.get_value() == 10.0 and b.get_value() == 1.0


def test_update_target_must_be_shared_and_match_type():
    x = T.dvector("x")
    w = tensordsl.shared(np.zeros(2), name="w")
    with pytest.raises(TypeError, match="not a shared variable"):
        fn([x], x, updates=[(x, x + 1)])
    with pytest.raises(TypeError, match="float32.*float64|dtype float32"):
        fn([x], x, updates=[(w, T.cast(x, "float32"))])
    with pytest.raises(TypeError, match="dims"):
        fn([x], x, updates=[(w, x.sum())])
    with pytest.raises(ValueError, match="updated twice"):
        fn([x], x, updates=[(w, x), (w, x * 2)])


# -- givens ----------------------------------------------------------------------------------
def test_givens_substitutes_a_variable():
    x, w = T.dscalars("x", "w")
    f = fn([w], x * 2, givens={x: w + 1})
    assert f(3.0) == 8.0
    g = fn([w], x * 2, givens=[(x, w)])
    assert g(3.0) == 6.0


def test_givens_can_replace_a_shared_variable():
    s = tensordsl.shared(np.array([1.0, 2.0]), name="s")
    w = T.dvector("w")
    f = fn([w], s * 2, givens={s: w})
    np.testing.assert_array_equal(f(np.array([5.0, 6.0])), [10.0, 12.0])
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_givens_type_mismatch_is_refused():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="dtype and ndim must match"):
        fn([], x * 2, givens={x: T.constant(np.zeros(2))})


# -- on_unused_input -------------------------------------------------------------------------
def test_on_unused_input():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match=r"input 1 \(y\) is not used"):
        fn([x, y], x * 2)
    with pytest.warns(UserWarning, match="not used"):
        f = fn([x, y], x * 2, on_unused_input="warn")
    assert f(1.0, 5.0) == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fn([x, y], x * 2, on_unused_input="ignore")(1.0, 5.0) == 2.0
    with pytest.raises(ValueError, match="on_unused_input"):
        fn([x], x, on_unused_input="maybe")


def test_missing_input_is_a_clear_error():
    x, y = T.dscalars("x", "y")
    with pytest.raises(ValueError, match=r"depends on y.*not among the inputs"):
        fn([x], x + y)


# -- ownership -------------------------------------------------------------------------------
def test_outputs_are_owned_by_the_caller():
    x = T.dvector("x")
    w = tensordsl.shared(np.array([1.0, 2.0]), name="w")
    f = fn([x], [x, w, x.T, w[::-1]])
    value = np.array([3.0, 4.0])
    outs = f(value)
    for out in outs:
        assert out.flags.writeable
        out[...] = -1  # mutating a result changes nothing inside
    np.testing.assert_array_equal(value, [3.0, 4.0])
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])
    again = f(value)
    np.testing.assert_array_equal(again[1], [1.0, 2.0])


def test_constant_outputs_are_fresh_arrays():
    f = fn([], T.constant(np.array([1.0, 2.0])))
    a = f()
    a[0] = 100
    np.testing.assert_array_equal(f(), [1.0, 2.0])


def test_inputs_are_never_mutated():
    x = T.dvector("x")
    f = fn([x], [T.set_subtensor(x[0], 5.0), T.inc_subtensor(x[1:], 1.0), x * 2])
    value = np.array([1.0, 2.0, 3.0])
    f(value)
    np.testing.assert_array_equal(value, [1.0, 2.0, 3.0])


def test_default_values_are_not_mutated_by_outputs():
    x = T.dvector("x")
    f = fn([In(x, value=np.array([1.0, 2.0]))], x)
    out = f()
    out[0] = 50
    np.testing.assert_array_equal(f(), [1.0, 2.0])


def test_maker_exposes_the_graph():
    x, y = T.dscalars("x", "y")
    f = fn([x, y], x + y)
    fgraph = f.maker.fgraph
    assert fgraph.inputs[:2] == [x, y]
    assert len(fgraph.outputs) == 1
    assert len(fgraph.apply_nodes) == 1


def test_function_inputs_must_be_symbolic_and_unique():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="must be a list"):
        fn(x, x)
    with pytest.raises(TypeError, match="symbolic variable"):
        fn([1.0], x)
    with pytest.raises(ValueError, match="listed twice"):
        fn([x, x], x)
    with pytest.raises(TypeError, match="constant"):
        fn([T.constant(1.0)], x, on_unused_input="ignore")
    with pytest.raises(TypeError, match="shared variable"):
        fn([tensordsl.shared(1.0)], x, on_unused_input="ignore")


def test_plain_values_in_updates_and_givens_take_the_variables_type():
    """Theano's filter_variable: a Python value becomes a constant of the target's type."""
    w = tensordsl.shared(np.array([1.0, 2.0]), name="w")
    f = fn([], w.sum(), updates=[(w, [0.0, 0.5])])
    assert f() == 3.0
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.5])
    assert w.get_value().dtype == np.float64
    c = tensordsl.shared(np.float64(1.0), name="c")
    fn([], [], updates=[(c, 0.1)])()
    assert c.get_value() == 0.1
    x = T.fscalar("x")
    assert fn([], x * 2, givens={x: 1.5})() == 3.0
    with pytest.raises(TypeError, match=r"the update of w: expected a 1-d array"):
        fn([], [], updates=[(w, 0.0)])
    i = tensordsl.shared(np.int32(1), name="i")
    with pytest.raises(TypeError, match=r"the update of i.*cannot hold 0.5 exactly"):
        fn([], [], updates=[(i, 0.5)])


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_byte_swapped_inputs_are_taken_in_native_order(mode):
    # Theano's filter converts a non-native array to the type's (native) dtype, so an
    # output that is the input itself comes back native too, on every path
    x, v = T.dscalar("x"), T.dvector("v")
    f = tensordsl.function([x, v], [x * 1, v, v * 2], mode=mode)
    a, b = np.array(1.5, ">f8"), np.arange(5, dtype=">f8")[::2]
    got = f(a, b)
    for g, want in zip(got, [1.5, [0.0, 2.0, 4.0], [0.0, 4.0, 8.0]]):
        assert g.dtype == np.float64 and g.dtype.isnative
        np.testing.assert_array_equal(g, want)
    assert a.dtype == np.dtype(">f8") and b.dtype == np.dtype(">f8")  # not modified
