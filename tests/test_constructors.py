"""Every typed constructor of the tensor API: dtype, ndim, broadcastable pattern, name."""

from __future__ import annotations

import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.tensor.variable import TensorVariable

PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
            "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}
KINDS = {
    "scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
    "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4,
    "tensor5": (False,) * 5, "tensor6": (False,) * 6, "tensor7": (False,) * 7,
}
PLURAL = {"scalar": "scalars", "vector": "vectors", "matrix": "matrices", "row": "rows",
          "col": "cols", **{f"tensor{n}": f"tensor{n}s" for n in range(3, 8)}}

TYPED = [(p + k, dt, bc) for p, dt in PREFIXES.items() for k, bc in KINDS.items()]
GENERIC = list(KINDS.items())


def check(var, dtype, broadcastable, name):
    assert isinstance(var, TensorVariable)
    assert var.dtype == dtype
    assert var.ndim == len(broadcastable)
    assert var.broadcastable == broadcastable
    assert var.type.shape == tuple(1 if b else None for b in broadcastable)
    assert var.name == name
    assert var.owner is None


def test_every_prefix_and_kind_exists():
    assert len(TYPED) == 80
    for name, _, _ in TYPED:
        assert callable(getattr(T, name)), name
        assert callable(getattr(T, name[0] + PLURAL[name[1:]])), name


@pytest.mark.parametrize("name,dtype,broadcastable", TYPED, ids=[t[0] for t in TYPED])
def test_typed_constructor(name, dtype, broadcastable):
    constructor = getattr(T, name)
    check(constructor(), dtype, broadcastable, None)
    check(constructor("v"), dtype, broadcastable, "v")
    check(constructor(name="w"), dtype, broadcastable, "w")
    assert constructor("a") is not constructor("a")  # a fresh variable each call


@pytest.mark.parametrize("name,dtype,broadcastable", TYPED, ids=[t[0] for t in TYPED])
def test_typed_plural_constructor(name, dtype, broadcastable):
    plural = getattr(T, name[0] + PLURAL[name[1:]])
    a, b, c = plural("a", "b", "c")
    for var, n in ((a, "a"), (b, "b"), (c, "c")):
        check(var, dtype, broadcastable, n)
    assert len({id(a), id(b), id(c)}) == 3
    (only,) = plural("x")
    check(only, dtype, broadcastable, "x")
    unnamed = plural(2)  # Theano: an int asks for that many unnamed variables
    assert len(unnamed) == 2
    for var in unnamed:
        check(var, dtype, broadcastable, None)
    assert plural() == []


@pytest.mark.parametrize("kind,broadcastable", GENERIC, ids=[g[0] for g in GENERIC])
@pytest.mark.parametrize("floatx", ["float64", "float32"])
def test_generic_constructor_defaults_to_floatx(kind, broadcastable, floatx):
    with tensordsl.config.change_flags(floatX=floatx):
        check(getattr(T, kind)(), floatx, broadcastable, None)
        check(getattr(T, kind)("x"), floatx, broadcastable, "x")
        a, b = getattr(T, PLURAL[kind])("a", "b")
        check(a, floatx, broadcastable, "a")
        check(b, floatx, broadcastable, "b")


@pytest.mark.parametrize("kind,broadcastable", GENERIC, ids=[g[0] for g in GENERIC])
@pytest.mark.parametrize("dtype", list(PREFIXES.values()) + ["bool", "uint8"])
def test_generic_constructor_with_dtype(kind, broadcastable, dtype):
    check(getattr(T, kind)("x", dtype=dtype), dtype, broadcastable, "x")
    check(getattr(T, kind)(name="y", dtype=dtype), dtype, broadcastable, "y")
    a, b = getattr(T, PLURAL[kind])("a", "b", dtype=dtype)
    check(a, dtype, broadcastable, "a")
    check(b, dtype, broadcastable, "b")


def test_seed_spelling_of_generic_vector_with_numpy_dtype():
    import numpy as np

    x = T.vector("x", dtype=np.int32)
    check(x, "int32", (False,), "x")


@pytest.mark.parametrize("shape", [(), (None,), (1,), (3, None), (None, 1, 1), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_tensor_with_shape(shape, dtype):
    var = T.tensor(dtype, shape=shape, name="t")
    assert var.dtype == dtype and var.type.shape == shape and var.name == "t"
    assert var.broadcastable == tuple(s == 1 for s in shape)


def test_tensor_with_broadcastable_and_default_dtype():
    var = T.tensor(broadcastable=(True, False))
    check(var, tensordsl.config.floatX, (True, False), None)
    with tensordsl.config.change_flags(floatX="float32"):
        assert T.tensor(shape=(None,)).dtype == "float32"


def test_tensor_type_call_makes_a_variable():
    check(T.TensorType("int16", (1, None))("r"), "int16", (True, False), "r")


def test_seed_names_f64_and_i32():
    """The seed binds constructors to names: i32 = T.ivector; f64 = T.dtensor3."""
    i32, f64 = T.ivector, T.dtensor3
    check(i32(), "int32", (False,), None)
    check(f64("f"), "float64", (False,) * 3, "f")


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="unsupported dtype 'object'"):
        T.vector("x", dtype=object)
    with pytest.raises(TypeError):
        T.matrix("x", dtype="not-a-dtype")


def test_negative_static_size_is_refused():
    with pytest.raises(ValueError, match=">= 0"):
        T.tensor("float64", shape=(-1,))
