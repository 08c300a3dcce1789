"""The scalar operation table: what each elementwise operation computes, per element.

An elementwise tensor op (`Elemwise`) wraps one `ScalarOp`; fusion builds kernels whose
bodies are DAGs of ScalarOps; each backend keeps its own lowering table keyed by
`ScalarOp.name`. A ScalarOp is data: a name, an arity, a dtype rule and a numpy
reference implementation. It holds no backend code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special

from tensordsl import dtypes

DtypeRule = Callable[[tuple[str, ...]], str]


def upcast_rule(in_dtypes: tuple[str, ...]) -> str:
    """numpy promotion of the inputs (add, mul, maximum...)."""
    return dtypes.upcast(*in_dtypes)


def float_rule(in_dtypes: tuple[str, ...]) -> str:
    """A float-valued function: ints are upgraded to float (policy-dependent)."""
    return dtypes.float_of(*in_dtypes)


def bool_rule(in_dtypes: tuple[str, ...]) -> str:
    """Comparisons and predicates."""
    return dtypes.BOOL


def true_div_rule(in_dtypes: tuple[str, ...]) -> str:
    """a / b."""
    return dtypes.true_div_dtype(*in_dtypes)


def no_bool_rule(in_dtypes: tuple[str, ...]) -> str:
    """//, %, **: upcast, but bools compute in int8 under the numpy policy."""
    return dtypes.no_bool_upcast(*in_dtypes)


def sub_rule(in_dtypes: tuple[str, ...]) -> str:
    """a - b."""
    return dtypes.sub_dtype(*in_dtypes)


def round_rule(in_dtypes: tuple[str, ...]) -> str:
    """floor/ceil/trunc: a float (Theano) or the integer dtype itself (numpy policy)."""
    return dtypes.round_dtype(in_dtypes[0])


def round_float_bool_rule(in_dtypes: tuple[str, ...]) -> str:
    """round: as round_rule, but numpy rounds bools in float16."""
    return dtypes.round_dtype(in_dtypes[0], keeps_bool=False)


def _bool_unary_rule(name: str) -> DtypeRule:
    return lambda in_dtypes: dtypes.bool_unary_dtype(name, dtypes.upcast(*in_dtypes))


def abs_rule(in_dtypes: tuple[str, ...]) -> str:
    """|x|: the magnitude of a complex number is real (complex64 -> float32)."""
    dtype = dtypes.upcast(*in_dtypes)
    return {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)


def switch_rule(in_dtypes: tuple[str, ...]) -> str:
    """switch(cond, a, b): promotion of the two branches."""
    return dtypes.upcast(in_dtypes[1], in_dtypes[2])


def second_rule(in_dtypes: tuple[str, ...]) -> str:
    """second(a, b): b's dtype, broadcast to a's shape."""
    return in_dtypes[1]


def discrete_rule(in_dtypes: tuple[str, ...]) -> str:
    """Bitwise operations: integer or bool inputs only."""
    for d in in_dtypes:
        if not dtypes.is_discrete(d):
            raise TypeError(f"bitwise operation needs integer or bool inputs, got {d}")
    return dtypes.upcast(*in_dtypes)


def same_rule(in_dtypes: tuple[str, ...]) -> str:
    """The input's own dtype (sign, identity)."""
    return in_dtypes[0]


class ScalarOp:
    """One elementwise operation: `name`, `nin` inputs, a dtype rule and a numpy impl.

    `impl` receives numpy arrays already cast to `compute_dtype` when `compute_in_out`
    is set (float functions of integers compute in the output float type, as Theano).
    """

    def __init__(self, name: str, nin: int, impl: Callable[..., Any], dtype_rule: DtypeRule,
                 *, commutative: bool = False, associative: bool = False,
                 identity: Any = None, compute_in_out: bool = False, symbol: str | None = None
                 ) -> None:
        self.name = name
        self.nin = nin
        self.impl = impl
        self.dtype_rule = dtype_rule
        self.commutative = commutative
        self.associative = associative
        self.identity = identity
        self.compute_in_out = compute_in_out
        self.symbol = symbol  # infix spelling for printing, e.g. "+"

    def _key(self) -> tuple:
        return (type(self), self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScalarOp) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return self.name

    def __reduce_ex__(self, protocol: Any) -> Any:
        # a registered op pickles by name (its numpy impl may be a lambda), so graphs can
        # be shipped to other processes (tensordsl.pickling, tensordsl.dask)
        if SCALAR_OPS.get(self.name) is self:
            return get, (self.name,)
        return super().__reduce_ex__(protocol)

    def output_dtype(self, in_dtypes: tuple[str, ...]) -> str:
        """The dtype of the result for inputs of `in_dtypes`."""
        if len(in_dtypes) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(in_dtypes)}")
        return self.dtype_rule(tuple(in_dtypes))

    def compute(self, out_dtype: str, *args: np.ndarray) -> np.ndarray:
        """Evaluate on numpy arrays (broadcasting), returning an array of `out_dtype`."""
        if self.compute_in_out:
            args = tuple(np.asarray(a, dtype=out_dtype) for a in args)
        with np.errstate(all="ignore"):
            result = self.impl(*args)
        return np.asarray(result).astype(out_dtype, copy=False)


class Cast(ScalarOp):
    """Conversion to `dtype` (numpy's astype semantics)."""

    def __init__(self, dtype: str) -> None:
        self.dtype = dtypes.canonical(dtype)
        super().__init__(f"cast_{self.dtype}", 1, lambda x: x.astype(self.dtype),
                         lambda _: self.dtype)

    def _key(self) -> tuple:
        return (Cast, self.dtype)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return Cast, (self.dtype,)


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor_divide(a, b)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)).astype(x.dtype)


def _sqr(x: np.ndarray) -> np.ndarray:
    return x * x


def _second(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.broadcast_to(b, np.broadcast_shapes(np.shape(a), np.shape(b))).copy()


def _clip(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    # numpy.clip semantics; minimum(maximum()) keeps NaN propagation of x.
    return np.minimum(np.maximum(x, lo), hi)


def _sign(x: np.ndarray) -> np.ndarray:
    return np.sign(x) if x.dtype != np.bool_ else x.copy()


def _abs(x: np.ndarray) -> np.ndarray:
    return np.abs(x) if x.dtype != np.bool_ else x.copy()


def _neg(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.bool_:
        raise TypeError("negation of a bool tensor is not supported; use invert (~)")
    return np.negative(x)


_U, _F, _B = upcast_rule, float_rule, bool_rule

SCALAR_OPS: dict[str, ScalarOp] = {}


def _register(op: ScalarOp) -> ScalarOp:
    SCALAR_OPS[op.name] = op
    return op


# -- arithmetic ---------------------------------------------------------------------------
add = _register(ScalarOp("add", 2, np.add, _U, commutative=True, associative=True,
                         identity=0, symbol="+"))
sub = _register(ScalarOp("sub", 2, np.subtract, sub_rule, symbol="-"))
mul = _register(ScalarOp("mul", 2, np.multiply, _U, commutative=True, associative=True,
                         identity=1, symbol="*"))
true_div = _register(ScalarOp("true_div", 2, np.true_divide, true_div_rule,
                              compute_in_out=True, symbol="/"))
int_div = _register(ScalarOp("int_div", 2, _int_div, no_bool_rule, symbol="//"))
mod = _register(ScalarOp("mod", 2, np.mod, no_bool_rule, symbol="%"))
pow = _register(ScalarOp("pow", 2, np.power, no_bool_rule, symbol="**"))
neg = _register(ScalarOp("neg", 1, _neg, _bool_unary_rule("neg"), symbol="-"))
abs = _register(ScalarOp("abs", 1, _abs, abs_rule))
sign = _register(ScalarOp("sign", 1, _sign, _bool_unary_rule("sign")))
sqr = _register(ScalarOp("sqr", 1, _sqr, _bool_unary_rule("sqr")))
maximum = _register(ScalarOp("maximum", 2, np.maximum, _U, commutative=True,
                             associative=True))
minimum = _register(ScalarOp("minimum", 2, np.minimum, _U, commutative=True,
                             associative=True))
clip = _register(ScalarOp("clip", 3, _clip, _U))
identity = _register(ScalarOp("identity", 1, lambda x: x.copy(), same_rule))
second = _register(ScalarOp("second", 2, _second, second_rule))
switch = _register(ScalarOp("switch", 3, np.where, switch_rule))

# -- float functions ----------------------------------------------------------------------
_FLOAT_FUNCS = {
    "exp": np.exp, "exp2": np.exp2, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
    "erf": scipy.special.erf, "erfc": scipy.special.erfc, "erfinv": scipy.special.erfinv,
    "sigmoid": scipy.special.expit, "softplus": lambda x: np.logaddexp(np.zeros_like(x), x),
    "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
    "round_half_to_even": np.round, "round_half_away_from_zero": _round_half_away,
    "reciprocal": np.reciprocal, "rsqrt": lambda x: 1 / np.sqrt(x),
    "gammaln": scipy.special.gammaln, "psi": scipy.special.psi,
}
for _name, _fn in _FLOAT_FUNCS.items():
    _rule = (round_float_bool_rule if _name.startswith("round") else round_rule
             if _name in ("floor", "ceil", "trunc") else _F)
    _register(ScalarOp(_name, 1, _fn, _rule, compute_in_out=True))
_register(ScalarOp("arctan2", 2, np.arctan2, _F, compute_in_out=True))

# -- comparisons and logic ----------------------------------------------------------------
for _name, _fn, _sym in [("eq", np.equal, "=="), ("neq", np.not_equal, "!="),
                         ("lt", np.less, "<"), ("le", np.less_equal, "<="),
                         ("gt", np.greater, ">"), ("ge", np.greater_equal, ">=")]:
    _register(ScalarOp(_name, 2, _fn, _B, commutative=_name in ("eq", "neq"), symbol=_sym))
_register(ScalarOp("isnan", 1, np.isnan, _B))
_register(ScalarOp("isinf", 1, np.isinf, _B))
_register(ScalarOp("and_", 2, np.bitwise_and, discrete_rule, commutative=True,
                   associative=True, symbol="&"))
_register(ScalarOp("or_", 2, np.bitwise_or, discrete_rule, commutative=True,
                   associative=True, symbol="|"))
_register(ScalarOp("xor", 2, np.bitwise_xor, discrete_rule, commutative=True,
                   associative=True, symbol="^"))
_register(ScalarOp("invert", 1, np.invert, discrete_rule, symbol="~"))


def get(name: str) -> ScalarOp:
    """The registered ScalarOp called `name`."""
    try:
        return SCALAR_OPS[name]
    except KeyError:
        raise KeyError(f"no scalar op named {name!r}") from None
