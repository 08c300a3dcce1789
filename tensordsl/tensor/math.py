"""Mathematical functions of tensors: elementwise maths, reductions, dot, casts."""

from __future__ import annotations

import builtins
from typing import Any

from tensordsl import dtypes
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.ops import scalar as ps
from tensordsl.ops.blas import Dot
from tensordsl.ops.elemwise import Elemwise
from tensordsl.ops.reduce import Argmax, Reduce, normalize_axis
from tensordsl.tensor.variable import TensorVariable

_ELEMWISE_CACHE: dict[Any, Elemwise] = {}


def elemwise(scalar_op: ps.ScalarOp) -> Elemwise:
    """The (cached) Elemwise op for `scalar_op`."""
    op = _ELEMWISE_CACHE.get(scalar_op)
    if op is None:
        op = _ELEMWISE_CACHE[scalar_op] = Elemwise(scalar_op)
    return op


def _unary(name: str, doc: str):
    sop = ps.get(name)

    def fn(x: Any) -> TensorVariable:
        return elemwise(sop)(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _binary(name: str, doc: str):
    sop = ps.get(name)

    def fn(a: Any, b: Any) -> TensorVariable:
        return elemwise(sop)(a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


add = _binary("add", "Elementwise a + b.")
sub = _binary("sub", "Elementwise a - b.")
mul = _binary("mul", "Elementwise a * b.")
true_div = _binary("true_div", "Elementwise a / b (true division).")
int_div = _binary("int_div", "Elementwise a // b (floor division, numpy semantics).")
floor_div = int_div
mod = _binary("mod", "Elementwise a % b (numpy semantics: the sign of b).")
pow = _binary("pow", "Elementwise a ** b.")
maximum = _binary("maximum", "Elementwise maximum (NaN propagates).")
minimum = _binary("minimum", "Elementwise minimum (NaN propagates).")
arctan2 = _binary("arctan2", "Elementwise arctan(a / b) with the quadrant of (b, a).")
eq = _binary("eq", "Elementwise a == b (bool).")
neq = _binary("neq", "Elementwise a != b (bool).")
lt = _binary("lt", "Elementwise a < b (bool).")
le = _binary("le", "Elementwise a <= b (bool).")
gt = _binary("gt", "Elementwise a > b (bool).")
ge = _binary("ge", "Elementwise a >= b (bool).")
and_ = _binary("and_", "Elementwise bitwise/logical and of ints or bools.")
or_ = _binary("or_", "Elementwise bitwise/logical or of ints or bools.")
xor = _binary("xor", "Elementwise bitwise/logical xor of ints or bools.")
bitwise_and, bitwise_or, bitwise_xor = and_, or_, xor
second = _binary("second", "b broadcast to the shape of a (Theano's fill/second).")

neg = _unary("neg", "Elementwise -x.")
abs = _unary("abs", "Elementwise |x|.")
abs_ = abs
sign = _unary("sign", "Elementwise sign (-1, 0, 1).")
sqr = _unary("sqr", "Elementwise x * x.")
invert = _unary("invert", "Elementwise bitwise not (logical not for bools).")
bitwise_not = invert
identity = _unary("identity", "An elementwise copy.")
isnan = _unary("isnan", "Elementwise NaN test.")
isinf = _unary("isinf", "Elementwise infinity test.")
_FLOAT_FUNCTIONS = ["exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "sin",
                    "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                    "arcsinh", "arccosh", "arctanh", "erf", "erfc", "erfinv", "sigmoid",
                    "softplus", "floor", "ceil", "trunc", "reciprocal", "gammaln", "psi"]
for _name in _FLOAT_FUNCTIONS:
    globals()[_name] = _unary(_name, f"Elementwise {_name}(x).")
inv = globals()["reciprocal"]


def round(x: Any, mode: str = "half_to_even") -> TensorVariable:
    """Round to the nearest integer ('half_to_even' as numpy, or 'half_away_from_zero')."""
    if mode not in ("half_to_even", "half_away_from_zero"):
        raise ValueError(f"round: mode must be 'half_to_even' or 'half_away_from_zero', got "
                         f"{mode!r}")
    return elemwise(ps.get(f"round_{mode}"))(x)


def clip(x: Any, lo: Any, hi: Any) -> TensorVariable:
    """Clip x to [lo, hi] elementwise."""
    return elemwise(ps.clip)(x, lo, hi)


def switch(cond: Any, a: Any, b: Any) -> TensorVariable:
    """Elementwise `a` where `cond` is true, else `b` (both are evaluated)."""
    return elemwise(ps.switch)(cond, a, b)


where = switch


def cast(x: Any, dtype: Any) -> TensorVariable:
    """`x` converted to `dtype` (numpy astype semantics); a no-op if already of it."""
    x = as_tensor_variable(x)
    dtype = dtypes.canonical(_floatx(dtype))
    if x.dtype == dtype:
        return x
    return elemwise(ps.Cast(dtype))(x)


def _floatx(dtype: Any) -> Any:
    from tensordsl.config import config

    return config.floatX if dtype == "floatX" else dtype


def zeros_like(x: Any, dtype: Any = None) -> TensorVariable:
    """Zeros of x's shape (and dtype unless given)."""
    x = as_tensor_variable(x)
    return second(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x: Any, dtype: Any = None) -> TensorVariable:
    """Ones of x's shape (and dtype unless given)."""
    x = as_tensor_variable(x)
    return second(x, constant(1, dtype=dtype or x.dtype))


fill = second


# -- reductions -----------------------------------------------------------------------------
def _keep(x: TensorVariable, out: TensorVariable, axis: tuple[int, ...], keepdims: bool
          ) -> TensorVariable:
    if not keepdims:
        return out
    from tensordsl.tensor.basic import dimshuffle

    pattern: list[Any] = []
    it = iter(range(out.ndim))
    for d in range(x.ndim):
        pattern.append("x" if d in axis else next(it))
    return dimshuffle(out, pattern)


def _reduce(kind: str, x: Any, axis: Any, keepdims: bool, dtype: Any = None) -> TensorVariable:
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, kind)
    out_dtype = None if dtype is None else dtypes.canonical(_floatx(dtype))
    out = Reduce(kind, ax, out_dtype)(x)
    return _keep(x, out, ax, keepdims)


def sum(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """Sum over `axis` (all axes when None); integer sums give int64 as in Theano."""
    return _reduce("add", x, axis, keepdims, dtype)


def prod(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """Product over `axis`."""
    return _reduce("mul", x, axis, keepdims, dtype)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Maximum over `axis` (NaN propagates)."""
    return _reduce("maximum", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Minimum over `axis` (NaN propagates)."""
    return _reduce("minimum", x, axis, keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Logical and over `axis`."""
    return _reduce("and_", neq(x, 0) if as_tensor_variable(x).dtype != "bool" else x, axis,
                   keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Logical or over `axis`."""
    return _reduce("or_", neq(x, 0) if as_tensor_variable(x).dtype != "bool" else x, axis,
                   keepdims)


def _count(x: TensorVariable, axis: tuple[int, ...], dtype: str) -> TensorVariable:
    from tensordsl.ops.subtensor import shape_i

    n: Any = constant(1, dtype="int64")
    for d in axis:
        n = mul(n, shape_i(x, d))
    return cast(n, dtype)


def mean(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
    """Mean over `axis`; integer inputs give float64."""
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, "mean")
    out_dtype = dtypes.canonical(_floatx(dtype)) if dtype else dtypes.mean_dtype(x.dtype)
    total = sum(x, axis=ax, dtype=out_dtype)
    out = true_div(total, _count(x, ax, out_dtype))
    return _keep(x, cast(out, out_dtype), ax, keepdims)


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
    """Variance over `axis` (ddof=0 by default, as numpy)."""
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, "var")
    out_dtype = dtypes.mean_dtype(x.dtype)
    xf = cast(x, out_dtype)
    centered = sub(xf, mean(xf, axis=ax, keepdims=True))
    total = sum(sqr(centered), axis=ax)
    n = _count(x, ax, out_dtype)
    if ddof:
        n = sub(n, constant(ddof, dtype=out_dtype))
    return _keep(x, true_div(total, n), ax, keepdims)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
    """Standard deviation over `axis`."""
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))  # noqa: F821


def _arg(kind: str, x: Any, axis: Any, keepdims: bool) -> TensorVariable:
    x = as_tensor_variable(x)
    if axis is None:
        if keepdims:
            from tensordsl.tensor.basic import dimshuffle

            return dimshuffle(Argmax(None, kind)(x), ("x",) * x.ndim)
        return Argmax(None, kind)(x)
    if not isinstance(axis, (int,)) and not hasattr(axis, "__index__"):
        if len(axis) != 1:
            raise ValueError(f"arg{kind}: axis must be None or one axis, got {axis!r}")
        (axis,) = axis
    (ax,) = normalize_axis(axis, x.ndim, f"arg{kind}")
    return _keep(x, Argmax(ax, kind)(x), (ax,), keepdims)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Index of the maximum along `axis` (of the flattened tensor when None)."""
    return _arg("max", x, axis, keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Index of the minimum along `axis` (of the flattened tensor when None)."""
    return _arg("min", x, axis, keepdims)


# -- products -------------------------------------------------------------------------------
_DOT = Dot()


def dot(a: Any, b: Any) -> TensorVariable:
    """numpy.dot of two tensors (scalars multiply elementwise, as Theano's dot)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return _DOT(a, b)


def matmul(a: Any, b: Any) -> TensorVariable:
    """numpy.matmul (the @ operator): dot for 1-d/2-d, broadcast batches of matrices above."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul (@): operands must have at least 1 dim, got {a!r} "
                         f"({a.ndim}-d) and {b!r} ({b.ndim}-d); use * for scalars")
    if a.ndim <= 2 and b.ndim <= 2:
        return dot(a, b)
    # (..., n, k, 1) * (..., 1, k, m) summed over k; Elemwise broadcasts the batch dims
    a2 = a if a.ndim > 1 else a.dimshuffle("x", 0)
    b2 = b if b.ndim > 1 else b.dimshuffle(0, "x")
    terms = mul(a2.dimshuffle(*range(a2.ndim), "x"),
                b2.dimshuffle(*range(b2.ndim - 2), "x", b2.ndim - 2, b2.ndim - 1))
    out = sum(terms, axis=-2, dtype=dtypes.upcast(a.dtype, b.dtype))
    if a.ndim == 1:  # drop the row dim numpy adds (and removes) for a vector on the left
        out = out.dimshuffle(*range(out.ndim - 2), out.ndim - 1)
    if b.ndim == 1:
        out = out.dimshuffle(*range(out.ndim - 1))
    return out


def outer(a: Any, b: Any) -> TensorVariable:
    """Outer product of two vectors."""
    from tensordsl.tensor.basic import flatten

    a, b = flatten(as_tensor_variable(a)), flatten(as_tensor_variable(b))
    return mul(a.dimshuffle(0, "x"), b.dimshuffle("x", 0))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """log(sum(exp(x))) over `axis`, computed stably (max subtracted)."""
    x = as_tensor_variable(x)
    m = max(x, axis=axis, keepdims=True)
    m = switch(isinf(m), zeros_like(m), m)
    out = add(log(sum(exp(sub(x, m)), axis=axis, keepdims=True)), m)  # noqa: F821
    if keepdims:
        return out
    from tensordsl.tensor.basic import dimshuffle

    ax = normalize_axis(axis, x.ndim, "logsumexp")
    return dimshuffle(out, [d for d in range(x.ndim) if d not in ax])


_builtin_abs = builtins.abs


# The API names: `from tensordsl.tensor import *` must not export helpers or imports.
__all__ = [
    "add", "sub", "mul", "true_div", "int_div", "floor_div", "mod", "pow", "maximum",
    "minimum", "arctan2", "eq", "neq", "lt", "le", "gt", "ge", "and_", "or_", "xor",
    "bitwise_and", "bitwise_or", "bitwise_xor", "second", "fill", "neg", "abs", "abs_", "sign",
    "sqr", "invert", "bitwise_not", "identity", "isnan", "isinf", "inv", *_FLOAT_FUNCTIONS,
    "round", "clip", "switch", "where", "cast", "zeros_like", "ones_like", "sum", "prod", "max",
    "min", "all", "any", "mean", "var", "std", "argmax", "argmin", "dot", "matmul", "outer",
    "logsumexp",
]
