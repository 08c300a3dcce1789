"""Numerical stabilisation: rewrite formulas that overflow or cancel into stable forms.

1/(1+exp(-x)) -> sigmoid(x), log(1+x) -> log1p(x), exp(x)-1 -> expm1(x),
log1p(exp(x)) -> softplus(x),
log(sigmoid(x)) -> -softplus(-x) and log(1-sigmoid(x)) -> -softplus(x) (these two make
the binary cross-entropy of sigmoid(logits) stable), softmax and log-softmax with the
max subtracted, log(sum(exp(x))) -> logsumexp with the max subtracted. Floats only.
"""

from __future__ import annotations

from typing import Any

from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.rewrite.engine import register
from tensordsl.rewrite.patterns import DS, C, E, R, match, rule, scalar_constant
from tensordsl.rewrite.util import const_like, is_float, op, out_of, same_float_dtype
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import dimshuffle

STAB = ("stabilize", "fast_run")


RULES = [
    # Theano's local_sigm: 1/(1+exp(-x)) is recognised as sigmoid(x), so the two rules
    # below make the cross-entropy of a hand-written logistic stable too
    ("sigmoid_form", E("true_div", C(1), E("add", C(1), E("exp", E("neg", "x")))),
     lambda x: op("sigmoid", x)),
    ("log1p", E("log", E("add", C(1), "x")), lambda x: op("log1p", x)),
    ("expm1", E("sub", E("exp", "x"), C(1)), lambda x: op("expm1", x)),
    ("log_sigmoid", E("log", E("sigmoid", "x")),
     lambda x: op("neg", op("softplus", op("neg", x)))),
    ("log1m_sigmoid", E("log", E("sub", C(1), E("sigmoid", "x"))),
     lambda x: op("neg", op("softplus", x))),
    ("log1p_exp_to_softplus", E("log1p", E("exp", "x")), lambda x: op("softplus", x)),
]
for _name, _pattern, _build in RULES:
    rule(_name, STAB, _pattern, same_float_dtype(_build))


# -- max subtraction -------------------------------------------------------------------------
def _keepdims_order(ndim: int, axis: tuple[int, ...]) -> tuple:
    it = iter(range(ndim - len(axis)))
    return tuple("x" if d in axis else next(it) for d in range(ndim))


def _is_shifted(x: Variable) -> bool:
    """x is already `y - max(y)` (built here, or by nnet.softmax/log_softmax)."""
    if x.tag.get("max_shifted"):
        return True
    plain = E("sub", "y", DS(R("maximum", "y")))
    guarded = E("sub", "y", E("switch", E("isinf", "m"), "zero", "m"))  # T.logsumexp's
    env: dict[str, Any] = {}
    if match(plain, x, env):
        return True
    env = {}
    if not match(guarded, x, env) or not match(DS(R("maximum", "y")), env["m"], dict(env)):
        return False
    return scalar_constant(env["zero"]) == 0 or match(E("second", "m", C(0)), env["zero"],
                                                      dict(env))


def _shift(x: Variable, axis: tuple[int, ...]) -> Variable:
    """x - max(x, axis) (keepdims), with infinite maxima replaced by 0 as logsumexp does."""
    m = dimshuffle(Reduce("maximum", axis)(x), _keepdims_order(x.ndim, axis))
    m = tm.switch(op("isinf", m), const_like(0, m), m)
    shifted = op("sub", x, m)
    shifted.tag["max_shifted"] = True
    return shifted


def _softmax_parts(var: Variable) -> tuple[Variable, tuple[int, ...]] | None:
    """If var is exp(x) / sum(exp(x), axis, keepdims), return (x, axis)."""
    env: dict[str, Any] = {}
    if not match(E("true_div", E("exp", "x"), DS(R("add", E("exp", "x")))), var, env):
        return None
    x, axis = env["x"], env["axis"]
    if env["order"] != _keepdims_order(x.ndim, axis) or not is_float(x) \
            or var.dtype != x.dtype:
        return None
    return x, axis


@register(*STAB, tracks=(Elemwise,))
def stable_softmax(fgraph: FunctionGraph, node: Apply) -> Any:
    """exp(x)/sum(exp(x)) -> exp(x - max x)/sum(exp(x - max x))."""
    parts = _softmax_parts(out_of(node))
    if parts is None or _is_shifted(parts[0]):
        return None
    x, axis = parts
    e = op("exp", _shift(x, axis))
    total = dimshuffle(Reduce("add", axis)(e), _keepdims_order(x.ndim, axis))
    return [op("true_div", e, total)]


def _logsumexp(x: Variable, axis: tuple[int, ...]) -> Variable:
    """log(sum(exp(x), axis, keepdims)) computed with the max subtracted."""
    shifted = _shift(x, axis)
    m = shifted.owner.inputs[1]
    total = Reduce("add", axis)(op("exp", shifted))
    return op("add", op("log", dimshuffle(total, _keepdims_order(x.ndim, axis))), m)


@register(*STAB, tracks=(Elemwise,))
def stable_log_softmax(fgraph: FunctionGraph, node: Apply) -> Any:
    """log(exp(x)/sum(exp(x))) -> (x - max x) - log(sum(exp(x - max x)))."""
    if getattr(node.op.scalar_op, "name", None) != "log":
        return None
    parts = _softmax_parts(node.inputs[0])
    if parts is None:
        return None
    x, axis = parts
    shifted = x if _is_shifted(x) else _shift(x, axis)
    total = Reduce("add", axis)(op("exp", shifted))
    # (x - m) - log(sum): subtracting the small log last keeps float32 accurate
    return [op("sub", shifted, op("log", dimshuffle(total, _keepdims_order(x.ndim, axis))))]


@register(*STAB, tracks=(Elemwise,))
def stable_logsumexp(fgraph: FunctionGraph, node: Apply) -> Any:
    """log(sum(exp(x), axis)) (keepdims or not) -> logsumexp with the max subtracted."""
    if getattr(node.op.scalar_op, "name", None) != "log":
        return None
    arg = node.inputs[0]
    keep = None
    if arg.owner is not None and isinstance(arg.owner.op, DimShuffle):
        keep, arg = arg.owner.op.new_order, arg.owner.inputs[0]
    env: dict[str, Any] = {}
    if not match(R("add", E("exp", "x")), arg, env):
        return None
    x, axis = env["x"], env["axis"]
    if not is_float(x) or x.dtype != out_of(node).dtype or _is_shifted(x) \
            or arg.dtype != x.dtype:
        return None
    kept = _logsumexp(x, axis)
    order = _keepdims_order(x.ndim, axis)
    dropped = dimshuffle(kept, [d for d in range(x.ndim) if d not in axis])
    if keep is None:
        return [dropped]
    if keep == order:
        return [kept]
    return [dimshuffle(dropped, keep)]
