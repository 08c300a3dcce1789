"""theano.clone, T.get_scalar_constant_value / NotScalarConstantError, and Theano 1.0's
root and tensor-namespace names (theano.dot, theano.gof, T.cumsum, ...)."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.tensor import extra_ops


def test_clone_replaces_and_keeps_the_original():
    x, y = T.dvector("x"), T.dvector("y")
    s = theano.shared(np.array([10.0, 20.0]), name="s")
    z = x * 2 + y + s
    w = theano.clone(z, {y: x})
    np.testing.assert_array_equal(theano.function([x], w)(np.ones(2)), [13.0, 23.0])
    np.testing.assert_array_equal(theano.function([x, y], z)(np.ones(2), np.zeros(2)),
                                  [12.0, 22.0])
    (v,) = theano.clone([z], replace=[(x, y * 3)])
    np.testing.assert_array_equal(theano.function([y], v)(np.ones(2)), [17.0, 27.0])
    fresh = theano.clone(z, share_inputs=False)
    inputs = theano.gof.graph.inputs([fresh])
    assert s in inputs and x not in inputs and y not in inputs
    assert {v.name for v in inputs if v is not s and v.owner is None} >= {"x", "y"}


def test_clone_type_rules():
    x, y = T.dvector("x"), T.dvector("y")
    z = x + y
    with pytest.raises(TypeError, match="strict=True"):
        theano.clone(z, {y: T.TensorType("float64", (3,))("q")})
    assert theano.clone(z, {y: T.TensorType("float64", (3,))("q")}, strict=False).type \
        .shape == (3,)
    with pytest.raises(TypeError, match="does not fit"):
        theano.clone(z, {y: T.fvector()}, strict=False)
    with pytest.raises(TypeError, match="pairs"):
        theano.clone(z, [y])


def test_get_scalar_constant_value():
    g = T.get_scalar_constant_value
    x = T.TensorType("float64", (3, None))("x")
    assert g(3) == 3 and g(np.array([2.5])) == 2.5 and g(T.constant(4)) == 4
    assert g(x.shape[0]) == 3 and g(x.shape[0] * 2 + 1) == 7
    assert g(T.cast(T.constant(2.7), "int32")) == 2
    assert isinstance(g(T.constant(1.5)), np.ndarray)
    for bad in (x.shape[1], x.shape[-1], T.dscalar(), T.constant(np.ones(3)), "a"):
        with pytest.raises(T.NotScalarConstantError):
            g(bad)
    with pytest.raises(T.NotScalarConstantError):
        g(T.constant(2) * 2, only_process_constants=True)
    with pytest.raises(T.NotScalarConstantError):
        g(T.constant(2.0) * 2, elemwise=False)
    with pytest.raises(T.NotScalarConstantError, match="empty"):
        g(T.constant(np.zeros(0)))


def test_root_and_tensor_namespace_names():
    assert theano.dot is T.dot
    assert theano.gof.Op is theano.Op
    for name in ("cumsum", "cumprod", "bincount", "squeeze", "repeat", "fill_diagonal",
                 "diff"):
        assert getattr(T, name) is getattr(extra_ops, name)
    v = T.dvector("v")
    np.testing.assert_array_equal(theano.function([v], T.cumsum(v))(np.arange(4.0)),
                                  [0.0, 1.0, 3.0, 6.0])


def test_sharedvar_and_misc_paths():
    from tensordsl.misc.safe_asarray import _asarray

    assert isinstance(theano.shared(np.ones(2)), T.sharedvar.TensorSharedVariable)
    assert T.var is not T.sharedvar  # the variance function keeps its name
    out = _asarray([1, 2], "int32")
    assert out.dtype == np.int32 and out.tolist() == [1, 2]
    with theano.config.change_flags(floatX="float32"):
        assert _asarray(3.5, "floatX").dtype == np.float32
    assert theano.misc.safe_asarray._asarray is _asarray
