"""T.dscalar and friends are TensorType instances (Theano 1.0): callable, the .type of the
variables they make, with Theano's repr."""

from __future__ import annotations

import pytest

from tensordsl import tensor as T
from tensordsl.graph.type import TensorType
from tensordsl.tensor.constructors import KIND_SHAPES, PREFIX_DTYPES


@pytest.mark.parametrize("prefix,dtype", sorted(PREFIX_DTYPES.items()))
@pytest.mark.parametrize("kind", sorted(KIND_SHAPES))
def test_prefixed_constructors_are_types(prefix, dtype, kind) -> None:
    ttype = getattr(T, prefix + kind)
    assert isinstance(ttype, TensorType)
    assert ttype.dtype == dtype and ttype.shape == KIND_SHAPES[kind]
    x = ttype("x")
    assert x.type is ttype and x.name == "x"
    assert ttype(name="y").name == "y" and ttype().name is None
    plural = getattr(T, prefix + {"matrix": "matrices"}.get(kind, kind + "s"))("a", "b")
    assert [v.name for v in plural] == ["a", "b"] and all(v.type == ttype for v in plural)


@pytest.mark.parametrize("ttype,text", [
    (T.dscalar, "TensorType(float64, scalar)"),
    (T.fvector, "TensorType(float32, vector)"),
    (T.imatrix, "TensorType(int32, matrix)"),
    (T.drow, "TensorType(float64, row)"),
    (T.lcol, "TensorType(int64, col)"),
    (T.dtensor3, "TensorType(float64, 3D)"),
    (TensorType("float64", (1, None, 1)), "TensorType(float64, (True, False, True))"),
    (TensorType("float64", (2, None)), "TensorType(float64, shape=(2, None))"),
])
def test_theano_repr(ttype, text) -> None:
    assert repr(ttype) == text


def test_generic_constructors_stay_functions() -> None:
    assert T.matrix("m", dtype="int8").dtype == "int8"
    assert T.scalar("s").type == TensorType(T.scalar().dtype, ())
