"""Array creation and shape builders used by the numpy table (table.py).

Each builder takes frontend values (see semantics.py) and returns one; shapes are
tuples whose entries are Python ints (static) or weak ints (run-time sizes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tensordsl import tensor as T
from tensordsl.frontend import semantics as S
from tensordsl.frontend.semantics import Unsupported, Weak, strong
from tensordsl.graph.convert import constant
from tensordsl.ops.subtensor import shape_i

Builder = Callable[..., Any]


def shape_arg(shape: Any) -> list[Any]:
    items = list(shape) if isinstance(shape, (tuple, list)) else [shape]
    out = []
    for item in items:
        if isinstance(item, Weak):
            out.append(item.var)
        elif S.is_symbolic(item):
            raise Unsupported("shape", f"a shape entry must be an integer, got {item!r:.40}",
                              "use x.shape[i] or a Python int")
        else:
            out.append(S.static_int(item, "shape entry"))
    return out


def filled(value: Any, shape: Any, dtype: Any) -> Any:
    dims = shape_arg(shape)
    name = S.dtype_name(dtype) if dtype is not None else (
        "float64" if S.is_python_scalar(value) and isinstance(value, float)
        else strong(value).dtype)
    return T.alloc(T.cast(strong(value), name), *dims) if dims else T.cast(strong(value), name)


def like(fill: Any) -> Builder:
    def build(x: Any, dtype: Any = None) -> Any:
        t = strong(x)
        name = S.dtype_name(dtype) if dtype is not None else t.dtype
        return T.second(t, constant(fill, dtype=name))
    return build


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Any:
    if not any(S.is_symbolic(v) for v in (start, stop, step)):
        return constant(np.arange(start, stop, step, dtype=dtype) if stop is not None
                        else np.arange(start, dtype=dtype))
    vals = [v.var if isinstance(v, Weak) else v for v in (start, stop, step)]
    out = T.arange(*vals)
    return out if dtype is None else T.cast(out, S.dtype_name(dtype))


def array(value: Any, dtype: Any = None, copy: bool = True) -> Any:
    if isinstance(value, (list, tuple)):
        out = S.stack_values(list(value)) if any(map(S.is_symbolic, value)) \
            else constant(np.array(value))
    else:
        out = strong(value)
        if copy and out is value:
            out = T.identity(out)
    return out if dtype is None else S.cast_to(out, dtype)


def static_only(fn: Builder) -> Builder:
    def build(*args: Any, **kwargs: Any) -> Any:
        if any(S.is_symbolic(v) for v in [*args, *kwargs.values()]):
            raise Unsupported(fn.__name__, "needs arguments known when compiling",
                              "pass Python constants")
        return constant(fn(*args, **kwargs))
    return build


def reshape(x: Any, *shape: Any) -> Any:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dims = shape_arg(shape)
    return T.reshape(strong(x), dims if dims else [], ndim=len(dims))


def transpose(x: Any, *axes: Any) -> Any:
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = () if axes[0] is None else tuple(axes[0])
    return T.transpose(strong(x), S.static_axis(axes) or None)


def expand_dims(x: Any, axis: Any) -> Any:
    t = strong(x)
    ax = S.static_int(axis, "axis") % (t.ndim + 1)
    pattern: list[Any] = list(range(t.ndim))
    pattern.insert(ax, "x")
    return T.dimshuffle(t, pattern)


def squeeze(x: Any, axis: Any = None) -> Any:
    t = strong(x)
    ax = S.static_axis(axis)
    axes = [d for d in range(t.ndim) if t.type.shape[d] == 1] if ax is None else \
        [a % t.ndim for a in (ax if isinstance(ax, tuple) else (ax,))]
    for a in axes:
        if t.type.shape[a] != 1:
            raise Unsupported("squeeze", f"dim {a} is not known to have size 1",
                              "index it with [..., 0] instead")
    return T.dimshuffle(t, [d for d in range(t.ndim) if d not in axes])


def concatenate(values: Any, axis: Any = 0) -> Any:
    return T.concatenate(S.coerce(*values), axis=S.static_int(axis, "axis"))


def stack(values: Any, axis: Any = 0) -> Any:
    return T.stack(S.coerce(*values), axis=S.static_int(axis, "axis"))


def hstack(values: Any) -> Any:
    tensors = S.coerce(*values)
    return T.concatenate(tensors, axis=0 if tensors[0].ndim == 1 else 1)


def vstack(values: Any) -> Any:
    tensors = [t if t.ndim >= 2 else T.dimshuffle(t, ["x", *range(t.ndim)][:2])
               for t in S.coerce(*values)]
    return T.concatenate(tensors, axis=0)


def diff(x: Any, axis: Any = -1) -> Any:
    t = strong(x)
    ax = S.static_int(axis, "axis") % t.ndim
    hi = tuple(slice(1, None) if d == ax else slice(None) for d in range(t.ndim))
    lo = tuple(slice(None, -1) if d == ax else slice(None) for d in range(t.ndim))
    return t[hi] - t[lo]


def shape(x: Any) -> tuple:
    t = strong(x)
    return tuple(t.type.shape[d] if t.type.shape[d] is not None
                 else Weak(shape_i(t, d), int) for d in range(t.ndim))


def size(x: Any) -> Any:
    result: Any = 1
    for dim in shape(x):
        result = S.binary("mul", result, dim)
    return result
