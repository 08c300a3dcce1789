"""theano.OpFromGraph / theano.compile.builders.OpFromGraph (Theano 1.0)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_theano_docs_example(mode):
    x, y, z = T.dscalars("x", "y", "z")
    e = x + y * z
    op = theano.OpFromGraph([x, y, z], [e])
    e2 = op(x, y, z) + op(z, y, x)
    fn = theano.function([x, y, z], [e2], mode=mode)
    (got,) = fn(1.0, 2.0, 3.0)
    assert got == pytest.approx((1 + 2 * 3) + (3 + 2 * 1))


def test_matrices_several_outputs_and_shared_state():
    rng = np.random.default_rng(0)
    a, b = T.dmatrix("a"), T.dmatrix("b")
    w = theano.shared(rng.standard_normal((3, 3)), name="w")
    op = theano.OpFromGraph([a, b], [T.dot(a, w) + b, T.sum(a * b)], name="affine")
    u, v = T.dmatrix("u"), T.dmatrix("v")
    out1, out2 = op(u, v)
    f = theano.function([u, v], [out1, out2])
    uv, vv = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    got1, got2 = f(uv, vv)
    np.testing.assert_allclose(got1, uv @ w.get_value() + vv, rtol=1e-12)
    assert got2 == pytest.approx(np.sum(uv * vv))
    w.set_value(np.eye(3))  # the node reads the shared value of the call
    np.testing.assert_allclose(f(uv, vv)[0], uv + vv, rtol=1e-12)
    assert "affine" in str(op)


def test_gradients_through_the_op_and_to_shared_variables():
    rng = np.random.default_rng(1)
    a, b = T.dvector("a"), T.dvector("b")
    s = theano.shared(np.float64(2.0), name="s")
    op = theano.OpFromGraph([a, b], [T.tanh(a) * s + b ** 2])
    verify_grad(lambda p, q: op(p, q), [rng.standard_normal(3), rng.standard_normal(3)],
                rng=rng)
    u = T.dvector("u")
    gs = theano.function([u], theano.grad(T.sum(op(u, u)), s))(np.array([0.5, -1.0]))
    assert gs == pytest.approx(np.sum(np.tanh([0.5, -1.0])))


def test_grad_overrides_and_disconnected_inputs():
    a, b = T.dvector("a"), T.dvector("b")
    op = theano.OpFromGraph([a, b], [a * 3], grad_overrides=lambda ins, gs: [gs[0] * 10,
                                                                             None])
    u = T.dvector("u")
    g = theano.function([u], theano.grad(T.sum(op(u, u)), u))(np.ones(2))
    np.testing.assert_array_equal(g, [10.0, 10.0])
    plain = theano.OpFromGraph([a, b], [a * 3])
    v = T.dvector("v")
    assert theano.grad(T.sum(plain(u, v)), v, disconnected_inputs="ignore",
                       return_disconnected="None") is None
    with pytest.raises(NotImplementedError, match="grad_overrides"):
        theano.OpFromGraph([a], [a], grad_overrides=[None])
    with pytest.raises(NotImplementedError, match="rop_overrides"):
        theano.OpFromGraph([a], [a], rop_overrides=lambda *args: None)


def test_inline_identity_pickle_and_errors():
    a, b = T.dvector("a"), T.dvector("b")
    inline = theano.OpFromGraph([a, b], [a - b], inline=True)
    u, v = T.dvector("u"), T.dvector("v")
    out = inline(u, v)
    assert not isinstance(out.owner.op, theano.OpFromGraph)
    np.testing.assert_array_equal(theano.function([u, v], out)(np.ones(2), np.zeros(2)),
                                  [1.0, 1.0])
    one, two = theano.OpFromGraph([a], [a * 2]), theano.OpFromGraph([a], [a * 2])
    assert one != two and one == one
    f = theano.function([u], one(u) + two(u))
    np.testing.assert_array_equal(f(np.ones(2)), [4.0, 4.0])
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(np.full(2, 2.0)), [8.0, 8.0])
    with pytest.raises(TypeError, match="expected 1 inputs"):
        one(u, v)
    with pytest.raises(TypeError, match="has type"):
        one(T.fvector())
    with pytest.raises(ValueError, match="fresh variable"):
        theano.OpFromGraph([a * 2], [a])
    with pytest.raises(ValueError, match="not one of the inputs"):
        theano.OpFromGraph([a], [a + b])
    from tensordsl.compile.builders import OpFromGraph

    assert OpFromGraph is theano.OpFromGraph is theano.compile.OpFromGraph
