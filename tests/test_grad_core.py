"""grad's contract: structure, errors, consider_constant, known_grads, higher order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import (
    DisconnectedInputError,
    GradientError,
    hessian,
    jacobian,
    register_grad,
    verify_grad,
)
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable


def test_wrt_structure_is_preserved() -> None:
    x, y = T.dscalars("x", "y")
    cost = x * y
    assert isinstance(theano.grad(cost, x), theano.Variable)
    assert isinstance(theano.grad(cost, [x, y]), list)
    assert isinstance(theano.grad(cost, (x, y)), tuple)
    assert T.grad is not None and T.grad(cost, x).ndim == 0
    gx, gy = theano.function([x, y], theano.grad(cost, [x, y]))(2.0, 5.0)
    assert (gx, gy) == (5.0, 2.0)


def test_non_scalar_cost_is_a_type_error_naming_it() -> None:
    v = T.dvector("my_vector")
    with pytest.raises(TypeError, match="my_vector.*scalar"):
        theano.grad(v * 2, v)
    with pytest.raises(TypeError, match="my_vector"):
        theano.grad(v, v)


def test_disconnected_wrt_raises_naming_the_variable() -> None:
    x, unused = T.dscalar("x"), T.dscalar("not_in_graph")
    with pytest.raises(DisconnectedInputError, match="not_in_graph"):
        theano.grad(x ** 2, [x, unused])
    with pytest.raises(ValueError, match="not_in_graph"):  # it is a ValueError too
        theano.grad(x ** 2, unused)


def test_disconnected_warn_ignore_and_none() -> None:
    x, u = T.dscalar("x"), T.dvector("u")
    with pytest.warns(UserWarning, match="u"):
        g = theano.grad(x ** 2, u, disconnected_inputs="warn")
    f = theano.function([x, u], g, on_unused_input="ignore")
    np.testing.assert_array_equal(f(1.0, [1.0, 2.0]), [0.0, 0.0])
    assert theano.grad(x ** 2, u, disconnected_inputs="ignore",
                       return_disconnected="None") is None
    with pytest.raises(ValueError, match="disconnected_inputs"):
        theano.grad(x ** 2, x, disconnected_inputs="sometimes")


def test_shape_only_dependence_is_disconnected() -> None:
    v = T.dvector("v")
    with pytest.raises(DisconnectedInputError, match="v"):
        theano.grad(T.cast(v.shape[0], "float64"), v)


def test_integer_wrt_gives_float_zeros() -> None:
    i = T.iscalar("i")
    x = T.dscalar("x")
    g = theano.grad(x * i, i)
    assert g.dtype == theano.config.floatX
    assert theano.function([x, i], g, on_unused_input="ignore")(2.0, 3) == 0.0


def test_consider_constant_stops_the_gradient() -> None:
    x = T.dscalar("x")
    y = x ** 2
    g = theano.grad(y * x, x, consider_constant=[y])
    assert theano.function([x], g)(3.0) == 9.0  # d(c*x)/dx = c = x**2


def test_known_grads_seed_the_reverse_pass() -> None:
    x = T.dvector("x")
    y = T.exp(x)
    seed = T.dvector("seed")
    g = theano.grad(None, x, known_grads={y: seed})
    xv, sv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(theano.function([x, seed], g)(xv, sv), sv * np.exp(xv))
    with pytest.raises(ValueError, match="known_grads"):
        theano.grad(None, x)


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3))
def test_grad_of_grad(value) -> None:
    x = T.dscalar("x")
    g1 = theano.grad(x ** 3 + T.sin(x), x)
    g2 = theano.grad(g1, x)
    g3 = theano.grad(g2, x)
    f = theano.function([x], [g1, g2, g3])
    d1, d2, d3 = f(value)
    np.testing.assert_allclose([d1, d2, d3], [3 * value ** 2 + np.cos(value),
                                              6 * value - np.sin(value), 6 - np.cos(value)],
                               atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), data=st.data())
def test_hessian_of_quadratic_form(n, data) -> None:
    a = np.asarray(data.draw(st.lists(st.floats(-3, 3), min_size=n * n, max_size=n * n)))
    a = a.reshape(n, n)
    xv = np.asarray(data.draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
    x, A = T.dvector("x"), T.dmatrix("A")
    H = hessian(T.dot(x, T.dot(A, x)), x)
    np.testing.assert_allclose(theano.function([x, A], H)(xv, a), a + a.T, atol=1e-12)


def test_jacobian_of_vector_function_and_list_wrt() -> None:
    x, w = T.dvectors("x", "w")
    J = jacobian(T.exp(x) * w.sum(), [x, w])
    xv, wv = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0])
    jx, jw = theano.function([x, w], J)(xv, wv)
    np.testing.assert_allclose(jx, np.diag(np.exp(xv)) * 3.0)
    np.testing.assert_allclose(jw, np.outer(np.exp(xv), np.ones(2)))
    s = T.dscalar("s")
    assert theano.function([s], jacobian(s ** 2, s))(3.0) == 6.0
    with pytest.raises(TypeError, match="vector"):
        jacobian(T.dmatrix("m"), x)


def test_verify_grad_detects_a_wrong_rule() -> None:
    class BadSin(Op):
        def make_node(self, x):
            x = as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs):
            return [np.sin(inputs[0])]

    @register_grad(BadSin)
    def _bad(node, out_grads):
        return [out_grads[0] * T.cos(node.inputs[0]) * 2.0]

    with pytest.raises(GradientError, match="max abs error") as info:
        verify_grad(lambda v: BadSin()(v), [np.array([0.3, 0.5])])
    assert info.value.abs_err > 0.1
    with pytest.raises(TypeError, match="float"):
        verify_grad(lambda v: v * 2, [np.array([1, 2])])


def test_missing_rule_names_the_op() -> None:
    class NoGrad(Op):
        def make_node(self, x):
            x = as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

    x = T.dscalar("x")
    with pytest.raises(NotImplementedError, match="NoGrad"):
        theano.grad(NoGrad()(x), x)


def test_update_with_gradient_keeps_the_parameter_dtype() -> None:
    w = theano.shared(np.ones(3, dtype="float32"), "w")
    x = T.fvector("x")
    cost = ((x * w).sum() - 1.0) ** 2
    g = theano.grad(cost, w)
    assert g.dtype == "float32"
    f = theano.function([x], cost, updates=[(w, w - np.float32(0.1) * g)])
    f(np.ones(3, dtype="float32"))
    np.testing.assert_allclose(w.get_value(), np.ones(3) - 0.4, rtol=1e-6)


def test_tensor_module_forwards_jacobian_and_hessian() -> None:
    x = T.dvector("x")
    jac = theano.function([x], T.jacobian(x ** 2, x))([1.0, 2.0])
    hess = theano.function([x], T.hessian((x ** 3).sum(), x))([1.0, 2.0])
    np.testing.assert_allclose(jac, np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hess, np.diag([6.0, 12.0]))


@settings(max_examples=20, deadline=None)
@given(data=st.data(), n=st.integers(1, 3), m=st.integers(1, 3))
def test_rop_and_lop_match_the_jacobian(data, n, m) -> None:
    def arr(*shape):
        size = int(np.prod(shape))
        return np.asarray(data.draw(st.lists(st.floats(-2, 2), min_size=size, max_size=size)),
                          dtype="float64").reshape(shape)

    from tensordsl.gradient import Lop, Rop

    x, W, v, u = T.dvector("x"), T.dmatrix("W"), T.dvector("v"), T.dvector("u")
    y = T.tanh(T.dot(x, W))
    xv, wv, vv, uv = arr(n), arr(n, m), arr(n), arr(m)
    jac = (1 - np.tanh(xv @ wv) ** 2)[None, :] * wv  # d y_j / d x_i, shape (n, m)
    jv = theano.function([x, W, v], Rop(y, x, v))(xv, wv, vv)
    ju = theano.function([x, W, u], Lop(y, x, u))(xv, wv, uv)
    np.testing.assert_allclose(jv, vv @ jac, atol=1e-12)
    np.testing.assert_allclose(ju, jac @ uv, atol=1e-12)


def test_gradient_wrappers() -> None:
    from tensordsl.gradient import disconnected_grad, grad_clip, grad_scale, zero_grad

    a = T.dscalar("a")
    outs = [theano.grad(zero_grad(a) ** 2 + a, a), theano.grad(grad_clip(a ** 2, -1, 1), a),
            theano.grad(grad_scale(a ** 2, 3.0), a), zero_grad(a) * 5.0]
    assert theano.function([a], outs)(2.0) == [1.0, 4.0, 12.0, 10.0]
    with pytest.raises(DisconnectedInputError, match="a"):
        theano.grad(disconnected_grad(a) ** 2, a)
