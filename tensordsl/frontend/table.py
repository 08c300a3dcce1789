"""THE table mapping Python/numpy/math/scipy callables to tensordsl operations.

`FUNCTIONS` is keyed by the Python object itself (np.exp, math.exp, scipy.special.erf),
so every spelling resolves to the same entry: `np.exp`, `numpy.exp`, `from numpy import
exp`, `import numpy as xp; xp.exp`. `METHODS` maps array method names and `ATTRIBUTES`
array attribute names. To support a new numpy function, add one entry here.

Builders receive frontend values (see semantics.py) and return one.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special

from tensordsl import tensor as T
from tensordsl.dtypes import upcast
from tensordsl.frontend import arrays as A
from tensordsl.frontend import semantics as S
from tensordsl.frontend.semantics import Unsupported, Weak, strong

Builder = Callable[..., Any]
FUNCTIONS: dict[Any, Builder] = {}
METHODS: dict[str, Builder] = {}
ATTRIBUTES: dict[str, Builder] = {}

# Functions whose result shape depends on the data: never compilable to a fixed graph.
DATA_DEPENDENT = {np.nonzero, np.argwhere, np.flatnonzero, np.unique, np.extract,
                  np.compress, np.trim_zeros}
# Python builtins with a specific message.
BUILTIN_ADVICE = {
    builtins.print: ("print", "return the value instead, or use tensordsl.printing"),
    builtins.input: ("input", "read input before calling the compiled function"),
    builtins.open: ("open", "do file I/O outside the compiled function"),
    builtins.iter: ("iter", "use `for i in range(n)` with a static n"),
    builtins.sorted: ("sorted", "use np.sort outside the compiled function"),
    builtins.isinstance: ("isinstance", "specialise by argument types instead"),
}


def _reg(objects: Any, builder: Builder) -> None:
    for obj in objects if isinstance(objects, (list, tuple)) else [objects]:
        FUNCTIONS[obj] = builder


# -- elementwise -----------------------------------------------------------------------------
def _ufunc1(tensor_fn: Builder) -> Builder:
    def build(x: Any) -> Any:
        return tensor_fn(S.coerce(x)[0])
    return build


def _ufunc2(op: str) -> Builder:
    def build(a: Any, b: Any) -> Any:
        return strong(S.binary(op, a, b))
    return build


_UNARY = {
    "exp": T.exp, "exp2": T.exp2, "log": T.log, "log2": T.log2, "log10": T.log10,
    "log1p": T.log1p, "expm1": T.expm1, "sqrt": T.sqrt, "sin": T.sin, "cos": T.cos,
    "tan": T.tan, "arcsin": T.arcsin, "arccos": T.arccos, "arctan": T.arctan, "sinh": T.sinh,
    "cosh": T.cosh, "tanh": T.tanh, "arcsinh": T.arcsinh, "arccosh": T.arccosh,
    "arctanh": T.arctanh, "floor": T.floor, "ceil": T.ceil, "trunc": T.trunc,
    "abs": T.abs, "absolute": T.abs, "fabs": T.abs, "sign": T.sign, "square": T.sqr,
    "negative": T.neg, "positive": T.identity, "isnan": T.isnan, "isinf": T.isinf,
    "invert": T.invert, "bitwise_not": T.invert, "rint": T.round,
}
for _name, _fn in _UNARY.items():
    _reg(getattr(np, _name), _ufunc1(_fn))
_BINARY = {
    "add": "add", "subtract": "sub", "multiply": "mul", "divide": "true_div",
    "true_divide": "true_div", "floor_divide": "int_div", "mod": "mod", "remainder": "mod",
    "power": "pow", "equal": "eq", "not_equal": "neq", "less": "lt", "less_equal": "le",
    "greater": "gt", "greater_equal": "ge", "bitwise_and": "and_", "bitwise_or": "or_",
    "bitwise_xor": "xor",
}
for _name, _op in _BINARY.items():
    _reg(getattr(np, _name), _ufunc2(_op))
def _coerced2(tensor_fn: Builder) -> Builder:
    def build(a: Any, b: Any) -> Any:
        return tensor_fn(*S.coerce(a, b))
    return build


for _name in ("maximum", "minimum", "arctan2"):
    _reg(getattr(np, _name), _coerced2(getattr(T, _name)))
_reg(np.isfinite, lambda x: T.invert(T.or_(T.isnan(strong(x)), T.isinf(strong(x)))))
_reg(np.hypot, lambda a, b: T.sqrt(T.add(*[T.sqr(v) for v in S.coerce(a, b)])))
_reg(np.round, lambda x, decimals=0: _round(x, decimals))
_reg([scipy.special.erf], _ufunc1(T.erf))
_reg([scipy.special.erfc], _ufunc1(T.erfc))
_reg([scipy.special.erfinv], _ufunc1(T.erfinv))
_reg([scipy.special.expit], _ufunc1(T.sigmoid))
_reg([scipy.special.gammaln], _ufunc1(T.gammaln))
_reg([scipy.special.psi, scipy.special.digamma], _ufunc1(T.psi))


def _round(x: Any, decimals: Any) -> Any:
    if S.static_int(decimals, "decimals") != 0:
        raise Unsupported("np.round", "decimals other than 0", "scale, round and unscale")
    return T.round(strong(x))


def _logical(op: str) -> Builder:
    def build(*values: Any) -> Any:
        conds = [v if v.dtype == "bool" else T.neq(v, 0) for v in map(strong, values)]
        return conds[0] if len(conds) == 1 else getattr(T, op)(*conds)
    return build


_reg(np.logical_and, _logical("and_"))
_reg(np.logical_or, _logical("or_"))
_reg(np.logical_xor, _logical("xor"))
_reg(np.logical_not, lambda x: T.invert(_logical("and_")(x)))


def _logaddexp(a: Any, b: Any) -> Any:
    ta, tb = S.coerce(a, b)
    hi = T.maximum(ta, tb)
    return hi + T.log1p(T.exp(-T.abs(ta - tb)))


_reg(np.logaddexp, _logaddexp)


def _where(cond: Any, a: Any = None, b: Any = None) -> Any:
    if a is None and b is None:
        raise Unsupported("np.where with one argument", "its result shape depends on the data",
                          "use the three-argument np.where(cond, a, b)")
    return S.where(cond, a, b)


_reg(np.where, _where)
_reg(np.clip, lambda x, lo, hi: T.clip(*S.coerce(x, lo, hi)))


# -- reductions --------------------------------------------------------------------------------
def _reduction(fn: Builder, with_dtype: bool = False, with_ddof: bool = False) -> Builder:
    def build(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False,
              ddof: int = 0) -> Any:
        kwargs: dict[str, Any] = {"axis": S.static_axis(axis), "keepdims": bool(keepdims)}
        if dtype is not None:
            if not with_dtype:
                raise Unsupported("dtype=", "this reduction takes no dtype", "cast the result")
            kwargs["dtype"] = S.dtype_name(dtype)
        if with_ddof:
            kwargs["ddof"] = S.static_int(ddof, "ddof")
        return fn(strong(x), **kwargs)
    return build


for _names, _fn, _extra in [
        (("sum",), T.sum, {"with_dtype": True}), (("prod",), T.prod, {"with_dtype": True}),
        (("mean",), T.mean, {"with_dtype": True}), (("max", "amax"), T.max, {}),
        (("min", "amin"), T.min, {}), (("all",), T.all, {}), (("any",), T.any, {}),
        (("var",), T.var, {"with_ddof": True}), (("std",), T.std, {"with_ddof": True})]:
    for _name in _names:
        if hasattr(np, _name):
            _reg(getattr(np, _name), _reduction(_fn, **_extra))
            METHODS[_name] = _reduction(_fn, **_extra)
for _name, _fn in (("argmax", T.argmax), ("argmin", T.argmin)):
    _reg(getattr(np, _name), lambda x, axis=None, keepdims=False, _f=_fn:
         _f(strong(x), axis=S.static_axis(axis), keepdims=bool(keepdims)))
    METHODS[_name] = FUNCTIONS[getattr(np, _name)]


def _logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return T.logsumexp(strong(x), axis=S.static_axis(axis), keepdims=bool(keepdims))


def _softmax(x: Any, axis: Any = None) -> Any:
    t, ax = strong(x), S.static_axis(axis)
    e = T.exp(t - T.max(t, axis=ax, keepdims=True))
    return e / T.sum(e, axis=ax, keepdims=True)


_reg(scipy.special.logsumexp, _logsumexp)
_reg(scipy.special.softmax, _softmax)


# -- composites of table entries ----------------------------------------------------------------
def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    if ord is not None:
        raise Unsupported("np.linalg.norm", f"ord={ord!r}", "only the default 2-norm / "
                          "Frobenius norm is supported")
    t = S.coerce(x)[0] if S.kind_of(x) is None else strong(x)
    t = T.cast(t, "float64") if not t.dtype.startswith("float") else t
    return T.sqrt(T.sum(T.sqr(t), axis=S.static_axis(axis), keepdims=bool(keepdims)))


def _isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08) -> Any:
    ta, tb = S.coerce(a, b)
    return T.le(T.abs(ta - tb), atol + rtol * T.abs(tb))


def _flip(x: Any, axis: Any = None) -> Any:
    t = strong(x)
    ax = S.static_axis(axis)
    axes = range(t.ndim) if ax is None else [a % t.ndim for a in
                                             (ax if isinstance(ax, tuple) else (ax,))]
    return t[tuple(slice(None, None, -1) if d in axes else slice(None)
                   for d in range(t.ndim))]


_reg(np.linalg.norm, _norm)
_reg(np.isclose, _isclose)
_reg(np.allclose, lambda a, b, rtol=1e-05, atol=1e-08: T.all(_isclose(a, b, rtol, atol)))
_reg(np.flip, _flip)
_reg([np.deg2rad, np.radians], lambda x: T.mul(S.coerce(x)[0] if S.kind_of(x) is None
                                               else strong(x), np.pi / 180.0))
_reg([np.rad2deg, np.degrees], lambda x: T.mul(S.coerce(x)[0] if S.kind_of(x) is None
                                               else strong(x), 180.0 / np.pi))
def _heaviside(x: Any, h: Any) -> Any:
    t, th = S.coerce(x, h)
    dtype = upcast(t.dtype, th.dtype)
    zero, one = T.constant(0, dtype=dtype), T.constant(1, dtype=dtype)
    return T.switch(T.lt(t, zero), zero, T.switch(T.gt(t, zero), one, T.cast(th, dtype)))


_reg(np.heaviside, _heaviside)


# -- products ------------------------------------------------------------------------------------
_reg([np.dot, np.matmul], lambda a, b: S.matmul(a, b) if strong(a).ndim and strong(b).ndim
     else strong(S.binary("mul", a, b)))
_reg(np.outer, lambda a, b: T.outer(*S.coerce(a, b)))
_reg(np.inner, lambda a, b: S.matmul(a, b))
METHODS["dot"] = FUNCTIONS[np.dot]


# -- creation ------------------------------------------------------------------------------------


_reg(np.zeros, lambda shape, dtype=float: A.filled(0, shape, dtype))
_reg(np.empty, lambda shape, dtype=float: A.filled(0, shape, dtype))
_reg(np.ones, lambda shape, dtype=float: A.filled(1, shape, dtype))
_reg(np.full, lambda shape, fill_value, dtype=None: A.filled(fill_value, shape, dtype))


_reg([np.zeros_like, np.empty_like], A.like(0))
_reg(np.ones_like, A.like(1))
_reg(np.full_like, lambda x, fill_value, dtype=None:
     T.second(strong(x), T.cast(strong(fill_value), S.dtype_name(dtype) if dtype is not None
                                else strong(x).dtype)))


_reg(np.array, A.array)
_reg(np.arange, A.arange)
_reg(np.asarray, lambda value, dtype=None: A.array(value, dtype, copy=False))


for _fn in (np.eye, np.identity, np.linspace):
    FUNCTIONS[_fn] = A.static_only(_fn)


# -- shapes ----------------------------------------------------------------------------------


_reg(np.reshape, A.reshape)
_reg(np.transpose, lambda x, axes=None: A.transpose(x, axes))
_reg(np.expand_dims, A.expand_dims)
_reg(np.squeeze, A.squeeze)
_reg(np.concatenate, A.concatenate)
_reg(np.stack, A.stack)
_reg(np.hstack, A.hstack)
_reg(np.vstack, A.vstack)
_reg(np.diff, A.diff)
_reg(np.ravel, lambda x: T.flatten(strong(x)))
_reg(np.broadcast_to, lambda x, shape: T.alloc(strong(x), *A.shape_arg(shape)))
_reg(np.shape, lambda x: A.shape(x))
_reg(np.ndim, lambda x: strong(x).ndim)


# -- dtype constructors and Python builtins -------------------------------------------------
for _t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
           np.uint8, np.uint16, np.uint32, np.uint64, np.bool_, np.complex64, np.complex128):
    _reg(_t, lambda x, _t=_t: S.cast_to(x, _t) if S.is_symbolic(x) else _t(x))


def _py_convert(kind: type) -> Builder:
    def build(x: Any) -> Any:
        if not S.is_symbolic(x):
            return kind(x)
        t = strong(x)
        if t.ndim:
            raise Unsupported(f"{kind.__name__}()", "of an array", "index a single element")
        return Weak.of(T.neq(t, 0) if kind is bool else t, kind)
    return build


def _minmax(op: str, pyfn: Builder) -> Builder:
    def build(*values: Any) -> Any:
        if len(values) == 1:
            raise Unsupported(f"builtin {pyfn.__name__}() of one value", "it iterates",
                              f"use np.{pyfn.__name__}(x) or x.{pyfn.__name__}()")
        if not any(map(S.is_symbolic, values)):
            return pyfn(*values)
        result = values[0]
        for v in values[1:]:
            tv = getattr(T, op)(*S.coerce(result, v))
            result = S.weak_result([result, v], tv, op) if S.all_weak(result, v) else tv
        return result
    return build


def _len(x: Any) -> Any:
    if not S.is_symbolic(x):
        return len(x)
    return A.shape(x)[0]


def _abs(x: Any) -> Any:
    if not S.is_symbolic(x):
        return builtins.abs(x)
    return Weak.of(T.abs(x.var), x.kind) if isinstance(x, Weak) else T.abs(x)


_reg(builtins.float, _py_convert(float))
_reg(builtins.int, _py_convert(int))
_reg(builtins.bool, _py_convert(bool))
_reg(builtins.abs, _abs)
_reg(builtins.max, _minmax("maximum", builtins.max))
_reg(builtins.min, _minmax("minimum", builtins.min))
_reg(builtins.len, _len)
_reg(builtins.tuple, lambda x=(): tuple(x) if isinstance(x, (tuple, list)) else _no_iter(x))
_reg(builtins.list, lambda x=(): list(x) if isinstance(x, (tuple, list)) else _no_iter(x))
_reg(builtins.range, lambda *a: range(*[S.static_int(v, "range bound") for v in a]))


def _no_iter(x: Any) -> Any:
    raise Unsupported("iterating over an array", "the number of elements is not known "
                      "while compiling", "index with x[i] for a static i")


# -- math module: scalar functions giving Python floats ---------------------------------------
def _math1(tensor_fn: Builder, pyfn: Builder, kind: type = float) -> Builder:
    def build(*args: Any) -> Any:
        if not any(map(S.is_symbolic, args)):
            return pyfn(*args)
        tensors = S.coerce(*args)
        if any(t.ndim for t in tensors):
            raise Unsupported(f"math.{pyfn.__name__}", "applied to an array",
                              f"use np.{pyfn.__name__} (math works on single numbers)")
        return Weak.of(tensor_fn(*[T.cast(t, "float64") for t in tensors]), kind)
    return build


for _name, _fn in [("exp", T.exp), ("sqrt", T.sqrt), ("sin", T.sin), ("cos", T.cos),
                   ("tan", T.tan), ("tanh", T.tanh), ("sinh", T.sinh), ("cosh", T.cosh),
                   ("asin", T.arcsin), ("acos", T.arccos), ("atan", T.arctan),
                   ("erf", T.erf), ("erfc", T.erfc), ("fabs", T.abs), ("log1p", T.log1p),
                   ("expm1", T.expm1), ("log2", T.log2), ("log10", T.log10),
                   ("atan2", T.arctan2), ("pow", T.pow), ("lgamma", T.gammaln)]:
    _reg(getattr(math, _name), _math1(_fn, getattr(math, _name)))
_reg(math.floor, _math1(T.floor, math.floor, int))
_reg(math.ceil, _math1(T.ceil, math.ceil, int))
_reg(math.hypot, _math1(lambda a, b: T.sqrt(a * a + b * b), math.hypot))
_reg(math.log, _math1(lambda x, base=None: T.log(x) if base is None else T.log(x) / T.log(base),
                      math.log))


# -- methods and attributes of arrays -----------------------------------------------------------
METHODS.update({
    "reshape": A.reshape,
    "transpose": A.transpose,
    "astype": lambda x, dtype: S.cast_to(x, dtype),
    "copy": lambda x: T.identity(strong(x)),
    "clip": FUNCTIONS[np.clip],
    "flatten": lambda x: T.identity(T.flatten(strong(x))),
    "ravel": lambda x: T.flatten(strong(x)),
    "squeeze": A.squeeze,
    "round": lambda x, decimals=0: _round(x, decimals),
    "item": lambda x: _py_convert(_kind_of_dtype(strong(x).dtype))(x),
    "nonzero": lambda x: _data_dependent("x.nonzero()"),
})


def _kind_of_dtype(dtype: str) -> type:
    return {"b": bool, "i": int, "u": int, "f": float, "c": complex}[np.dtype(dtype).kind]


def _data_dependent(what: str) -> Any:
    raise Unsupported(what, "its result shape depends on the data",
                      "use np.where(cond, a, b) to keep a fixed shape")


ATTRIBUTES.update({
    "T": lambda x: T.transpose(strong(x)),
    "shape": A.shape,
    "ndim": lambda x: strong(x).ndim,
    "size": A.size,
    "dtype": lambda x: np.dtype(strong(x).dtype),
})

# Attributes/methods whose result is a view of the array (writes through it would
# change the array), used by the builder's aliasing checks.
VIEW_METHODS = {"reshape", "transpose", "ravel", "squeeze"}
VIEW_ATTRIBUTES = {"T"}
VIEW_FUNCTIONS = {np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.asarray,
                  np.broadcast_to}
