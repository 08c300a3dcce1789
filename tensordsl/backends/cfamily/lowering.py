"""The C-family lowering table: ScalarOp name -> expression, with numpy's semantics.

Expressions are spelled through a `Dialect` (`dialect.py`): C99 for the C backend (the
default), OpenCL C for the OpenCL backend; the rules themselves are shared.

Each entry receives the argument expressions already converted to the op's *compute
dtype* and returns an expression of that dtype (comparisons return a truth value).
`lower_op` decides the compute dtype the way numpy does (the promoted dtype of the
arguments, or the output dtype for ops flagged `compute_in_out`) and casts the result
to the node's dtype. Ops or dtypes that cannot be lowered raise `Unsupported`, and the
backend then runs that graph node through its numpy `perform` (so do erfinv, psi and
gammaln: scipy's versions have no libm twin with the same special-value behaviour).

Helpers that need more than an expression (floor division, modulo, integer power,
softplus) are small `static` C functions; `Lowering.helpers` collects the ones used,
and `Lowering.math` the libm functions to declare.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tensordsl.backends.cfamily.dialect import (
    C,
    Dialect,
    Unsupported,
    is_float,
)

# ScalarOp name -> libm base name (double precision; float32 appends 'f').
LIBM = {
    "exp": "exp", "exp2": "exp2", "log": "log", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "expm1": "expm1", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh", "arccosh": "acosh",
    "arctanh": "atanh", "erf": "erf", "erfc": "erfc", "floor": "floor", "ceil": "ceil",
    "trunc": "trunc", "round_half_to_even": "rint",
    "arctan2": "atan2", "pow": "pow",
}


def is_signed(dtype: str) -> bool:
    """True for signed integer dtypes."""
    return dtype in ("int8", "int16", "int32", "int64")


def c_type(dtype: str) -> str:
    """The C spelling of `dtype`, or Unsupported (float16, complex)."""
    return C.type_name(dtype)


def suffix(dtype: str) -> str:
    """The short tag used in helper names: f64, i32, u8, b."""
    if dtype == "bool":
        return "b"
    bits = dtype.lstrip("abcdefghijklmnopqrstuvwxyz")
    return ("u" if dtype.startswith("u") else dtype[0]) + bits


def convert(expr: str, dtype: str) -> str:
    """C expression of `expr` converted to `dtype` (to bool: nonzero is true)."""
    return C.convert(expr, dtype)


def c_const(value: object, dtype: str) -> str:
    """A C literal of `value` as `dtype` (exact: floats are written in hex)."""
    return C.const(value, dtype)


class Lowering:
    """Renders scalar ops as expressions of a C-family `dialect`, remembering the helpers
    and math functions used."""

    def __init__(self, dialect: Dialect = C) -> None:
        self.dialect = dialect
        self.helpers: dict[str, str] = {}
        # function name -> (has a vector variant, prototype text); dialects whose math
        # functions are builtins (OpenCL C) record none
        self.math: dict[str, tuple[bool, str]] = {}

    def type(self, dtype: str) -> str:
        """The dialect's spelling of `dtype`."""
        return self.dialect.type_name(dtype)

    def const(self, value: object, dtype: str) -> str:
        """The dialect's literal of `value` as `dtype`."""
        return self.dialect.const(value, dtype)

    def convert(self, expr: str, dtype: str) -> str:
        """`expr` converted to `dtype` in the dialect."""
        return self.dialect.convert(expr, dtype)

    # -- libm -------------------------------------------------------------------------
    def libm(self, base: str, dtype: str, nargs: int = 1) -> str:
        """The libm function `base` for `dtype` (declared in the unit's prelude)."""
        if not is_float(dtype):
            raise Unsupported(f"{base} of {dtype}")
        name, prototype, vector = self.dialect.math(base, dtype, nargs)
        if prototype is not None:
            self.math[name] = (vector, prototype)
        return name

    def helper(self, name: str, text: str) -> str:
        """Register a static helper function `name` (its full C text) and return `name`."""
        self.helpers.setdefault(name, text)
        return name

    # -- the entry point ---------------------------------------------------------------
    def lower_op(self, op_name: str, args: list[tuple[str, str]], out_dtype: str,
                 compute_in_out: bool) -> str:
        """C expression of scalar op `op_name` on (expression, dtype) args, as out_dtype."""
        self.type(out_dtype)
        for _, d in args:
            self.type(d)
        if op_name.startswith("cast_"):
            return self.convert(args[0][0], out_dtype)
        rule = RULES.get(op_name)
        if rule is None:
            raise Unsupported(f"scalar op {op_name} has no C lowering")
        in_dtypes = [d for _, d in args]
        if compute_in_out:
            cd = out_dtype
        elif op_name == "switch":
            cd = np.result_type(*in_dtypes[1:]).name
        elif op_name == "second":
            cd = in_dtypes[1]
        elif op_name in ("isnan", "isinf"):
            cd = in_dtypes[0]
        else:
            cd = np.result_type(*in_dtypes).name
        conv = [e if d == cd else self.convert(e, cd) for e, d in args]
        if op_name == "switch":
            conv = [f"({args[0][0]} != 0)"] + conv[1:]
        return self.convert(rule(self, conv, cd), out_dtype)  # bool: true + true is 2 as a byte


Rule = Callable[[Lowering, list[str], str], str]
RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Register a lowering for the scalar ops `names`."""
    def register(fn: Rule) -> Rule:
        for n in names:
            RULES[n] = fn
        return fn
    return register


def _binary(symbol: str) -> Rule:
    def fn(low: Lowering, a: list[str], cd: str) -> str:
        return f"({a[0]} {symbol} {a[1]})"
    return fn


for _name, _sym in [("add", "+"), ("mul", "*"), ("eq", "=="), ("neq", "!="), ("lt", "<"),
                    ("le", "<="), ("gt", ">"), ("ge", ">="), ("and_", "&"), ("or_", "|"),
                    ("xor", "^")]:
    RULES[_name] = _binary(_sym)


@rule("sub")
def _sub(low: Lowering, a: list[str], cd: str) -> str:
    if cd == "bool":
        raise Unsupported("numpy has no boolean subtract")
    return f"({a[0]} - {a[1]})"


@rule("true_div")
def _true_div(low: Lowering, a: list[str], cd: str) -> str:
    if not is_float(cd):
        raise Unsupported(f"true_div in {cd}")
    return f"({a[0]} / {a[1]})"


@rule("neg")
def _neg(low: Lowering, a: list[str], cd: str) -> str:
    if cd == "bool":
        raise Unsupported("negation of bool")
    return f"(-{a[0]})"


@rule("abs")
def _abs(low: Lowering, a: list[str], cd: str) -> str:
    if is_float(cd):
        return f"{low.libm('fabs', cd)}({a[0]})"
    if is_signed(cd):
        return f"({a[0]} < 0 ? -{a[0]} : {a[0]})"
    return a[0]


@rule("sign")
def _sign(low: Lowering, a: list[str], cd: str) -> str:
    x = a[0]
    if is_float(cd):
        return f"({x} > 0 ? 1 : ({x} < 0 ? -1 : ({x} == 0 ? 0 : {x})))"
    if is_signed(cd):
        return f"(({x} > 0) - ({x} < 0))"
    return f"({x} > 0)"


@rule("sqr")
def _sqr(low: Lowering, a: list[str], cd: str) -> str:
    return f"({a[0]} * {a[0]})"


def _make_extremum(cmp: str) -> Rule:
    def fn(low: Lowering, a: list[str], cd: str) -> str:
        x, y = a
        nan = f" || {x} != {x}" if is_float(cd) else ""
        return f"(({x} {cmp} {y}{nan}) ? {x} : {y})"
    return fn


RULES["maximum"] = _make_extremum(">=")
RULES["minimum"] = _make_extremum("<=")


@rule("clip")
def _clip(low: Lowering, a: list[str], cd: str) -> str:
    lo = RULES["maximum"](low, a[:2], cd)
    return RULES["minimum"](low, [lo, a[2]], cd)


@rule("identity")
def _identity(low: Lowering, a: list[str], cd: str) -> str:
    return a[0]


@rule("second")
def _second(low: Lowering, a: list[str], cd: str) -> str:
    return a[1]


@rule("switch")
def _switch(low: Lowering, a: list[str], cd: str) -> str:
    return f"({a[0]} ? {a[1]} : {a[2]})"


@rule("isnan")
def _isnan(low: Lowering, a: list[str], cd: str) -> str:
    return f"({a[0]} != {a[0]})" if is_float(cd) else "0"


@rule("isinf")
def _isinf(low: Lowering, a: list[str], cd: str) -> str:
    if not is_float(cd):
        return "0"
    inf = low.const(float("inf"), cd)
    return f"({a[0]} == {inf} || {a[0]} == -{inf})"


@rule("invert")
def _invert(low: Lowering, a: list[str], cd: str) -> str:
    return f"(!{a[0]})" if cd == "bool" else f"(~{a[0]})"


def _libm_rule(op_name: str) -> Rule:
    def fn(low: Lowering, a: list[str], cd: str) -> str:
        return f"{low.libm(LIBM[op_name], cd, len(a))}({', '.join(a)})"
    return fn


for _name in ["exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "sin", "cos",
              "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
              "arccosh", "arctanh", "erfc", "floor", "ceil", "trunc",
              "round_half_to_even", "arctan2"]:
    RULES[_name] = _libm_rule(_name)


# What one element of a loop body costs on one thread, roughly (ns, measured orders of
# magnitude on the 2-core development host): the memory traffic, then per scalar op.
# Only used to decide whether a kernel is worth waking the OpenMP workers (tens of
# microseconds per parallel region with sleeping workers: docs/c_backend.md).
ELEMENT_BASE_NS = 0.3
TRANSCENDENTAL_NS = 0.6  # a libm or inlined exp/log/erf/... call
DIVISION_NS = 0.15  # divisions, remainders and square roots
ARITHMETIC_NS = 0.05  # everything else: add, multiply, compare, select, cast
_TRANSCENDENTAL = frozenset(["exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sin",
                             "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
                             "tanh", "arcsinh", "arccosh", "arctanh", "erf", "erfc",
                             "arctan2", "pow", "sigmoid", "softplus"])
_DIVISION = frozenset(["true_div", "int_div", "mod", "reciprocal", "sqrt", "rsqrt"])


def element_ns(op_names: list[str]) -> float:
    """Estimated single-thread nanoseconds per element of a loop computing `op_names`."""
    cost = ELEMENT_BASE_NS
    for name in op_names:
        if name in _TRANSCENDENTAL:
            cost += TRANSCENDENTAL_NS
        elif name in _DIVISION:
            cost += DIVISION_NS
        else:
            cost += ARITHMETIC_NS
    return cost


# erf in float32: XLA's rational approximation (ErfImpl32: odd numerator of degree 9,
# even denominator of degree 12 in x, argument clamped at erfinv(1 - 2**-23)), evaluated
# in float32 with fmaf (one rounding per Horner step). It costs about half of libmvec's
# vector erff, whose two calls per element were 39% of the float32 Black-Scholes profile.
# Error against scipy's float64 erf: see docs/c_backend.md (at most 5.4 ulp; glibc's
# erff: 1 ulp; evaluated in double it is 1.5 ulp but slower than erff itself).
ERF32_NUMERATOR = (0.00022905065861350646, 0.0034082910107109506, 0.050955695062380861,
                   0.18520832239976145, 1.128379143519084)
ERF32_DENOMINATOR = (-1.1791602954361697e-7, 0.000023547966471313185, 0.0010179625278914885,
                     0.014070470171167667, 0.11098505178285362, 0.49746925110067538, 1.0)
ERF32_CLAMP = 3.7439211627767994  # erfinv(1 - 2**-23): the formula's range
ERF32_ONE = 3.919206  # the smallest float32 whose erf rounds to 1.0f (so erf(inf) == 1)


def _horner_fma(low: Lowering, fma: str | None, coefficients: tuple[float, ...],
                var: str) -> str:
    """Horner's scheme with `fma`, or with a multiply and an add when `fma` is None."""
    expr = low.const(coefficients[0], "float32")
    for c in coefficients[1:]:
        if fma is None:
            expr = f"({expr} * {var} + {low.const(c, 'float32')})"
        else:
            expr = f"{fma}({expr}, {var}, {low.const(c, 'float32')})"
    return expr


@rule("erf")
def _erf(low: Lowering, a: list[str], cd: str) -> str:
    if cd != "float32":
        return f"{low.libm('erf', cd)}({a[0]})"
    # fma where the dialect's is fast (C: one instruction); PoCL's vector fma costs twice a
    # multiply-add, and without it the formula is within 5.9 ulp (docs/opencl.md)
    fma = low.libm("fma", "float32", 3) if low.dialect.fast_fma else None
    t = low.type("float32")  # a vector type in the OpenCL vector dialect
    name = low.helper("td_erf_f32", (
        f"static inline {t} td_erf_f32({t} x0)\n{{\n"
        f"    /* XLA's rational approximation, <= {'5.4' if fma else '5.9'} ulp "
        "(see lowering.py) */\n"
        f"    const float lim = {low.const(ERF32_CLAMP, 'float32')};\n"
        f"    const float one = {low.const(ERF32_ONE, 'float32')};\n"
        f"    {t} x = x0 > lim ? lim : x0;  /* NaN stays NaN */\n"
        "    x = x < -lim ? -lim : x;\n"
        f"    {t} x2 = x * x;\n"
        f"    {t} p = {_horner_fma(low, fma, ERF32_NUMERATOR, 'x2')};\n"
        f"    {t} q = {_horner_fma(low, fma, ERF32_DENOMINATOR, 'x2')};\n"
        f"    {t} r = x * p / q;\n"
        "    r = x0 >= one ? 1.0f : r;\n"
        "    r = x0 <= -one ? -1.0f : r;\n"
        "    return r;\n}\n"))
    return f"{name}({a[0]})"


@rule("round_half_away_from_zero")
def _round_away(low: Lowering, a: list[str], cd: str) -> str:
    half = low.const(0.5, cd)
    floor, ceil = low.libm("floor", cd), low.libm("ceil", cd)
    return f"({a[0]} >= 0 ? {floor}({a[0]} + {half}) : {ceil}({a[0]} - {half}))"


@rule("reciprocal")
def _reciprocal(low: Lowering, a: list[str], cd: str) -> str:
    if not is_float(cd):
        raise Unsupported(f"reciprocal of {cd}")
    return f"({low.const(1, cd)} / {a[0]})"


@rule("rsqrt")
def _rsqrt(low: Lowering, a: list[str], cd: str) -> str:
    return f"({low.const(1, cd)} / {low.libm('sqrt', cd)}({a[0]}))"


@rule("sigmoid")
def _sigmoid(low: Lowering, a: list[str], cd: str) -> str:
    one = low.const(1, cd)  # scipy's expit: 1 / (1 + exp(-x)) in the input precision
    return f"({one} / ({one} + {low.libm('exp', cd)}(-{a[0]})))"


@rule("softplus")
def _softplus(low: Lowering, a: list[str], cd: str) -> str:
    t = low.type(cd)
    exp, log1p = low.libm("exp", cd), low.libm("log1p", cd)
    ln2 = low.const(np.log(2.0), cd)
    zero = low.const(0, cd)
    # numpy's logaddexp(0, y) case by case: y < 0 -> 0 + log1p(exp(y)), y > 0 -> y +
    # log1p(exp(-y)), y == 0 -> ln 2, NaN -> NaN; written without branches (selects on
    # both sides) and `inline`, so the loop calling it vectorises (libmvec exp/log1p)
    name = low.helper(f"td_softplus_{suffix(cd)}", (
        f"static inline {t} td_softplus_{suffix(cd)}({t} y)\n{{\n"
        "    /* numpy's logaddexp(0, y) */\n"
        f"    {t} pos = y > 0 ? y : {zero};\n"
        f"    {t} neg_abs = y > 0 ? -y : y;\n"
        f"    {t} r = pos + {log1p}({exp}(neg_abs));\n"
        f"    return y == 0 ? {ln2} : r;\n}}\n"))
    return f"{name}({a[0]})"


@rule("int_div")
def _int_div(low: Lowering, a: list[str], cd: str) -> str:
    t, s = low.type(cd), suffix(cd)
    if is_float(cd):
        name = _float_divmod(low, cd)
        return f"{name}({a[0]}, {a[1]}, 0)"
    if cd == "bool":
        raise Unsupported("floor division of bools")
    if is_signed(cd):
        body = ("    if (b == 0) return 0;\n"
                "    if (b == -1) return -a; /* wraps like numpy, no SIGFPE */\n"
                f"    {t} q = a / b;\n"
                "    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;\n"
                "    return q;\n")
    else:
        body = "    return b == 0 ? 0 : a / b;\n"
    return low.helper(f"td_floordiv_{s}", f"static {t} td_floordiv_{s}({t} a, {t} b)\n"
                                           f"{{\n{body}}}\n") + f"({a[0]}, {a[1]})"


@rule("mod")
def _mod(low: Lowering, a: list[str], cd: str) -> str:
    t, s = low.type(cd), suffix(cd)
    if is_float(cd):
        name = _float_divmod(low, cd)
        return f"{name}({a[0]}, {a[1]}, 1)"
    if cd == "bool":
        raise Unsupported("modulo of bools")
    if is_signed(cd):
        body = ("    if (b == 0 || b == -1) return 0; /* numpy: 0, no SIGFPE */\n"
                f"    {t} r = a % b;\n"
                "    if (r != 0 && ((r < 0) != (b < 0))) r += b;\n"
                "    return r;\n")
    else:
        body = "    return b == 0 ? 0 : a % b;\n"
    return low.helper(f"td_mod_{s}", f"static {t} td_mod_{s}({t} a, {t} b)\n"
                                     f"{{\n{body}}}\n") + f"({a[0]}, {a[1]})"


def _float_divmod(low: Lowering, cd: str) -> str:
    """numpy's npy_divmod / npy_floor_divide / npy_remainder for one float type."""
    t, s = low.type(cd), suffix(cd)
    fmod, floor = low.libm("fmod", cd, 2), low.libm("floor", cd)
    copysign = low.libm("copysign", cd, 2)
    zero, half = low.dialect.plain(0, cd), low.dialect.plain(0.5, cd)
    name = f"td_divmod_{s}"
    return low.helper(name, (
        f"static {t} {name}({t} a, {t} b, int want_mod)\n{{\n"
        f"    {t} mod = {fmod}(a, b), div, floordiv;\n"
        "    if (!b) return want_mod ? mod : a / b;\n"
        "    div = (a - mod) / b;\n"
        "    if (mod) {\n"
        "        if ((b < 0) != (mod < 0)) { mod += b; div -= 1; }\n"
        f"    }} else {{\n        mod = {copysign}({zero}, b);\n    }}\n"
        "    if (want_mod) return mod;\n"
        "    if (div) {\n"
        f"        floordiv = {floor}(div);\n"
        f"        if (div - floordiv > {half}) floordiv += 1;\n"
        f"    }} else {{\n        floordiv = {copysign}({zero}, a / b);\n    }}\n"
        "    return floordiv;\n}\n"))


@rule("pow")
def _pow(low: Lowering, a: list[str], cd: str) -> str:
    if is_float(cd):
        return f"{low.libm('pow', cd, 2)}({a[0]}, {a[1]})"
    if cd == "bool":
        raise Unsupported("power of bools")
    if is_signed(cd):
        # numpy raises on a negative integer exponent and a kernel has no way to raise:
        # the node runs through numpy, which does
        raise Unsupported(f"{cd} power (numpy raises on negative exponents)")
    t, s = low.type(cd), suffix(cd)
    name = low.helper(f"td_ipow_{s}", (
        f"static {t} td_ipow_{s}({t} a, {t} b)\n{{\n"
        f"    {t} r = 1;\n"
        "    while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }\n"
        "    return r;\n}\n"))
    return f"{name}({a[0]}, {a[1]})"
