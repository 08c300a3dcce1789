"""Theano 1.0's theano.as_op / theano.compile.ops.as_op, and the root names theano.map,
reduce, foldl, foldr and the module path theano.scan_module."""

from __future__ import annotations

import importlib
import pickle

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T


@theano.as_op(itypes=[T.dmatrix], otypes=[T.dvector])
def row_norms(m):
    return np.sqrt((m ** 2).sum(axis=1))


@theano.as_op(itypes=[T.dvector, T.lscalar], otypes=[T.dvector, T.lvector],
              infer_shape=lambda node, shapes: [shapes[0], shapes[0]])
def shift_and_rank(v, k):
    return v + k, np.argsort(np.argsort(v))


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_as_op_runs_the_function(mode):
    rng = np.random.default_rng(0)
    m = T.dmatrix("m")
    f = theano.function([m], row_norms(m) * 2 + 1, mode=mode)
    mv = rng.standard_normal((4, 3))
    np.testing.assert_allclose(f(mv), np.sqrt((mv ** 2).sum(1)) * 2 + 1, rtol=1e-12)
    v, k = T.dvector("v"), T.lscalar("k")
    a, b = shift_and_rank(v, k)
    assert a.dtype == "float64" and b.dtype == "int64"
    vv = rng.standard_normal(5)
    got_a, got_b = theano.function([v, k], [a, b], mode=mode)(vv, 3)
    np.testing.assert_allclose(got_a, vv + 3)
    np.testing.assert_array_equal(got_b, np.argsort(np.argsort(vv)))


def test_infer_shape_is_the_ops_and_shapes_are_right():
    v, k = T.dvector("v"), T.lscalar("k")
    a, _ = shift_and_rank(v, k)
    assert a.owner.op.infer_shape(a.owner, [(7,), ()]) == [(7,), (7,)]
    np.testing.assert_array_equal(theano.function([v, k], a.shape)(np.zeros(7), 1), [7])
    m = T.dmatrix("m")
    np.testing.assert_array_equal(theano.function([m], row_norms(m).shape)(np.ones((3, 2))),
                                  [3])
    with pytest.raises(NotImplementedError, match="no infer_shape"):
        row_norms(m).owner.op.infer_shape(None, [(3, 2)])


def test_types_are_checked_and_there_is_no_gradient():
    with pytest.raises(TypeError, match="expected float64|has type"):
        row_norms(T.fmatrix("f"))
    with pytest.raises(TypeError, match="expected 1 inputs"):
        row_norms(T.dmatrix(), T.dmatrix())
    with pytest.raises(TypeError, match="TensorTypes"):
        theano.as_op(itypes=["dmatrix"], otypes=[T.dvector])

    @theano.as_op(itypes=[T.dvector], otypes=[T.dvector, T.dvector])
    def one_output(v):
        return v

    v = T.dvector("v")
    f = theano.function([v], one_output(v))
    with pytest.raises(ValueError, match="returned 1 values for 2 otypes"):
        f(np.zeros(2))
    m = T.dmatrix("m")
    with pytest.raises(Exception, match="FromFunctionOp|gradient"):
        theano.grad(T.sum(row_norms(m)), m)


def test_module_level_ops_pickle_by_reference():
    m = T.dmatrix("m")
    f = theano.function([m], row_norms(m))
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(g(np.full((2, 2), 3.0)), [np.sqrt(18.0)] * 2)
    assert pickle.loads(pickle.dumps(row_norms)) is row_norms
    local = theano.as_op(itypes=[T.dvector], otypes=[T.dvector])(lambda v: v)
    with pytest.raises(pickle.PicklingError, match="by reference"):
        pickle.dumps(local)


def test_scan_variants_at_the_root_and_scan_module():
    v = T.dvector("v")
    sq, _ = theano.map(lambda x: x ** 2, sequences=[v])
    zero = T.constant(np.float64(0.0))
    total, _ = theano.reduce(lambda x, acc: acc + x, sequences=[v], outputs_info=zero)
    left, _ = theano.foldl(lambda x, acc: acc * 2 + x, sequences=[v],
                           outputs_info=T.constant(np.float64(0.0)))
    right, _ = theano.foldr(lambda x, acc: acc * 2 + x, sequences=[v],
                            outputs_info=T.constant(np.float64(0.0)))
    vv = np.array([1.0, 2.0, 3.0])
    got = theano.function([v], [sq, total, left, right])(vv)
    np.testing.assert_allclose(got[0], vv ** 2)
    assert got[1] == pytest.approx(6.0)
    assert got[2] == pytest.approx(((1 * 2) + 2) * 2 + 3)
    assert got[3] == pytest.approx(((3 * 2) + 2) * 2 + 1)
    sm = importlib.import_module("tensordsl.scan_module")
    assert sm.until is theano.scan.until and sm.scan is theano.scan.scan
    ops = importlib.import_module("tensordsl.compile.ops")
    assert ops.as_op is theano.as_op and theano.compile.ops is ops
