"""config.print_test_value: Theano 1.0's flag that makes repr() of a variable show its
test value on the next line (Theano's FAQ example), while str() and the graph printers
keep the names."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import config, parse_flags
from tensordsl.errors import ConfigError


def test_theano_faq_example() -> None:
    x = T.scalar("x")
    x.tag.test_value = 42
    with config.change_flags(print_test_value=True):
        assert x.__repr__() == "x\n" + repr(np.array(42.0))
        assert str(x) == "x"
    with config.change_flags(print_test_value=False):
        assert x.__repr__() == "x"


def test_default_is_off_and_flag_parses_like_a_bool() -> None:
    assert config.print_test_value is False
    assert parse_flags("print_test_value=True") == {"print_test_value": True}
    assert parse_flags("print_test_value=0") == {"print_test_value": False}
    with pytest.raises(ConfigError, match="print_test_value"):
        parse_flags("print_test_value=maybe")


def test_variables_without_a_test_value_print_their_name_only() -> None:
    with config.change_flags(print_test_value=True):
        y = T.dvector("y")
        assert repr(y) == "y"
        assert repr(y * 2) == str(y * 2)
        assert "\n" not in repr(T.dvector())


def test_constants_and_shared_variables_show_their_values() -> None:
    data = np.arange(4.0).reshape(2, 2)
    c = T.constant(data)
    s = theano.shared(data * 3, name="s")
    with config.change_flags(print_test_value=True):
        assert repr(c) == str(c) + "\n" + repr(data)
        assert repr(s) == "s\n" + repr(data * 3)
        s.set_value(np.zeros((2, 2)))
        assert repr(s) == "s\n" + repr(np.zeros((2, 2)))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64]),
                  hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4),
                  elements=st.integers(-100, 100)))
def test_computed_test_values_print_as_numpy_computes_them(value) -> None:
    x = T.TensorType(str(value.dtype), (None,) * value.ndim)("x")
    x.tag.test_value = value
    with config.change_flags(compute_test_value="raise", print_test_value=True):
        z = (x * 2 + 1).sum(axis=0)
        want = (value * 2 + 1).sum(axis=0)
        assert z.tag.test_value.dtype == z.dtype
        np.testing.assert_array_equal(z.tag.test_value, want)
        name, shown = repr(z).split("\n", 1)
        assert name == str(z)
        assert shown == repr(z.tag.test_value)
        # containers print their elements with repr, as in Theano
        assert repr([x]) == "[x\n" + repr(value) + "]"


def test_the_hook_can_be_overridden() -> None:
    class Quiet(type(T.dvector())):
        __slots__ = ()

        def __repr_test_value__(self) -> str:
            return "<big value>"

    q = Quiet(T.dvector().type, name="q")
    q.tag.test_value = np.ones(3)
    with config.change_flags(print_test_value=True):
        assert repr(q) == "q\n<big value>"


def test_printers_and_compiled_functions_are_unchanged() -> None:
    x = T.dvector("x")
    x.tag.test_value = np.array([1.0, 2.0, 3.0])
    with config.change_flags(compute_test_value="raise"):
        z = T.sum(x * 2.5 + T.constant(np.ones(3)))
    plain = (theano.printing.debugprint(z, file="str"), theano.printing.pp(z))
    with config.change_flags(print_test_value=True):
        assert (theano.printing.debugprint(z, file="str"), theano.printing.pp(z)) == plain
        f = theano.function([x], z)
        assert f(np.array([2.0, 4.0, 0.0])) == pytest.approx(18.0)
        # a missing test value still names the input (str, not repr) in its message
        y = T.dvector("y")
        with config.change_flags(compute_test_value="raise"), \
                pytest.raises(ValueError, match="y has no test value"):
            x + y
