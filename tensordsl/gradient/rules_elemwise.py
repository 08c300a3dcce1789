"""Gradient rules of elementwise ops: one rule per ScalarOp name, plus DimShuffle.

A scalar rule receives the node's inputs (already of the output's rank), the output
and its gradient `gz`, and returns one gradient per input, shaped like the output
(None: zero). The Elemwise rule then sums each gradient over the dims that input was
broadcast along. The formulas follow Theano's so the gradient graphs (and their
floating-point rounding) are the ones Theano users know; e.g. d(sqr x) = gz * x * 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.gradient.core import NotImplementedGrad, register_connection, register_grad
from tensordsl.gradient.sum_to import sum_to
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.convert import constant
from tensordsl.ops import scalar as ps
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.tensor import math as tm

ScalarRule = Callable[[list[Variable], Variable, Variable], list[Any]]
SCALAR_RULES: dict[str, ScalarRule] = {}


def _c(value: float, like: Variable) -> Variable:
    """A constant in the float dtype of `like`, so float32 graphs stay float32."""
    return constant(value, dtype=like.dtype if dtypes.is_float(like.dtype) else config.floatX)


def scalar_rule(*names: str) -> Callable[[ScalarRule], ScalarRule]:
    """Decorator registering a scalar gradient rule under ScalarOp names."""
    def deco(rule: ScalarRule) -> ScalarRule:
        for name in names:
            SCALAR_RULES[name] = rule
        return rule
    return deco


def _zero(inputs: list[Variable], out: Variable, gz: Variable) -> list[Any]:
    return [None] * len(inputs)


# Piecewise-constant and discrete-valued functions: gradient zero (as in Theano).
for _name in ("sign", "floor", "ceil", "trunc", "round_half_to_even",
              "round_half_away_from_zero", "int_div", "eq", "neq", "lt", "le", "gt", "ge",
              "isnan", "isinf", "and_", "or_", "xor", "invert"):
    SCALAR_RULES[_name] = _zero


@scalar_rule("add")
def _add(inputs, out, gz):
    return [gz, gz]


@scalar_rule("sub")
def _sub(inputs, out, gz):
    return [gz, tm.neg(gz)]


@scalar_rule("mul")
def _mul(inputs, out, gz):
    x, y = inputs
    return [tm.mul(gz, y), tm.mul(gz, x)]


@scalar_rule("true_div")
def _true_div(inputs, out, gz):
    x, y = inputs
    return [tm.true_div(gz, y), tm.true_div(tm.neg(tm.mul(gz, x)), tm.mul(y, y))]


@scalar_rule("mod")
def _mod(inputs, out, gz):
    x, y = inputs
    return [gz, tm.mul(tm.neg(tm.int_div(x, y)), gz)]


@scalar_rule("pow")
def _pow(inputs, out, gz):
    x, y = inputs
    gx = tm.mul(tm.mul(gz, y), tm.pow(x, tm.sub(y, _c(1, out))))
    gy = tm.mul(tm.mul(gz, tm.log(x)), tm.pow(x, y))  # type: ignore[attr-defined]
    return [gx, gy]


@scalar_rule("neg")
def _neg(inputs, out, gz):
    return [tm.neg(gz)]


@scalar_rule("abs")
def _abs(inputs, out, gz):
    return [tm.mul(gz, tm.sign(inputs[0]))]


@scalar_rule("sqr")
def _sqr(inputs, out, gz):
    return [tm.mul(tm.mul(gz, inputs[0]), _c(2, out))]


def _selected(mask: Variable, gz: Variable) -> Variable:
    return tm.mul(tm.cast(mask, gz.dtype), gz)


@scalar_rule("maximum", "minimum")
def _extremum(inputs, out, gz):
    x, y = inputs
    return [_selected(tm.eq(out, x), gz), _selected(tm.eq(out, y), gz)]


@scalar_rule("clip")
def _clip(inputs, out, gz):
    x, lo, hi = inputs
    inside = tm.and_(tm.ge(x, lo), tm.le(x, hi))
    return [_selected(inside, gz), _selected(tm.lt(x, lo), gz), _selected(tm.gt(x, hi), gz)]


@scalar_rule("identity")
def _identity(inputs, out, gz):
    return [gz]


@scalar_rule("second")
def _second(inputs, out, gz):
    return [None, gz]


@scalar_rule("switch")
def _switch(inputs, out, gz):
    cond = inputs[0]
    zero = _c(0, gz)
    return [None, tm.switch(cond, gz, zero), tm.switch(cond, zero, gz)]


def _unary(name: str, formula: Callable[[Variable, Variable, Variable], Variable]) -> None:
    def rule(inputs, out, gz):
        return [formula(inputs[0], out, gz)]
    SCALAR_RULES[name] = rule


f = tm  # short alias for the formulas below
_unary("exp", lambda x, o, gz: f.mul(gz, f.exp(x)))  # type: ignore[attr-defined]
_unary("exp2", lambda x, o, gz: f.mul(f.mul(gz, f.exp2(x)), _c(math.log(2.0), o)))  # type: ignore
_unary("expm1", lambda x, o, gz: f.mul(gz, f.exp(x)))  # type: ignore[attr-defined]
_unary("log", lambda x, o, gz: f.true_div(gz, x))
_unary("log2", lambda x, o, gz: f.true_div(gz, f.mul(x, _c(math.log(2.0), o))))
_unary("log10", lambda x, o, gz: f.true_div(gz, f.mul(x, _c(math.log(10.0), o))))
_unary("log1p", lambda x, o, gz: f.true_div(gz, f.add(_c(1, o), x)))
_unary("sqrt", lambda x, o, gz: f.true_div(f.mul(gz, _c(0.5, o)), f.sqrt(x)))  # type: ignore
_unary("rsqrt", lambda x, o, gz: f.true_div(f.mul(gz, _c(-0.5, o)),
                                            f.mul(x, f.sqrt(x))))  # type: ignore[attr-defined]
_unary("reciprocal", lambda x, o, gz: f.true_div(f.neg(gz), f.mul(x, x)))
_unary("sin", lambda x, o, gz: f.mul(gz, f.cos(x)))  # type: ignore[attr-defined]
_unary("cos", lambda x, o, gz: f.mul(f.neg(gz), f.sin(x)))  # type: ignore[attr-defined]
_unary("tan", lambda x, o, gz: f.true_div(gz, f.sqr(f.cos(x))))  # type: ignore[attr-defined]
_unary("arcsin", lambda x, o, gz: f.true_div(gz, f.sqrt(  # type: ignore[attr-defined]
    f.sub(_c(1, o), f.sqr(x)))))
_unary("arccos", lambda x, o, gz: f.true_div(f.neg(gz), f.sqrt(  # type: ignore[attr-defined]
    f.sub(_c(1, o), f.sqr(x)))))
_unary("arctan", lambda x, o, gz: f.true_div(gz, f.add(_c(1, o), f.sqr(x))))
_unary("sinh", lambda x, o, gz: f.mul(gz, f.cosh(x)))  # type: ignore[attr-defined]
_unary("cosh", lambda x, o, gz: f.mul(gz, f.sinh(x)))  # type: ignore[attr-defined]
_unary("tanh", lambda x, o, gz: f.mul(gz, f.sub(_c(1, o), f.sqr(f.tanh(x)))))  # type: ignore
_unary("arcsinh", lambda x, o, gz: f.true_div(gz, f.sqrt(  # type: ignore[attr-defined]
    f.add(f.sqr(x), _c(1, o)))))
_unary("arccosh", lambda x, o, gz: f.true_div(gz, f.sqrt(  # type: ignore[attr-defined]
    f.sub(f.sqr(x), _c(1, o)))))
_unary("arctanh", lambda x, o, gz: f.true_div(gz, f.sub(_c(1, o), f.sqr(x))))
_unary("erf", lambda x, o, gz: f.mul(f.mul(gz, _c(2 / math.sqrt(math.pi), o)),
                                     f.exp(f.neg(f.mul(x, x)))))  # type: ignore[attr-defined]
_unary("erfc", lambda x, o, gz: f.mul(f.mul(gz, _c(-2 / math.sqrt(math.pi), o)),
                                      f.exp(f.neg(f.mul(x, x)))))  # type: ignore[attr-defined]
_unary("erfinv", lambda x, o, gz: f.mul(f.mul(gz, _c(math.sqrt(math.pi) / 2, o)),
                                        f.exp(f.sqr(o))))  # type: ignore[attr-defined]
_unary("sigmoid", lambda x, o, gz: f.mul(f.mul(gz, o), f.sub(_c(1.0, o), o)))
_unary("softplus", lambda x, o, gz: f.mul(gz, f.sigmoid(x)))  # type: ignore[attr-defined]
_unary("gammaln", lambda x, o, gz: f.mul(gz, f.psi(x)))  # type: ignore[attr-defined]


@scalar_rule("psi")
def _psi(inputs, out, gz):
    return [NotImplementedGrad("the gradient of psi (digamma) needs the trigamma function, "
                               "which tensordsl does not have")]


@scalar_rule("arctan2")
def _arctan2(inputs, out, gz):
    y, x = inputs
    denom = tm.add(tm.sqr(x), tm.sqr(y))
    return [tm.true_div(tm.mul(gz, x), denom), tm.true_div(tm.mul(gz, tm.neg(y)), denom)]


def _cast_rule(inputs, out, gz):
    (x,) = inputs
    if dtypes.is_discrete(x.dtype) or dtypes.is_discrete(out.dtype):
        return [None]
    return [tm.cast(gz, x.dtype)]


def _scalar_rule_for(sop: ps.ScalarOp) -> ScalarRule | None:
    if isinstance(sop, ps.Cast):
        return _cast_rule
    return SCALAR_RULES.get(sop.name)


@register_grad(Elemwise)
def elemwise_grad(node: Apply, out_grads: list) -> list:
    """Scalar rule, then sum each input's gradient over its broadcast dims."""
    (gz,) = out_grads
    sop = node.op.scalar_op
    rule = _scalar_rule_for(sop)
    if rule is None:
        return [NotImplementedGrad(f"no gradient rule for the scalar op {sop.name!r}")] \
            * len(node.inputs)
    out = node.outputs[0]
    if dtypes.is_discrete(out.dtype) and not isinstance(sop, ps.Cast):
        return [None] * len(node.inputs)
    raw = rule(node.inputs, out, gz)
    result: list[Any] = []
    for i, (x, g) in enumerate(zip(node.inputs, raw)):
        if g is None or isinstance(g, NotImplementedGrad) or dtypes.is_discrete(x.dtype):
            result.append(g)
            continue
        others = [v for j, v in enumerate(node.inputs) if j != i]
        same = tuple(d for d in range(out.ndim) if all(v.type.shape[d] == 1 for v in others))
        result.append(sum_to(g, x, same))
    return result


def _elemwise_connections(node: Apply) -> list[bool]:
    if node.op.scalar_op.name == "second":
        return [False, True]  # second(a, b) copies b; a's values are never read
    return [True] * len(node.inputs)


register_connection(Elemwise, _elemwise_connections)


@register_grad(DimShuffle)
def dimshuffle_grad(node: Apply, out_grads: list) -> list:
    """Undo the shuffle: sum over inserted dims, transpose back, re-insert dropped dims."""
    (gz,) = out_grads
    (x,) = node.inputs
    order = node.op.new_order
    inserted = tuple(j for j, d in enumerate(order) if d == "x")
    if inserted:
        if all(gz.type.shape[j] == 1 for j in inserted):
            from tensordsl.tensor import basic as tb

            gz = tb.dimshuffle(gz, [j for j in range(gz.ndim) if j not in inserted])
        else:
            gz = tm.sum(gz, axis=inserted)
    kept = [d for d in order if d != "x"]  # gz's dims, in terms of x's dims
    pattern = [kept.index(d) if d in kept else "x" for d in range(x.ndim)]
    from tensordsl.tensor import basic as tb

    return [tb.dimshuffle(gz, pattern)]
