"""Turning Python values and numpy arrays into graph Variables (constants)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Constant, Variable
from tensordsl.graph.type import TensorType

_PY_SCALARS = (bool, int, float, complex)


def is_python_scalar(x: Any) -> bool:
    """True for Python bool/int/float/complex (the 'weak' scalars of NEP 50)."""
    return isinstance(x, _PY_SCALARS) and not isinstance(x, np.generic)


def constant(x: Any, dtype: Any = None, name: str | None = None,
             partners: tuple[str, ...] = ()) -> Constant:
    """A Constant holding `x`. Python scalars get their dtype from the cast policy."""
    if isinstance(x, Constant) and dtype is None:
        return x
    if dtype is None:
        if is_python_scalar(x):
            dtype = dtypes.python_scalar_dtype(x, partners)
        else:
            array = np.asarray(x)
            if array.dtype.kind not in "biufc":
                raise TypeError(f"cannot make a tensor constant from {type(x).__name__} "
                                f"{x!r:.60}: expected numbers")
            if array.dtype == object:
                raise TypeError(f"cannot make a tensor constant from {x!r:.60}")
            if not isinstance(x, (np.ndarray, np.generic)) and array.dtype.kind in "iu":
                # nested Python int lists: Theano's smallest-int rule on the extremes
                dtype = _smallest_int(array)
            elif not isinstance(x, (np.ndarray, np.generic)) and array.dtype.kind == "f":
                dtype = _smallest_float(array)
            else:
                dtype = array.dtype
    data = np.asarray(x, dtype=dtypes.canonical(dtype))
    # a Python int must fit; a float may round (NEP 50: 0.1 * float32 tensor is float32)
    if isinstance(x, int) and not isinstance(x, bool) and data.item() != x:
        raise TypeError(f"constant {x!r} does not fit in dtype {data.dtype}")
    ttype = TensorType(data.dtype, data.shape)
    return TensorType.constant_class(ttype, data, name=name)


def _smallest_int(array: np.ndarray) -> str:
    if array.size == 0:
        return "int8"
    lo, hi = int(array.min()), int(array.max())
    return dtypes.python_scalar_dtype(lo if abs(lo) > abs(hi) else hi) \
        if dtypes.python_scalar_dtype(lo) == dtypes.python_scalar_dtype(hi) \
        else dtypes.upcast(dtypes.python_scalar_dtype(lo), dtypes.python_scalar_dtype(hi))


def _smallest_float(array: np.ndarray) -> str:
    from tensordsl.config import config

    if config.cast_policy == "numpy":
        return "float64"
    if config.floatX == "float32":
        return "float32"
    with np.errstate(all="ignore"):
        exact = np.all((array.astype(np.float32).astype(np.float64) == array) | (array != array))
    return "float32" if exact else "float64"


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None,
                       partners: tuple[str, ...] = ()) -> Variable:
    """Return `x` if it is a Variable, else a Constant for it (lists, scalars, arrays)."""
    if isinstance(x, Variable):
        var = x
    elif hasattr(x, "__tensordsl_variable__"):
        var = x.__tensordsl_variable__()
    else:
        var = constant(x, name=name, partners=partners)
    if ndim is not None and var.ndim != ndim:
        raise TypeError(f"expected a {ndim}-d tensor, got {var!r} with {var.ndim} dims")
    return var


def as_tensor_variables(*xs: Any) -> list[Variable]:
    """Convert several values; Python scalars see the other inputs' dtypes (NEP 50)."""
    partners = tuple(x.dtype for x in xs if isinstance(x, Variable))
    return [as_tensor_variable(x, partners=partners) for x in xs]
