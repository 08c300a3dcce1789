"""Turning Python values and numpy arrays into graph Variables (constants)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config
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
            try:
                array = np.asarray(x)
            except ValueError as err:  # ragged nested lists
                raise TypeError(f"cannot make a tensor constant from {x!r:.60}: {err}") \
                    from None
            if array.dtype.kind not in "biufc":
                raise TypeError(f"cannot make a tensor constant from {type(x).__name__} "
                                f"{x!r:.60}: expected numbers")
            if array.dtype == object:
                raise TypeError(f"cannot make a tensor constant from {x!r:.60}")
            if array.size == 0 and not isinstance(x, (np.ndarray, np.generic)):
                dtype = config.floatX  # Theano: an empty list is a floatX tensor
            else:
                # Theano 1.0 (scalar.convert): lists and tuples take numpy's dtype
                # (int64, float64); only bare Python scalars are autocast.
                dtype = array.dtype
    data = np.asarray(x, dtype=dtypes.canonical(dtype))
    # a Python int must fit; a float may round (NEP 50: 0.1 * float32 tensor is float32)
    if isinstance(x, int) and not isinstance(x, bool) and data.item() != x:
        raise TypeError(f"constant {x!r} does not fit in dtype {data.dtype}")
    ttype = TensorType(data.dtype, data.shape)
    return TensorType.constant_class(ttype, data, name=name)


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
