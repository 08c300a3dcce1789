"""function(profile=True) is refused clearly; Function.copy(swap=..., delete_updates=...)
with Theano's semantics."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tests.tensor.helpers import MODES


@pytest.mark.parametrize("profile", [True, "stats"])
def test_profile_is_refused(profile) -> None:
    x = T.dscalar("x")
    with pytest.raises(NotImplementedError, match="profile"):
        theano.function([x], x * 2, profile=profile)
    assert float(theano.function([x], x * 2, profile=False)(2.0)) == 4.0


def _accumulator(mode):
    acc = theano.shared(np.array(0.0), name="acc")
    inc = T.dscalar("inc")
    f = theano.function([inc], acc * 10, updates=[(acc, acc + inc)], mode=mode, name="f")
    return acc, inc, f


@pytest.mark.parametrize("mode", MODES)
def test_copy_keeps_updates_and_shares_state(mode) -> None:
    acc, _, f = _accumulator(mode)
    g = f.copy()
    assert g is not f and g.name == "f copy"
    assert float(f(1.0)) == 0.0
    assert float(g(2.0)) == 10.0  # both update the same shared variable
    assert float(acc.get_value()) == 3.0


@pytest.mark.parametrize("mode", MODES)
def test_copy_swap(mode) -> None:
    acc, _, f = _accumulator(mode)
    other = theano.shared(np.array(100.0), name="other")
    g = f.copy(swap={acc: other}, name="g")
    assert g.name == "g"
    assert float(g(5.0)) == 1000.0
    assert float(other.get_value()) == 105.0 and float(acc.get_value()) == 0.0
    assert float(f(1.0)) == 0.0 and float(acc.get_value()) == 1.0
    assert float(other.get_value()) == 105.0


@pytest.mark.parametrize("mode", MODES)
def test_copy_delete_updates(mode) -> None:
    acc, _, f = _accumulator(mode)
    acc.set_value(np.array(2.0))
    g = f.copy(delete_updates=True)
    assert float(g(7.0)) == 20.0 and float(g(7.0)) == 20.0
    assert float(acc.get_value()) == 2.0  # untouched, also by in-place FAST_RUN updates
    f(1.0)
    assert float(acc.get_value()) == 3.0


def test_copy_swap_errors() -> None:
    acc, _, f = _accumulator("FAST_COMPILE")
    with pytest.raises(TypeError, match="cannot be swapped"):
        f.copy(swap={acc: theano.shared(np.zeros(2), name="vec")})
    with pytest.raises(ValueError, match="not a shared variable of this function"):
        f.copy(swap={theano.shared(np.array(1.0), name="stranger"): acc})
    with pytest.raises(TypeError, match="shared variables"):
        f.copy(swap={acc: T.dscalar("s")})


def test_copy_with_givens_and_defaults() -> None:
    x, y = T.dscalar("x"), T.dscalar("y")
    w = theano.shared(np.array(3.0), name="w")
    f = theano.function([theano.In(x, value=2.0)], x * y * w, givens={y: x + 1})
    w2 = theano.shared(np.array(5.0), name="w2")
    g = f.copy(swap={w: w2})
    assert float(f()) == 18.0 and float(g()) == 30.0 and float(g(1.0)) == 10.0
