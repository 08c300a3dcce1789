"""Bad input gives a clear TypeError/ValueError naming the input, and nothing half-done."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl
from tensordsl import In
from tensordsl import tensor as T


@pytest.fixture
def setup():
    """f(x, y) = x + y, with an update acc += x, and the shared accumulator."""
    x, y = T.dvectors("x", "y")
    acc = tensordsl.shared(np.zeros(2), "acc")
    f = tensordsl.function([x, y], x + y, updates=[(acc, acc + x)], mode="FAST_COMPILE",
                           name="adder")
    return f, acc


def assert_unchanged(acc):
    np.testing.assert_array_equal(acc.get_value(), [0.0, 0.0])


def test_too_few_arguments(setup):
    f, acc = setup
    with pytest.raises(TypeError) as info:
        f(np.ones(2))
    msg = str(info.value)
    assert "'adder' takes 2 arguments ('x', 'y') but 1 was given" in msg
    assert "missing a value for input 'y'" in msg
    assert_unchanged(acc)


def test_too_many_arguments(setup):
    f, acc = setup
    with pytest.raises(TypeError, match=r"takes 2 arguments \('x', 'y'\) but 3 were given"):
        f(np.ones(2), np.ones(2), np.ones(2))
    assert_unchanged(acc)


def test_unknown_keyword(setup):
    f, acc = setup
    with pytest.raises(TypeError, match=r"unknown keyword argument 'z'; input names: x, y"):
        f(np.ones(2), z=np.ones(2))
    with pytest.raises(TypeError, match="multiple values for input 'x'"):
        f(np.ones(2), np.ones(2), x=np.ones(2))
    assert_unchanged(acc)


def test_wrong_ndim(setup):
    f, acc = setup
    with pytest.raises(TypeError) as info:
        f(np.ones((2, 2)), np.ones(2))
    msg = str(info.value)
    assert msg.startswith("'x':")
    assert "expected a 1-d array" in msg and "got a 2-d value of shape (2, 2)" in msg
    with pytest.raises(TypeError, match=r"'y': expected a 1-d array.*got a 0-d"):
        f(np.ones(2), 3.0)
    assert_unchanged(acc)


def test_static_shape_mismatch_names_the_input():
    r = T.drow("r")
    f = tensordsl.function([r], r * 2, mode="FAST_COMPILE")
    # a broadcast-pattern violation is a TypeError, as in Theano 1.0
    with pytest.raises(TypeError, match=r"'r': dim 0 must have size 1.*got shape \(2, 3\)"):
        f(np.ones((2, 3)))


def test_unsafe_downcast_is_refused_unless_allowed():
    v = T.fvector("v")
    f = tensordsl.function([v], v * 2, mode="FAST_COMPILE")
    with pytest.raises(TypeError) as info:
        f(np.array([0.1, 0.2]))
    msg = str(info.value)
    assert "'v'" in msg and "float32" in msg and "float64" in msg
    assert "allow_input_downcast=True" in msg
    assert f(np.array([0.1], dtype="float32")).dtype == np.float32
    g = tensordsl.function([v], v * 2, mode="FAST_COMPILE", allow_input_downcast=True)
    assert g(np.array([0.1])).dtype == np.float32
    h = tensordsl.function([In(v, allow_downcast=True)], v * 2, mode="FAST_COMPILE")
    assert h(np.array([0.1])).dtype == np.float32


def test_lossy_python_values_into_int_inputs_are_refused():
    i = T.ivector("i")
    f = tensordsl.function([i], i * 2, mode="FAST_COMPILE")
    with pytest.raises(TypeError, match=r"'i'.*cannot hold \[1.5, 2.0\] exactly"):
        f([1.5, 2.0])
    with pytest.raises(TypeError, match=r"'i'.*int64"):
        f(np.array([1, 2], dtype="int64"))
    np.testing.assert_array_equal(f([1.0, 2.0]), [2, 4])  # exact values are fine
    b = T.bscalar("b")
    with pytest.raises(TypeError, match=r"'b'.*cannot hold 300 exactly"):
        tensordsl.function([b], b, mode="FAST_COMPILE")(300)


def test_shapes_that_do_not_broadcast_at_run_time(setup):
    f, acc = setup
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(2))
    msg = str(info.value)
    assert "shapes do not broadcast" in msg
    assert "x" in msg and "(3,)" in msg and "y" in msg and "(2,)" in msg
    assert msg.count("(3,)") == 1  # said once, not repeated by the runtime's context
    assert_unchanged(acc)


def test_non_numeric_list(setup):
    f, acc = setup
    with pytest.raises(TypeError, match=r"'x': expected numeric data.*\['a', 'b'\]"):
        f(["a", "b"], np.ones(2))
    with pytest.raises(TypeError, match=r"'y': expected numeric data.*\[1, \[2\]\]"):
        f(np.ones(2), [1, [2]])
    with pytest.raises(TypeError, match="'x': expected numeric data.*None"):
        f(None, np.ones(2))
    with pytest.raises(TypeError, match="'x'"):
        f(np.array(["1", "2"]), np.ones(2))
    assert_unchanged(acc)


def test_failure_in_an_update_leaves_every_shared_variable_unchanged():
    x = T.dvector("x")
    a = tensordsl.shared(np.zeros(2), "a")
    b = tensordsl.shared(np.zeros(2), "b")
    m = T.dmatrix("m")
    f = tensordsl.function([x, m], x.sum(), updates=[(a, a + x), (b, b + T.dot(m, x))],
                           mode="FAST_COMPILE")
    with pytest.raises(ValueError, match="not aligned"):
        f(np.ones(2), np.ones((2, 3)))
    np.testing.assert_array_equal(a.get_value(), [0.0, 0.0])
    np.testing.assert_array_equal(b.get_value(), [0.0, 0.0])
    f(np.ones(2), np.ones((2, 2)))  # a good call applies both
    np.testing.assert_array_equal(a.get_value(), [1.0, 1.0])
    np.testing.assert_array_equal(b.get_value(), [2.0, 2.0])


def test_runtime_errors_name_the_op_and_shapes():
    m, n = T.dmatrices("m", "n")
    cases = [
        (T.dot(m, n), r"dot: shapes \(2, 3\) \(m\) and \(2, 2\) \(n\) are not aligned"),
        (T.concatenate([m, n], axis=0), r"concatenate along axis 0.*m \(2, 3\), n \(2, 2\)"),
        (T.alloc(m, 3, 3), r"alloc: a value of shape \(2, 3\) does not broadcast to .*\(3, 3\)"),
        (m.reshape((7,)), r"cannot reshape m of shape \(2, 3\)"),
        (m[5], r"index 5 is out of bounds"),
    ]
    for expr, pattern in cases:
        f = tensordsl.function([m, n], expr, mode="FAST_COMPILE", on_unused_input="ignore")
        with pytest.raises((ValueError, IndexError), match=pattern) as info:
            f(np.ones((2, 3)), np.ones((2, 2)))
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_graph_build_errors():
    with pytest.raises(ValueError, match="incompatible static sizes"):
        T.tensor("float64", (2, 3)) + T.tensor("float64", (3, 2))
    with pytest.raises(TypeError, match="bitwise operation needs integer or bool inputs"):
        T.dvector("x") & T.dvector("y")
    with pytest.raises(TypeError, match="truth value of the symbolic variable x"):
        bool(T.dscalar("x"))
    with pytest.raises(TypeError, match="cannot make a tensor constant"):
        T.dvector("x") + "a"
    with pytest.raises(ValueError, match=r"dot: x has 3 columns but y has 2 rows"):
        T.dot(T.tensor("float64", (2, 3), name="x"), T.tensor("float64", (2, 2), name="y"))
    with pytest.raises(TypeError, match="concatenate: tensor 1"):
        T.concatenate([T.dvector("a"), T.dmatrix("b")])


@pytest.mark.filterwarnings("error")
def test_lossy_special_values_are_refused_without_numpy_warnings():
    i = T.ivector("i")
    f = tensordsl.function([i], i, mode="FAST_COMPILE")
    for bad in ([float("nan")], [1e20], [1 + 2j], np.array([1 + 0j])):
        with pytest.raises(TypeError, match="'i'"):
            f(bad)
    d = T.dvector("d")
    with pytest.raises(TypeError, match="'d'.*complex"):
        tensordsl.function([d], d, mode="FAST_COMPILE")([1 + 2j])


def test_runtime_context_survives_error_types_with_special_constructors():
    from tensordsl.graph.schedule import rebuilt_error as _rebuilt

    err = _rebuilt(UnicodeDecodeError("utf-8", b"x", 0, 1, "bad"), "message")
    assert type(err) is ValueError and str(err) == "message"
    err = _rebuilt(np.exceptions.AxisError(1, 1), "axis message")
    assert isinstance(err, np.exceptions.AxisError) and "axis message" in str(err)
