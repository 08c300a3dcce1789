"""Theano 1.0's config.on_unused_input (function's default when its argument is None)
and config.exception_verbosity ('high' adds a debugprint of the failing node)."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import parse_flags
from tensordsl.errors import ConfigError, UnusedInputError


def test_on_unused_input_flag_is_functions_default():
    x, y = T.dvector("x"), T.dvector("y")
    assert theano.config.on_unused_input == "raise"
    with pytest.raises(UnusedInputError):
        theano.function([x, y], x * 2)
    with theano.config.change_flags(on_unused_input="ignore"):
        f = theano.function([x, y], x * 2)
        np.testing.assert_array_equal(f(np.ones(1), np.zeros(3)), [2.0])
        with pytest.raises(UnusedInputError):  # the argument still wins
            theano.function([x, y], x * 2, on_unused_input="raise")
    with theano.config.change_flags(on_unused_input="warn"):
        with pytest.warns(UserWarning, match="not used"):
            theano.function([x, y], x * 2)
    with pytest.raises(ConfigError, match="on_unused_input"):
        parse_flags("on_unused_input=sometimes")


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_exception_verbosity_high_adds_the_nodes_debugprint(mode):
    m, x = T.dmatrix("m"), T.dvector("x")
    f = theano.function([m, x], T.dot(m, x), mode=mode)
    with pytest.raises(ValueError) as low:
        f(np.ones((2, 3)), np.ones(4))
    assert "Debugprint of the apply node" not in str(low.value)
    with theano.config.change_flags(exception_verbosity="high"):
        with pytest.raises(ValueError) as high:
            f(np.ones((2, 3)), np.ones(4))
    text = str(high.value)
    assert "Debugprint of the apply node:" in text
    assert "|m [id B] <Tensor[float64](?, ?)>" in text and "|x [id C]" in text
    with pytest.raises(ConfigError, match="exception_verbosity"):
        parse_flags("exception_verbosity=medium")


def test_warn_float64():
    assert theano.config.warn_float64 == "ignore"
    T.dvector("fine")
    with theano.config.change_flags(warn_float64="raise"):
        f = T.fvector("f")
        assert (f * 2).dtype == "float32"  # float32 graphs build as before
        theano.shared(np.ones(2))  # shared variables and constants are exempt (Theano)
        T.constant(np.ones(2))
        with pytest.raises(TypeError, match="float64 dtype"):
            T.dvector("x")
        with pytest.raises(TypeError, match="float64 dtype"):
            f * np.float64(2.0)  # an upcast creates a float64 result
    with theano.config.change_flags(warn_float64="warn"):
        with pytest.warns(UserWarning, match="float64 dtype") as record:
            T.dmatrix("m")
        assert record[0].filename == __file__  # points at the program's line
    with pytest.raises(ConfigError, match="warn_float64"):
        parse_flags("warn_float64=loudly")
