"""The public namespaces: what `import *` exports, and every name the issue lists exists."""

from __future__ import annotations

import pytest

import tensordsl
from tensordsl import tensor as T

ISSUE_FUNCTIONS = """dot exp log log1p expm1 sqrt sqr abs sign floor ceil round sin cos tan tanh
arcsin arccos arctan sinh cosh erf erfc sigmoid softplus maximum minimum clip switch where eq
neq lt le gt ge and_ or_ xor invert cast sum mean var std max min prod argmax argmin
concatenate stack reshape flatten dimshuffle transpose outer zeros_like ones_like zeros ones
alloc arange set_subtensor inc_subtensor""".split()
NNET = ["sigmoid", "softmax", "relu", "binary_crossentropy", "categorical_crossentropy"]
METHODS = """sum mean max min prod argmax argmin reshape flatten dimshuffle astype var std T shape
ndim dtype transpose""".split()


@pytest.mark.parametrize("name", ISSUE_FUNCTIONS)
def test_issue_function_exists(name):
    assert callable(getattr(T, name))


@pytest.mark.parametrize("name", NNET)
def test_nnet_function_exists(name):
    assert callable(getattr(T.nnet, name))


def test_variable_methods_exist():
    x = T.dmatrix("x")
    for name in METHODS:
        assert hasattr(x, name), name


def test_star_import_of_tensor_exports_only_api_names():
    namespace: dict = {}
    exec("from tensordsl.tensor import *", namespace)
    exported = set(namespace) - {"__builtins__"}
    for helper in ("np", "Any", "builtins", "ps", "Reduce", "Elemwise", "annotations",
                   "dtypes", "config", "normalize_axis", "shape_i", "Sequence", "elemwise",
                   "PREFIX_DTYPES", "KIND_SHAPES", "math", "basic", "variable"):
        assert helper not in exported, helper
    for name in ISSUE_FUNCTIONS + ["dmatrices", "fvector", "tensor3", "nnet", "TensorType"]:
        assert name in exported, name
    assert set(T.__all__) == exported


def test_star_import_of_tensordsl_gives_the_seed_names():
    namespace: dict = {}
    exec("from tensordsl import *", namespace)
    for name in ("tensor", "function", "shared", "In", "config"):
        assert name in namespace
    assert namespace["tensor"] is T


def test_seed_dmatrices_program():
    """The seed's `from theano.tensor import *` then dmatrices('x', 'y', 'z')."""
    namespace: dict = {}
    exec("from tensordsl.tensor import *\nx, y, z = dmatrices('x', 'y', 'z')", namespace)
    assert [v.name for v in (namespace["x"], namespace["y"], namespace["z"])] == ["x", "y", "z"]
    assert namespace["x"].dtype == "float64" and namespace["x"].ndim == 2


def test_tensordsl_version_and_lazy_attribute_error():
    assert tensordsl.__version__
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tensordsl.nonexistent  # noqa: B018
