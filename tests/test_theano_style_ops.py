"""Ops written the way Theano 1.0's "Extending Theano" tutorial writes them:
perform(node, inputs, output_storage), itypes/otypes, grad / L_op,
connection_pattern, DisconnectedType, grad_undefined / grad_not_implemented; the
theano.gof module path and TensorType(dtype, broadcastable)."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.gradient import (
    DisconnectedInputError,
    DisconnectedType,
    grad_not_implemented,
    grad_undefined,
    verify_grad,
)


class DoubleOp(theano.Op):
    """The tutorial's op, verbatim in substance."""

    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]


class DoubleOp1(theano.Op):
    """The tutorial's itypes / otypes variant (no make_node)."""

    __props__ = ()
    itypes = [T.dmatrix]
    otypes = [T.dmatrix]

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2


class SumAndMax(theano.Op):
    """Two outputs; L_op gets zeros for the output the cost does not use."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [T.dscalar(), T.dscalar()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x.sum()  # a numpy scalar, stored as a 0-d array
        output_storage[1][0] = float(x.max())

    def L_op(self, inputs, outputs, output_grads):
        (x,) = inputs
        g_sum, g_max = output_grads
        return [T.ones_like(x) * g_sum + T.eq(x, outputs[1]) * g_max]


class ScaleBy(theano.Op):
    """x * k for an integer k: k gets no gradient (connection_pattern, DisconnectedType)."""

    __props__ = ()

    def make_node(self, x, k):
        x, k = T.as_tensor_variable(x), T.as_tensor_variable(k)
        return theano.Apply(self, [x, k], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, k = inputs
        output_storage[0][0] = x * k

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        x, k = inputs
        return [output_grads[0] * k, DisconnectedType()()]


class Undefined(theano.Op):
    __props__ = ("how",)

    def __init__(self, how):
        self.how = how

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return theano.Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] + np.floor(inputs[1])

    def grad(self, inputs, output_grads):
        make = grad_undefined if self.how == "undefined" else grad_not_implemented
        return [output_grads[0], make(self, 1, inputs[1], "floor")]


class WithParams(theano.Op):
    __props__ = ("k",)

    def __init__(self, k):
        self.k = k

    def get_params(self, node):
        return self.k

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage, params):
        output_storage[0][0] = inputs[0] + params


class Forgetful(theano.Op):
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        pass


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_tutorial_double_op(mode):
    x = T.matrix()
    f = theano.function([x], DoubleOp()(x), mode=mode)
    inp = np.random.default_rng(0).random((5, 4))
    np.testing.assert_array_equal(f(inp), inp * 2)
    g = theano.function([x], theano.grad(T.sum(DoubleOp()(x) ** 2), x), mode=mode)
    np.testing.assert_allclose(g(inp), 8 * inp)
    verify_grad(lambda v: DoubleOp()(v), [inp])
    np.testing.assert_array_equal(
        theano.function([x], DoubleOp1()(x), mode=mode)(inp), inp * 2)


def test_infer_shape_is_the_ops_and_shapes_are_right():
    x = T.dmatrix("x")
    y = DoubleOp()(x)
    assert y.owner.op.infer_shape(y.owner, [(3, 7)]) == [(3, 7)]
    np.testing.assert_array_equal(theano.function([x], y.shape)(np.zeros((3, 7))), [3, 7])


def test_itypes_are_checked():
    with pytest.raises(TypeError, match="expected"):
        DoubleOp1()(T.fmatrix())
    with pytest.raises(ValueError, match="expected 1 inputs"):
        DoubleOp1()(T.dmatrix(), T.dmatrix())


def test_l_op_gets_zeros_for_unused_outputs_and_outputs_are_arrays():
    x = T.dvector("x")
    s, m = SumAndMax()(x)
    xv = np.array([1.0, 5.0, 2.0])
    got_s, got_m = theano.function([x], [s, m])(xv)
    assert got_s.shape == () and got_m.dtype == np.float64 and got_m == 5.0
    g_sum = theano.function([x], theano.grad(s, x))(xv)
    np.testing.assert_array_equal(g_sum, [1.0, 1.0, 1.0])
    g_max = theano.function([x], theano.grad(3 * m, x))(xv)
    np.testing.assert_array_equal(g_max, [0.0, 3.0, 0.0])


def test_connection_pattern_and_disconnected_type():
    x, k = T.dvector("x"), T.lscalar("k")
    y = ScaleBy()(x, k)
    g = theano.function([x, k], theano.grad(T.sum(y), x))
    np.testing.assert_array_equal(g(np.ones(3), 4), [4.0, 4.0, 4.0])
    with pytest.raises(DisconnectedInputError):
        theano.grad(T.sum(y), k)
    z = T.dscalar("z")
    w = ScaleBy()(x, z)
    assert theano.grad(T.sum(w), z, disconnected_inputs="ignore", return_disconnected="None") \
        is None


@pytest.mark.parametrize("how", ["undefined", "not_implemented"])
def test_undefined_gradients_raise_only_when_needed(how):
    x, y = T.dvector("x"), T.dvector("y")
    out = Undefined(how)(x, y)
    g = theano.function([x, y], theano.grad(T.sum(out), x))
    np.testing.assert_array_equal(g(np.ones(2), np.ones(2)), [1.0, 1.0])
    word = "undefined" if how == "undefined" else "not implemented"
    with pytest.raises(NotImplementedError, match=word):
        theano.grad(T.sum(out), y)


def test_params_and_missing_outputs():
    x = T.dvector("x")
    np.testing.assert_array_equal(theano.function([x], WithParams(3.0)(x))(np.zeros(2)),
                                  [3.0, 3.0])
    f = theano.function([x], Forgetful()(x))
    with pytest.raises(ValueError, match=r"did not store output 0 \(output_storage\[0\]\[0\]\)"):
        f(np.zeros(2))


def test_test_values_run_through_theano_style_perform():
    x = T.dvector("x")
    x.tag.test_value = np.array([1.0, 2.0])
    with config.change_flags(compute_test_value="raise"):
        y = DoubleOp()(x)
    np.testing.assert_array_equal(y.tag.test_value, [2.0, 4.0])


def test_gof_paths_and_broadcastable_types():
    from tensordsl.gof import Apply, Op
    from tensordsl.gof.graph import inputs, io_toposort

    assert Op is theano.Op and Apply is theano.Apply
    x, y = T.dvector("x"), T.dvector("y")
    out = DoubleOp()(x) + y
    assert set(inputs([out])) == {x, y}
    order = io_toposort([x, y], [out])
    assert isinstance(order[0].op, DoubleOp) and order[-1] is out.owner
    col = T.TensorType("float64", (False, True))
    assert col.broadcastable == (False, True) and col.shape == (None, 1)
    assert T.TensorType("float32", broadcastable=(True,)).shape == (1,)
    assert T.TensorType("int64", (2, None)).shape == (2, None)
    with pytest.raises(TypeError, match="not both"):
        T.TensorType("float64", (None,), broadcastable=(False,))


class Scale(theano.Op):
    """make_node with a keyword argument, called as op(x, factor=...)."""

    __props__ = ()

    def make_node(self, x, factor=2.0):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x, T.as_tensor_variable(np.float64(factor))], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * inputs[1]


def test_keywords_reach_make_node():
    x = T.dvector("x")
    f = theano.function([x], [Scale()(x), Scale()(x, factor=5.0)])
    a, b = f(np.ones(2))
    np.testing.assert_array_equal(a, [2.0, 2.0])
    np.testing.assert_array_equal(b, [5.0, 5.0])
