"""The Theano-style tensor API: `from tensordsl import tensor as T`.

Typed constructors (T.dmatrix, T.fvector, ...), elementwise maths, reductions, shape
manipulation, indexing helpers and `T.nnet`.
"""

# ruff: noqa: F401, F403, A001, A004
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.graph.type import TensorType
from tensordsl.tensor import nnet, signal
from tensordsl.tensor.basic import *
from tensordsl.tensor.basic import (
    alloc,
    arange,
    concatenate,
    dimshuffle,
    flatten,
    join,
    ones,
    reshape,
    shape,
    stack,
    transpose,
    zeros,
)
from tensordsl.tensor.constructors import *
from tensordsl.tensor.constructors import tensor
from tensordsl.tensor.math import *
from tensordsl.tensor.math import (
    abs,
    all,
    any,
    argmax,
    argmin,
    cast,
    clip,
    dot,
    max,
    mean,
    min,
    outer,
    prod,
    round,
    std,
    sum,
    var,
)
from tensordsl.tensor.subtensor import inc_subtensor, set_subtensor
from tensordsl.tensor.variable import TensorConstant, TensorVariable

_as_tensor_variable = as_tensor_variable

# Theano 1.0's wider surface (docs/theano_surface.md); the submodules keep Theano's paths
from tensordsl.tensor import (  # noqa: E402
    extra_ops,
    nlinalg,
    opt,
    sharedvar,
    slinalg,
    sort,
    xlogx,
)
from tensordsl.tensor.basic_extra import *  # noqa: E402
from tensordsl.tensor.basic_misc import *  # noqa: E402
from tensordsl.tensor.constant_value import (  # noqa: E402
    NotScalarConstantError,
    get_scalar_constant_value,
)
from tensordsl.tensor.extra_ops import (  # noqa: E402 (Theano's tensor-namespace names)
    bincount,
    cumprod,
    cumsum,
    diff,
    fill_diagonal,
    repeat,
    squeeze,
)
from tensordsl.tensor.nnet import softmax  # noqa: E402
from tensordsl.tensor.sort import argsort, argtopk, sort, topk, topk_and_argtopk  # noqa: E402, F811


def grad(*args, **kwargs):  # noqa: D103 - re-exported lazily to avoid an import cycle
    """tensordsl.grad (Theano's T.grad)."""
    from tensordsl.gradient import grad as _grad

    return _grad(*args, **kwargs)


def jacobian(*args, **kwargs):  # noqa: D103
    """tensordsl.gradient.jacobian (Theano's T.jacobian)."""
    from tensordsl.gradient import jacobian as _jacobian

    return _jacobian(*args, **kwargs)


def hessian(*args, **kwargs):  # noqa: D103
    """tensordsl.gradient.hessian (Theano's T.hessian)."""
    from tensordsl.gradient import hessian as _hessian

    return _hessian(*args, **kwargs)


def Lop(*args, **kwargs):  # noqa: N802 - Theano's name
    """tensordsl.gradient.Lop (Theano's T.Lop)."""
    from tensordsl.gradient import Lop as _lop

    return _lop(*args, **kwargs)


def Rop(*args, **kwargs):  # noqa: N802 - Theano's name
    """tensordsl.gradient.Rop (Theano's T.Rop)."""
    from tensordsl.gradient import Rop as _rop

    return _rop(*args, **kwargs)


def _surface_names() -> list[str]:
    from tensordsl.tensor import basic_extra as _basic_extra
    from tensordsl.tensor import basic_misc as _basic_misc

    return [*_basic_extra.__all__, *_basic_misc.__all__, "sort", "argsort", "softmax",
            "extra_ops", "xlogx", "nlinalg", "slinalg", "Lop", "Rop",
            "get_scalar_constant_value", "NotScalarConstantError", "bincount", "cumprod",
            "topk", "argtopk", "topk_and_argtopk",
            "cumsum", "diff", "fill_diagonal", "repeat", "squeeze"]


def _api_names() -> list[str]:
    from tensordsl.tensor import basic as _basic
    from tensordsl.tensor import constructors as _constructors
    from tensordsl.tensor import math as _math

    return sorted({*_basic.__all__, *_math.__all__, *_constructors.CONSTRUCTORS, "tensor",
                   "nnet", "set_subtensor", "inc_subtensor", "as_tensor_variable", "constant",
                   "TensorType", "TensorVariable", "TensorConstant", "grad", "jacobian",
                   "hessian", "signal", *_surface_names()})


# `from tensordsl.tensor import *` (the seed's spelling) exports the API and nothing else.
__all__ = _api_names()


def __getattr__(name: str):  # noqa: ANN202
    """Submodules loaded on first use: `T.shared_randomstreams` (Theano's path)."""
    if name == "shared_randomstreams":
        import importlib

        return importlib.import_module("tensordsl.tensor.shared_randomstreams")
    raise AttributeError(f"module 'tensordsl.tensor' has no attribute {name!r}")
