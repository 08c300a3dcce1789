"""What Python/numpy operations mean on frontend values (the builder's `semantic` layer).

A frontend value is one of:

* a `TensorVariable`: a symbolic numpy array or numpy scalar (a *strong* dtype);
* a `Weak`: a symbolic Python scalar (an argument passed as a Python int/float, or
  `x.shape[0]`), whose dtype yields to a tensor partner as NEP 50 says;
* a static Python object (a literal, a global, a module, a static shape entry...),
  which is computed with while parsing.

This module combines them with numpy's rules; the builder maps syntax onto it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tensordsl import tensor as T
from tensordsl.graph.basic import Variable
from tensordsl.graph.convert import constant
from tensordsl.tensor.variable import TensorVariable

KIND_DTYPE = {bool: "bool", int: "int64", float: "float64", complex: "complex128"}
_KIND_RANK = {bool: 0, int: 1, float: 2, complex: 3}
_KIND_SAMPLE = {bool: False, int: 0, float: 0.0, complex: 0j}
PY_SCALARS = (bool, int, float, complex)


class Unsupported(Exception):
    """Raised while building: the builder turns it into a located CompileError."""

    def __init__(self, construct: str, problem: str, advice: str) -> None:
        super().__init__(f"{construct}: {problem}")
        self.construct, self.problem, self.advice = construct, problem, advice


@dataclass(frozen=True, eq=False)
class Weak:
    """A symbolic Python scalar of `kind` (bool/int/float/complex); `var` is 0-d."""

    var: TensorVariable
    kind: type

    @staticmethod
    def of(var: Any, kind: type) -> Weak:
        """`var` cast to the dtype Python's `kind` maps to, as a weak scalar."""
        return Weak(T.cast(var, KIND_DTYPE[kind]), kind)


def is_python_scalar(value: Any) -> bool:
    """A static Python number (not a numpy scalar)."""
    return isinstance(value, PY_SCALARS) and not isinstance(value, np.generic)


def is_symbolic(value: Any) -> bool:
    """A value only known when the function runs."""
    return isinstance(value, (Variable, Weak))


def kind_of(value: Any) -> type | None:
    """The Python kind of a weak value (static Python scalar or Weak), else None."""
    if isinstance(value, Weak):
        return value.kind
    if is_python_scalar(value):
        for kind in (bool, int, float, complex):
            if isinstance(value, kind):
                return kind
    return None


def strong(value: Any) -> TensorVariable:
    """`value` as a tensor with its own dtype (weak scalars take their Python kind's)."""
    if isinstance(value, Variable):
        return value
    if isinstance(value, Weak):
        return value.var
    kind = kind_of(value)
    if kind is not None:
        return constant(value, dtype=KIND_DTYPE[kind])
    if isinstance(value, (list, tuple)) and any(is_symbolic(v) for v in value):
        return stack_values(list(value))
    try:
        array = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - any failure means "not array data"
        raise Unsupported("value", f"{value!r:.60} is not numeric data", "pass arrays") from err
    if array.dtype.kind not in "biufc":
        raise Unsupported("value", f"{value!r:.60} is not numeric data ({array.dtype})",
                          "only numbers and arrays can be used in computations")
    return constant(array)


def coerce(*values: Any) -> list[TensorVariable]:
    """Tensors for `values` combined by one numpy operation (NEP 50 weak scalars)."""
    strong_dtypes = [strong(v).dtype for v in values if kind_of(v) is None]
    out = []
    for v in values:
        kind = kind_of(v)
        if kind is None:
            out.append(strong(v))
            continue
        if strong_dtypes:
            sample = v if is_python_scalar(v) else _KIND_SAMPLE[kind]
            dtype = np.result_type(*strong_dtypes, sample).name
        else:
            dtype = KIND_DTYPE[max((kind_of(w) for w in values), key=_KIND_RANK.get)]
        out.append(constant(v, dtype=dtype) if is_python_scalar(v) else T.cast(v.var, dtype))
    return out


def all_weak(*values: Any) -> bool:
    """True when every value is a Python scalar (static or Weak)."""
    return all(kind_of(v) is not None for v in values)


def weak_result(kind_values: list[Any], result: TensorVariable, op: str) -> Weak:
    """Wrap `result` as the Python scalar Python's own arithmetic would give."""
    kinds = [kind_of(v) for v in kind_values]
    if op in _COMPARISONS:
        kind: type = bool
    else:
        kind = max(kinds, key=_KIND_RANK.get)
        if op == "true_div" and _KIND_RANK[kind] < 2:
            kind = float
        elif kind is bool and op not in ("and_", "or_", "xor"):
            kind = int
    return Weak.of(result, kind)


_COMPARISONS = {"eq", "neq", "lt", "le", "gt", "ge"}
_PY_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "true_div": operator.truediv, "int_div": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "and_": operator.and_, "or_": operator.or_, "xor": operator.xor,
    "eq": operator.eq, "neq": operator.ne, "lt": operator.lt, "le": operator.le,
    "gt": operator.gt, "ge": operator.ge, "matmul": operator.matmul,
}


def binary(op: str, a: Any, b: Any) -> Any:
    """`a op b` with numpy's rules; static operands are computed now."""
    if not is_symbolic(a) and not is_symbolic(b):
        try:
            return _PY_OPS[op](a, b)
        except Exception as err:  # noqa: BLE001 - report Python's own complaint
            raise Unsupported(f"operator {op}", f"{type(err).__name__}: {err}",
                              "check the operand types") from err
    if op == "matmul":
        return matmul(a, b)
    if op == "pow" and is_python_scalar(b) and b == 2 and isinstance(a, Variable) \
            and a.dtype == "bool":
        a = T.cast(a, "int8")  # ndarray.__pow__ computes x ** 2 as np.square(x)
    ta, tb = coerce(a, b)
    result = getattr(T, op)(ta, tb)
    return weak_result([a, b], result, op) if all_weak(a, b) else result


def matmul(a: Any, b: Any) -> TensorVariable:
    """a @ b for 1-d and 2-d operands (numpy.matmul)."""
    ta, tb = coerce(a, b)
    if ta.ndim == 0 or tb.ndim == 0:
        raise Unsupported("@", "matmul of a scalar operand", "use * for scalars")
    if ta.ndim > 2 or tb.ndim > 2:
        raise Unsupported("@", f"matmul of {ta.ndim}-d and {tb.ndim}-d arrays",
                          "batched matmul is not supported yet; use 1-d or 2-d operands")
    return T.dot(ta, tb)


def unary(op: str, a: Any) -> Any:
    """-a, +a, ~a with numpy's rules (weak stays weak)."""
    if not is_symbolic(a):
        return {"neg": operator.neg, "pos": operator.pos, "invert": operator.invert}[op](a)
    if op == "pos":
        return a
    result = getattr(T, op)(strong(a))
    if isinstance(a, Weak):
        kind = int if a.kind is bool and op == "neg" else a.kind
        return Weak.of(result, kind)
    return result


def truth(value: Any) -> Any:
    """A Python bool for static values, else a symbolic 0-d bool."""
    if not is_symbolic(value):
        if isinstance(value, np.ndarray) and value.size != 1:
            raise Unsupported("truth value of an array", "an array with several elements "
                              "is neither true nor false", "use .any() or .all()")
        return bool(value)
    var = strong(value)
    if var.ndim != 0:
        raise Unsupported("truth value of an array", f"the condition is a {var.ndim}-d "
                          f"array, so it has no single truth value",
                          "use np.where(cond, a, b) for an elementwise choice, or reduce "
                          "the condition with .any() / .all()")
    return var if var.dtype == "bool" else T.neq(var, 0)


def logical_not(value: Any) -> Any:
    """Python's `not`."""
    cond = truth(value)
    return (not cond) if isinstance(cond, bool) else Weak(T.invert(cond), bool)


def logical(op: str, values: list[Any]) -> Any:
    """Python's `and` / `or` on conditions (static short-circuit, else bool logic)."""
    conds = [truth(v) for v in values]
    static = [c for c in conds if isinstance(c, bool)]
    symbolic = [c for c in conds if not isinstance(c, bool)]
    if op == "and_" and not all(static):
        return False
    if op == "or_" and any(static):
        return True
    if not symbolic:
        return op == "and_"
    result = symbolic[0]
    for c in symbolic[1:]:
        result = getattr(T, op)(result, c)
    return Weak(result, bool)


def where(cond: Any, a: Any, b: Any) -> Any:
    """np.where(cond, a, b) (a strong result, as numpy gives an array)."""
    c = strong(cond)
    if c.dtype != "bool":
        c = T.neq(c, 0)
    ta, tb = coerce(a, b)
    return T.switch(c, ta, tb)


def join(cond: Any, a: Any, b: Any, name: str) -> Any:
    """The value of a variable after `if cond:` set it to `a` on one side, `b` on the other."""
    if a is b:
        return a
    if not is_symbolic(a) and not is_symbolic(b) and _static_equal(a, b):
        return a
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) \
            and type(a) is type(b):
        return type(a)(join(cond, x, y, f"{name}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    ka, kb = kind_of(a), kind_of(b)
    if ka is not None and kb is not None:
        kind = max(ka, kb, key=_KIND_RANK.get)
        va, vb = (strong(v) if isinstance(v, Weak) else constant(v, dtype=KIND_DTYPE[kind])
                  for v in (a, b))
        return Weak(T.switch(cond, T.cast(va, KIND_DTYPE[kind]), T.cast(vb, KIND_DTYPE[kind])),
                    kind)
    try:
        ta, tb = strong(a), strong(b)
    except Unsupported:
        raise Unsupported("data-dependent if", f"{name!r} is {a!r:.40} on one branch and "
                          f"{b!r:.40} on the other", "give it the same kind of value on "
                          "both branches") from None
    if ta.dtype != tb.dtype or ta.ndim != tb.ndim:
        raise Unsupported("data-dependent if", f"{name!r} is a {ta.type} on one branch and a "
                          f"{tb.type} on the other, so its type would depend on data",
                          "cast both branches to one dtype (e.g. with .astype) or use "
                          "np.where")
    return T.switch(cond, ta, tb)


def _static_equal(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(np.all(a == b))
    except Exception:  # noqa: BLE001 - incomparable statics are simply different
        return False


def stack_values(values: list[Any]) -> TensorVariable:
    """np.array([a, b, ...]) of scalars or equal-shaped arrays (numpy promotion)."""
    if not values:
        raise Unsupported("np.array", "an empty list", "use np.zeros(0)")
    parts = [strong(v) if isinstance(v, (list, tuple)) else v for v in values]
    return T.stack(coerce(*parts), axis=0)


def cast_to(value: Any, dtype: Any) -> TensorVariable:
    """`value` converted to `dtype` (always a new array, as numpy's astype)."""
    var = strong(value)
    out = T.cast(var, dtype_name(dtype))
    return T.identity(out) if out is var else out


def dtype_name(dtype: Any) -> str:
    """A dtype spelled any numpy way (np.float32, 'f4', float) as its name."""
    try:
        return np.dtype(dtype).name
    except TypeError as err:
        raise Unsupported("dtype", f"{dtype!r:.40} is not a dtype", "pass e.g. np.float32"
                          ) from err


def static_int(value: Any, what: str) -> int:
    """A Python int known while parsing (axis numbers, loop bounds...)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise Unsupported(what, f"must be known when the function is compiled, got "
                      f"{_describe(value)}", "use a Python int constant (a literal, a "
                      "global, x.ndim), or name the argument in "
                      "tensordsl.compile(..., static_argnames=...)")


def static_axis(value: Any) -> Any:
    """An axis argument: None, an int or a tuple of ints, known while parsing."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(static_int(v, "axis") for v in value)
    return static_int(value, "axis")


def _describe(value: Any) -> str:
    if isinstance(value, Weak):
        return f"a run-time Python {value.kind.__name__}"
    if isinstance(value, Variable):
        return f"a run-time {value.type}"
    return f"{value!r:.40}"


def describe_type(value: Any) -> str:
    """A short type description for `inspect()`."""
    if isinstance(value, Weak):
        return f"weak {value.kind.__name__} ({value.var.dtype})"
    if isinstance(value, Variable):
        return str(value.type)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe_type(v) for v in value)
        return f"{type(value).__name__}({inner})"
    return f"static {type(value).__name__} = {value!r:.40}"
