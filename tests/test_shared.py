"""tensordsl.shared: type from the value, get_value/set_value and borrow semantics."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T


def test_type_comes_from_the_value():
    w = tensordsl.shared(np.asarray([0.1, 0.25, 0.15, 0.3]), "W")
    assert w.name == "W" and w.dtype == "float64" and w.ndim == 1
    assert w.broadcastable == (False,)  # shared variables are never broadcastable
    m = tensordsl.shared(np.zeros((1, 3), dtype="int16"))
    assert m.dtype == "int16" and m.broadcastable == (False, False)
    assert tensordsl.shared(3.5).dtype == "float64" and tensordsl.shared(3.5).ndim == 0
    assert tensordsl.shared(np.float32(1)).dtype == "float32"
    assert tensordsl.shared([1, 2]).dtype == "int64"
    b = tensordsl.shared(np.zeros((1, 3)), broadcastable=(True, False))
    assert b.broadcastable == (True, False)


def test_get_value_copies_unless_borrowed():
    value = np.array([1.0, 2.0])
    w = tensordsl.shared(value, "w")
    value[0] = 100  # shared() copied it
    assert w.get_value()[0] == 1.0
    copy = w.get_value()
    copy[0] = 50
    assert w.get_value()[0] == 1.0
    internal = w.get_value(borrow=True)
    internal[0] = 7
    assert w.get_value()[0] == 7.0


def test_shared_borrow_aliases_the_value():
    value = np.array([1.0, 2.0])
    w = tensordsl.shared(value, borrow=True)
    value[1] = 9
    assert w.get_value()[1] == 9.0


def test_set_value_copies_unless_borrowed():
    w = tensordsl.shared(np.zeros(2), "w")
    new = np.array([3.0, 4.0])
    w.set_value(new)
    new[0] = 100
    np.testing.assert_array_equal(w.get_value(), [3.0, 4.0])
    w.set_value(new, borrow=True)
    new[1] = 200
    np.testing.assert_array_equal(w.get_value(), [100.0, 200.0])


def test_set_value_with_lists_and_other_sizes():
    w = tensordsl.shared(np.asarray([0.1, 0.25, 0.15, 0.3]), "W")
    w.set_value([0.5, 0.2, 0.4, 0.2])
    np.testing.assert_array_equal(w.get_value(), [0.5, 0.2, 0.4, 0.2])
    w.set_value([1.0, 2.0, 3.0])  # sizes may change, the ndim may not
    assert w.get_value().shape == (3,)
    w.set_value(np.array([1, 2], dtype="int32"))  # safe upcast
    assert w.get_value().dtype == np.float64


def test_set_value_wrong_ndim_is_a_type_error_naming_the_variable():
    w = tensordsl.shared(np.zeros(2), "W")
    with pytest.raises(TypeError, match=r"'W'.*expected a 1-d array.*got a 2-d"):
        w.set_value(np.zeros((2, 2)))
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.0])


def test_set_value_unsafe_dtype_is_a_type_error_naming_the_variable():
    w = tensordsl.shared(np.zeros(2, dtype="float32"), "W")
    with pytest.raises(TypeError, match=r"'W'.*float32.*float64"):
        w.set_value(np.zeros(2))
    i = tensordsl.shared(np.zeros(2, dtype="int32"), "counts")
    with pytest.raises(TypeError, match="'counts'"):
        i.set_value([1.5, 2.5])
    with pytest.raises(TypeError, match="'counts'"):
        i.set_value(np.array([1, 2], dtype="int64"))
    np.testing.assert_array_equal(i.get_value(), [0, 0])


def test_shared_refuses_non_numeric_values():
    with pytest.raises(TypeError, match="numeric"):
        tensordsl.shared(["a", "b"])
    with pytest.raises(TypeError, match="shared"):
        tensordsl.shared(tensordsl.shared(1.0))


def test_shared_is_an_implicit_input_of_functions():
    w = tensordsl.shared(np.array([1.0, 2.0]), "w")
    x = T.dvector("x")
    f = tensordsl.function([x], (x * w).sum(), mode="FAST_COMPILE")
    assert f(np.ones(2)) == 3.0
    w.set_value([10.0, 20.0])
    assert f(np.ones(2)) == 30.0


def test_update_does_not_alias_a_borrowed_value():
    w = tensordsl.shared(np.array([1.0, 2.0]), "w")
    f = tensordsl.function([], w, updates=[(w, w)], mode="FAST_COMPILE")
    out = f()
    out[0] = 99
    assert w.get_value()[0] == 1.0
