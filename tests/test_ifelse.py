"""ifelse: values, laziness (only the taken branch runs), gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import register_grad, verify_grad
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ifelse import IfElse, ifelse

MODES = ["FAST_COMPILE", "FAST_RUN", "DEBUG_MODE"]


class Counting(Op):
    """x * 2, counting how often it runs (or failing, with fail=True)."""

    __props__ = ("fail",)

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls = 0

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        self.calls += 1
        if self.fail:
            raise RuntimeError("the branch that was not taken ran")
        return [inputs[0] * 2]


@register_grad(Counting)
def _counting_grad(node, out_grads):
    return [out_grads[0] * 2.0]


@pytest.mark.parametrize("mode", MODES)
def test_only_the_taken_branch_runs(mode) -> None:
    a, b = T.dscalars("a", "b")
    x = T.dvector("x")
    then_op, else_op = Counting(), Counting()
    z = ifelse(T.lt(a, b), then_op(x).sum(), else_op(x).mean())
    f = theano.function([a, b, x], z, mode=mode)
    assert f(1.0, 2.0, [1.0, 2.0]) == 6.0
    then_calls = then_op.calls  # DEBUG_MODE runs each node twice (checked vs reference)
    assert then_calls >= 1 and else_op.calls == 0
    assert f(3.0, 2.0, [1.0, 2.0]) == 3.0
    assert then_op.calls == then_calls and else_op.calls >= 1


def test_the_untaken_branch_may_fail() -> None:
    c = T.iscalar("c")
    x = T.dvector("x")
    z = ifelse(c, x * 3.0, Counting(fail=True)(x))
    f = theano.function([c, x], z)
    np.testing.assert_array_equal(f(1, [1.0, 2.0]), [3.0, 6.0])
    with pytest.raises(RuntimeError, match="not taken"):
        f(0, [1.0, 2.0])


@settings(max_examples=30, deadline=None)
@given(cond=st.booleans(), values=st.lists(st.floats(-5, 5), min_size=0, max_size=4))
def test_values_match_numpy(cond, values) -> None:
    c = T.bscalar("c")
    x, y = T.dvectors("x", "y")
    outs = ifelse(c, [x + y, T.exp(x).sum()], [x * y, T.sum(y)])
    xv = np.asarray(values)
    yv = xv[::-1] * 0.5
    got = theano.function([c, x, y], outs)(int(cond), xv, yv)
    want = [xv + yv, np.exp(xv).sum()] if cond else [xv * yv, yv.sum()]
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1])


def test_constant_branch_takes_the_other_branch_dtype() -> None:
    a = T.fscalar("a")
    z = ifelse(T.gt(a, 0), a * 2, 0)
    assert z.dtype == "float32"
    f = theano.function([a], z)
    assert f(1.5) == 3.0 and f(-1.0) == 0.0


def test_output_does_not_alias_input() -> None:
    c, x = T.iscalar("c"), T.dvector("x")
    f = theano.function([c, x], ifelse(c, x, x * 2))
    xv = np.array([1.0, 2.0])
    out = f(1, xv)
    out[0] = 100.0
    assert xv[0] == 1.0


@pytest.mark.parametrize("cond", [0.2, 0.8])
def test_gradient_follows_the_taken_branch(cond) -> None:
    def fn(a, x):
        return ifelse(T.lt(a, 0.5), (x ** 2) * a, T.exp(x) * a)

    verify_grad(fn, [np.array(cond), np.array([0.3, -0.7, 1.1])])


def test_gradient_is_lazy_too() -> None:
    c, x = T.iscalar("c"), T.dvector("x")
    op = Counting()
    g = theano.grad(ifelse(c, T.sum(x ** 2), T.sum(T.exp(op(x)))), x)
    f = theano.function([c, x], g)
    np.testing.assert_array_equal(f(1, [1.0, 2.0]), [2.0, 4.0])
    assert op.calls == 0  # the else branch's gradient needs op(x): it did not run
    np.testing.assert_allclose(f(0, [1.0, 2.0]), 2 * np.exp([2.0, 4.0]))
    assert op.calls >= 1  # (twice in DEBUG_MODE, which also runs the reference)
    assert any(isinstance(n.op, IfElse) for n in f.maker.fgraph.apply_nodes)


def test_second_order_gradient_through_ifelse() -> None:
    c, x = T.iscalar("c"), T.dscalar("x")
    y = ifelse(c, x ** 3, T.sin(x))
    g2 = theano.grad(theano.grad(y, x), x)
    f = theano.function([c, x], g2)
    assert np.isclose(f(1, 2.0), 12.0) and np.isclose(f(0, 2.0), -np.sin(2.0))


def test_bad_inputs_name_the_variable() -> None:
    x, v = T.dscalar("x"), T.dvector("cond_vec")
    with pytest.raises(TypeError, match="cond_vec.*scalar"):
        ifelse(v, x, x)
    m = T.dmatrix("mat")
    with pytest.raises(TypeError, match="mat"):
        ifelse(x, v, m)
    with pytest.raises(ValueError, match="outputs"):
        ifelse(x, [x, x], [x])
