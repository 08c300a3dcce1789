"""The C lowering table: ScalarOp name -> C expression, with numpy's semantics.

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

# A bool array element is a byte holding 0 or 1, as in numpy, not C's `_Bool`, and a bool
# value inside a loop body is an `int` (`render.CRenderer.value_type`): gcc 12 vectorises
# neither a `_Bool` nor an `unsigned char` temporary between float operations, so one
# comparison result kept in such a variable left a whole fused loop scalar (a
# ReLU-gradient kernel ran 10x slower). Every conversion to bool is therefore written
# `(x != 0)` (`convert`), never a cast.
C_TYPES = {
    "bool": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
    "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
    "uint32": "unsigned int", "uint64": "unsigned long long", "float32": "float",
    "float64": "double",
}

# libm functions glibc's libmvec has vector variants of (declared `omp declare simd`).
VECTOR_MATH = frozenset(
    "exp exp2 exp10 log log2 log10 log1p expm1 sin cos tan asin acos atan sinh cosh tanh "
    "asinh acosh atanh erf erfc atan2 pow".split())

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


class Unsupported(Exception):
    """This op/dtype combination has no C lowering (the node falls back to numpy)."""


def is_float(dtype: str) -> bool:
    """True for the float dtypes the C backend renders."""
    return dtype in ("float32", "float64")


def is_signed(dtype: str) -> bool:
    """True for signed integer dtypes."""
    return dtype in ("int8", "int16", "int32", "int64")


def c_type(dtype: str) -> str:
    """The C spelling of `dtype`, or Unsupported (float16, complex)."""
    try:
        return C_TYPES[dtype]
    except KeyError:
        raise Unsupported(f"dtype {dtype} has no C type") from None


def suffix(dtype: str) -> str:
    """The short tag used in helper names: f64, i32, u8, b."""
    if dtype == "bool":
        return "b"
    bits = dtype.lstrip("abcdefghijklmnopqrstuvwxyz")
    return ("u" if dtype.startswith("u") else dtype[0]) + bits


def convert(expr: str, dtype: str) -> str:
    """C expression of `expr` converted to `dtype` (to bool: nonzero is true)."""
    if dtype == "bool":
        return f"(({expr}) != 0)"
    return f"(({c_type(dtype)})({expr}))"


def c_const(value: object, dtype: str) -> str:
    """A C literal of `value` as `dtype` (exact: floats are written in hex)."""
    ctype = c_type(dtype)
    if dtype == "bool":
        return "1" if bool(value) else "0"
    if is_float(dtype):
        v = float(np.asarray(value, dtype=dtype))
        f = "f" if dtype == "float32" else ""
        if v != v:
            return f"__builtin_nan{f}(\"\")"
        if v in (float("inf"), float("-inf")):
            return f"{'-' if v < 0 else ''}__builtin_inf{f}()"
        return f"(({ctype}){v.hex()})"
    v = int(np.asarray(value, dtype=dtype))
    if dtype == "uint64" or (dtype.startswith("uint")):
        return f"(({ctype}){v}ULL)"
    if v == -(2 ** 63):
        return "((long long)(-9223372036854775807LL - 1))"
    return f"(({ctype}){v}LL)"


class Lowering:
    """Renders scalar ops as C expressions, remembering helpers and libm functions used."""

    def __init__(self) -> None:
        self.helpers: dict[str, str] = {}
        self.math: dict[str, str] = {}  # C function name -> its C prototype text

    # -- libm -------------------------------------------------------------------------
    def libm(self, base: str, dtype: str, nargs: int = 1) -> str:
        """The libm function `base` for `dtype` (declared in the unit's prelude)."""
        if not is_float(dtype):
            raise Unsupported(f"{base} of {dtype}")
        ctype = c_type(dtype)
        name = base + ("f" if dtype == "float32" else "")
        args = ", ".join([ctype] * nargs)
        self.math[name] = (base in VECTOR_MATH, f"{ctype} {name}({args});")
        return name

    def helper(self, name: str, text: str) -> str:
        """Register a static helper function `name` (its full C text) and return `name`."""
        self.helpers.setdefault(name, text)
        return name

    # -- the entry point ---------------------------------------------------------------
    def lower_op(self, op_name: str, args: list[tuple[str, str]], out_dtype: str,
                 compute_in_out: bool) -> str:
        """C expression of scalar op `op_name` on (expression, dtype) args, as out_dtype."""
        c_type(out_dtype)
        for _, d in args:
            c_type(d)
        if op_name.startswith("cast_"):
            return convert(args[0][0], out_dtype)
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
        conv = [e if d == cd else convert(e, cd) for e, d in args]
        if op_name == "switch":
            conv = [f"({args[0][0]} != 0)"] + conv[1:]
        return convert(rule(self, conv, cd), out_dtype)  # bool: true + true is 2 as a byte


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
    inf = c_const(float("inf"), cd)
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


def _horner_fma(fma: str, coefficients: tuple[float, ...], var: str) -> str:
    expr = c_const(coefficients[0], "float32")
    for c in coefficients[1:]:
        expr = f"{fma}({expr}, {var}, {c_const(c, 'float32')})"
    return expr


@rule("erf")
def _erf(low: Lowering, a: list[str], cd: str) -> str:
    if cd != "float32":
        return f"{low.libm('erf', cd)}({a[0]})"
    fma = low.libm("fma", "float32", 3)
    name = low.helper("td_erf_f32", (
        "static inline float td_erf_f32(float x0)\n{\n"
        "    /* XLA's rational approximation, <= 5.4 ulp (see lowering.py) */\n"
        f"    const float lim = {c_const(ERF32_CLAMP, 'float32')};\n"
        f"    const float one = {c_const(ERF32_ONE, 'float32')};\n"
        "    float x = x0 > lim ? lim : x0;  /* NaN stays NaN */\n"
        "    x = x < -lim ? -lim : x;\n"
        "    float x2 = x * x;\n"
        f"    float p = {_horner_fma(fma, ERF32_NUMERATOR, 'x2')};\n"
        f"    float q = {_horner_fma(fma, ERF32_DENOMINATOR, 'x2')};\n"
        "    float r = x * p / q;\n"
        "    r = x0 >= one ? 1.0f : r;\n"
        "    r = x0 <= -one ? -1.0f : r;\n"
        "    return r;\n}\n"))
    return f"{name}({a[0]})"


@rule("round_half_away_from_zero")
def _round_away(low: Lowering, a: list[str], cd: str) -> str:
    half = c_const(0.5, cd)
    floor, ceil = low.libm("floor", cd), low.libm("ceil", cd)
    return f"({a[0]} >= 0 ? {floor}({a[0]} + {half}) : {ceil}({a[0]} - {half}))"


@rule("reciprocal")
def _reciprocal(low: Lowering, a: list[str], cd: str) -> str:
    if not is_float(cd):
        raise Unsupported(f"reciprocal of {cd}")
    return f"({c_const(1, cd)} / {a[0]})"


@rule("rsqrt")
def _rsqrt(low: Lowering, a: list[str], cd: str) -> str:
    return f"({c_const(1, cd)} / {low.libm('sqrt', cd)}({a[0]}))"


@rule("sigmoid")
def _sigmoid(low: Lowering, a: list[str], cd: str) -> str:
    one = c_const(1, cd)  # scipy's expit: 1 / (1 + exp(-x)) in the input precision
    return f"({one} / ({one} + {low.libm('exp', cd)}(-{a[0]})))"


@rule("softplus")
def _softplus(low: Lowering, a: list[str], cd: str) -> str:
    t = c_type(cd)
    exp, log1p = low.libm("exp", cd), low.libm("log1p", cd)
    ln2 = c_const(np.log(2.0), cd)
    zero = c_const(0, cd)
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
    t, s = c_type(cd), suffix(cd)
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
    t, s = c_type(cd), suffix(cd)
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
    t, s = c_type(cd), suffix(cd)
    fmod, floor = low.libm("fmod", cd, 2), low.libm("floor", cd)
    copysign = low.libm("copysign", cd, 2)
    name = f"td_divmod_{s}"
    return low.helper(name, (
        f"static {t} {name}({t} a, {t} b, int want_mod)\n{{\n"
        f"    {t} mod = {fmod}(a, b), div, floordiv;\n"
        "    if (!b) return want_mod ? mod : a / b;\n"
        "    div = (a - mod) / b;\n"
        "    if (mod) {\n"
        "        if ((b < 0) != (mod < 0)) { mod += b; div -= 1; }\n"
        f"    }} else {{\n        mod = {copysign}(0, b);\n    }}\n"
        "    if (want_mod) return mod;\n"
        "    if (div) {\n"
        f"        floordiv = {floor}(div);\n"
        "        if (div - floordiv > 0.5) floordiv += 1;\n"
        f"    }} else {{\n        floordiv = {copysign}(0, a / b);\n    }}\n"
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
    t, s = c_type(cd), suffix(cd)
    name = low.helper(f"td_ipow_{s}", (
        f"static {t} td_ipow_{s}({t} a, {t} b)\n{{\n"
        f"    {t} r = 1;\n"
        "    while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }\n"
        "    return r;\n}\n"))
    return f"{name}({a[0]}, {a[1]})"
