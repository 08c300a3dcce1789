"""In-place: results unchanged, caller's inputs untouched, buffers reused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as td
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.runtime.mode import get_mode
from tests.rewrite.helpers import NO_REWRITES, array_of, assert_values_equal, compile_fn, only


def destroyers(f):
    return [n for n in f.maker.fgraph.toposort() if n.op.destroy_map]


@settings(max_examples=30, deadline=None)
@given(data=st.data(), mode=st.sampled_from([only("inplace"), "FAST_RUN"]))
def test_elementwise_chain_reuses_buffers_and_leaves_inputs(data, mode):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    a = T.dot(x, y.T)  # a fresh buffer that only the next node reads
    out = [T.tanh(a + 1) * 2 - 1, (x * 2).sum()]
    xs = data.draw(array_of(x.type, (3, 4)))
    ys = data.draw(array_of(y.type, (3, 4)))
    keep = xs.copy(), ys.copy()
    f = compile_fn([x, y], out, mode)
    assert destroyers(f), "some node should write in place"
    for node in destroyers(f):
        for i in node.op.destroy_map[0]:
            assert not f.maker.fgraph.is_input(node.inputs[i])
    got = f(xs, ys)
    want = compile_fn([x, y], out, NO_REWRITES)(keep[0], keep[1])
    for g, w in zip(got, want):
        assert_values_equal(g, w)
    np.testing.assert_array_equal(xs, keep[0])
    np.testing.assert_array_equal(ys, keep[1])


def test_value_with_two_readers_is_not_overwritten():
    x = T.dvector("x")
    a = T.exp(x)
    f = compile_fn([x], [a + 1, a * 2], only("inplace"))
    assert not destroyers(f)
    xs = np.array([0.0, 1.0])
    assert_values_equal(f(xs)[1], np.exp(xs) * 2)


def test_outputs_are_never_overwritten():
    x = T.dvector("x")
    a = T.exp(x)
    f = compile_fn([x], [a, a + 1], only("inplace"))
    xs = np.array([0.0, 1.0])
    a_val, b_val = f(xs)
    assert_values_equal(a_val, np.exp(xs))
    assert_values_equal(b_val, np.exp(xs) + 1)


def _train(mode):
    x = T.dvector("x")
    W = td.shared(np.array([0.1, 0.25, 0.15, 0.3]), "W")
    y = (x * W).sum()
    grad = -2 * (10.0 - y) * x
    f = td.function([x], y, updates=[(W, W - 0.1 * grad)], mode=mode)
    return f, W


INPLACE_UPDATES = get_mode("FAST_RUN").including("inplace_update")


def test_shared_update_happens_in_place():
    # the per-node schedule runs the in-place kernel in W's buffer; the C function
    # driver (c_driver) writes fresh buffers and recycles them instead (tests/backends/c/
    # test_driver.py), so it is off here
    with config.change_flags(c_driver=False):
        _check_update_in_place()


def _check_update_in_place():
    f, W = _train(INPLACE_UPDATES)
    assert any(n.op.destroy_map and W in n.inputs for n in f.maker.fgraph.toposort())
    g, V = _train(NO_REWRITES)
    buffer = W.get_value(borrow=True)
    xs = np.array([1.0, 2.0, 0.5, -1.0])
    for _ in range(3):
        assert_values_equal(f(xs), g(xs))
        assert_values_equal(W.get_value(), V.get_value())
    assert W.get_value(borrow=True) is buffer  # no new array per call
    np.testing.assert_array_equal(xs, [1.0, 2.0, 0.5, -1.0])


def test_shared_update_not_in_place_when_read_later():
    x = T.dvector("x")
    W = td.shared(np.ones(3), "W")
    new = W * 2
    f = td.function([x], W + x + new.sum(), updates=[(W, new)], mode="FAST_RUN")
    old = W.get_value()
    out = f(np.zeros(3))
    assert_values_equal(out, old + (old * 2).sum())
    assert_values_equal(W.get_value(), old * 2)


def test_argument_aliasing_an_updated_shared_buffer_is_protected():
    x = T.dvector("x")
    W = td.shared(np.array([1.0, 2.0, 3.0]), "W")
    V = td.shared(np.zeros(3), "V")
    f = td.function([x], [], updates=[(W, W - 0.5 * x), (V, V + x)], mode=INPLACE_UPDATES)
    assert f._overwritten  # W's update is computed into W's buffer
    alias = W.get_value(borrow=True)  # the caller passes W's own buffer as x
    before = alias.copy()
    f(alias)
    assert_values_equal(W.get_value(), before - 0.5 * before)
    assert_values_equal(V.get_value(), before)  # V's update read x after W's update ran


def test_fast_run_updates_leave_shared_unchanged_when_a_call_fails():
    # FAST_RUN does not compute updates in shared buffers: a call that raises after the
    # update's node ran must still leave W as it was.
    f, W = _train("FAST_RUN")
    assert not any(n.op.destroy_map and W in n.inputs for n in f.maker.fgraph.toposort())
    x, y = T.dvector("x"), T.dvector("y")
    W = td.shared(np.array([1.0, 2.0, 3.0]), "W")
    g = td.function([x, y], (x * y).sum(), updates=[(W, W * 2 + x)], mode="FAST_RUN")
    with pytest.raises(ValueError):
        g(np.ones(3), np.ones(2))
    np.testing.assert_array_equal(W.get_value(), [1.0, 2.0, 3.0])
