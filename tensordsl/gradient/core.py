"""Reverse-mode differentiation over the graph: `grad`.

Gradient rules are data kept here, apart from the ops: `GRAD_RULES` maps an Op class
to `rule(node, output_grads) -> input_grads`, where an output grad is a Variable or
None (no gradient reached that output) and an input grad is a Variable, None (zero),
or a `NotImplementedGrad` (raised only if that input's gradient is actually needed).
`CONNECTIONS` optionally says which inputs an op's outputs depend on at all (Shape
reads only the shape of its input, so the input is disconnected), which is what
`disconnected_inputs` checks.

The result is an ordinary graph, so `grad` of a gradient works.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.graph.basic import Apply, Variable, toposort
from tensordsl.graph.convert import as_tensor_variable, constant

GradRule = Callable[[Apply, list], list]
GRAD_RULES: dict[type, GradRule] = {}
CONNECTIONS: dict[type, Callable[[Apply], list[bool]]] = {}


class NotImplementedGrad:
    """Marks a gradient that no rule can express; raised only when it is needed."""

    def __init__(self, message: str) -> None:
        self.message = message


class DisconnectedInputError(ValueError):
    """grad() was asked for a variable the cost does not depend on."""


def register_grad(*op_classes: type) -> Callable[[GradRule], GradRule]:
    """Decorator: `rule` computes input gradients for nodes of `op_classes`."""
    def deco(rule: GradRule) -> GradRule:
        for cls in op_classes:
            GRAD_RULES[cls] = rule
        return rule
    return deco


def register_connection(op_class: type, pattern: Callable[[Apply], list[bool]]) -> None:
    """Declare which inputs of `op_class` nodes the outputs depend on."""
    CONNECTIONS[op_class] = pattern


def connected_inputs(node: Apply) -> list[bool]:
    """Per input of `node`, whether a gradient can flow to it."""
    pattern = CONNECTIONS.get(type(node.op))
    if pattern is None:  # a Theano-style op's own connection_pattern (theano_ops.py)
        from tensordsl.gradient.theano_ops import method_connection

        flags = method_connection(node)
        return flags if flags is not None else [True] * len(node.inputs)
    return list(pattern(node))


def _structure(wrt: Any) -> tuple[list[Variable], str]:
    if isinstance(wrt, (list, tuple)):
        return [_check_wrt(w, i) for i, w in enumerate(wrt)], type(wrt).__name__
    return [_check_wrt(wrt, 0)], "single"


def _check_wrt(w: Any, i: int) -> Variable:
    if not isinstance(w, Variable):
        raise TypeError(f"grad: wrt[{i}] must be a symbolic variable, got {type(w).__name__} "
                        f"{w!r:.60}")
    return w


def describe(var: Variable) -> str:
    """A readable name for error messages: the name, or the expression that made it."""
    if var.name is not None or var.owner is None:
        return repr(var)
    text = repr(var.owner)
    return text if len(text) <= 120 else text[:115] + "(...)"


def _float_dtype(var: Variable) -> str:
    return var.dtype if dtypes.is_float(var.dtype) else config.floatX


def _seed_grads(cost: Any, known_grads: Mapping | None) -> dict[Variable, list[Variable]]:
    seeds: dict[Variable, list[Variable]] = {}
    if cost is not None:
        if cost.ndim != 0:
            raise TypeError(f"grad: the cost {describe(cost)} must be a scalar (0-d), but it is a "
                            f"{cost.ndim}-d tensor ({cost.type}); sum it, or use "
                            f"tensordsl.gradient.jacobian for a vector")
        seeds[cost] = [constant(1.0, dtype=_float_dtype(cost))]
    for var, g in (known_grads or {}).items():
        if not isinstance(var, Variable):
            raise TypeError(f"grad: known_grads keys must be variables, got {var!r:.60}")
        g = as_tensor_variable(g)
        if g.ndim != var.ndim:
            raise ValueError(f"grad: known_grads[{var!r}] has {g.ndim} dims but {var!r} has "
                             f"{var.ndim}")
        seeds.setdefault(var, []).append(_fit(g, var))
    return seeds


def _fit(g: Variable, var: Variable) -> Variable:
    """`g` in the float dtype of `var` (gradients keep their variable's dtype)."""
    from tensordsl.tensor import math as tm

    want = _float_dtype(var)
    return g if g.dtype == want else tm.cast(g, want)


def _sum_terms(terms: list[Variable]) -> Variable:
    from tensordsl.tensor import math as tm

    total = terms[0]
    for t in terms[1:]:
        total = tm.add(total, t)  # left to right, as Theano's n-ary add
    return total


def _relevant(roots: list[Variable], wrt: list[Variable], blocked: list[Variable]
              ) -> tuple[set[int], list[Apply]]:
    """Ids of variables on a path wrt -> roots, and the nodes between them."""
    nodes = toposort(roots, blockers=blocked)
    reaches_wrt = {id(w) for w in wrt}
    for node in nodes:
        flags = connected_inputs(node)
        if any(f and id(v) in reaches_wrt for f, v in zip(flags, node.inputs)):
            reaches_wrt.update(id(o) for o in node.outputs)
    needed = {id(r) for r in roots if id(r) in reaches_wrt}
    for node in reversed(nodes):
        if not any(id(o) in needed for o in node.outputs):
            continue
        for f, v in zip(connected_inputs(node), node.inputs):
            if f and id(v) in reaches_wrt:
                needed.add(id(v))
    return needed, nodes


def grad(cost: Any, wrt: Any, consider_constant: Sequence[Variable] | None = None,
         disconnected_inputs: str = "raise", known_grads: Mapping | None = None,
         return_disconnected: str = "zero", null_gradients: str = "raise") -> Any:
    """Symbolic gradient of the scalar `cost` with respect to `wrt` (Theano's grad).

    `wrt` is one variable or a list/tuple of them; the result has the same structure.
    `consider_constant` variables stop the gradient. `known_grads` ({variable: its
    gradient}) seeds extra (or, with cost=None, the only) gradients. A `wrt` the cost
    does not depend on raises DisconnectedInputError under disconnected_inputs='raise',
    warns under 'warn'; its gradient is zeros (return_disconnected='zero') or None.
    Gradients through integer-valued variables are zero, as in Theano.
    `null_gradients` is accepted for Theano compatibility (undefined gradients always
    raise here).
    """
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"grad: disconnected_inputs must be 'raise', 'warn' or 'ignore', got "
                         f"{disconnected_inputs!r}")
    if return_disconnected not in ("zero", "None", "Disconnected"):
        raise ValueError(f"grad: return_disconnected must be 'zero', 'None' or 'Disconnected', "
                         f"got {return_disconnected!r}")
    if cost is None and not known_grads:
        raise ValueError("grad: give a cost, or known_grads when cost is None")
    if cost is not None:
        cost = as_tensor_variable(cost)
    wrt_list, kind = _structure(wrt)
    seeds = _seed_grads(cost, known_grads)
    blocked = [as_tensor_variable(v) for v in (consider_constant or [])]
    grads = _backward(seeds, wrt_list, blocked)
    results = [_result(w, grads, disconnected_inputs, return_disconnected, i, len(wrt_list))
               for i, w in enumerate(wrt_list)]
    if kind == "single":
        return results[0]
    return tuple(results) if kind == "tuple" else results


def _backward(seeds: dict[Variable, list[Variable]], wrt: list[Variable],
              blocked: list[Variable]) -> dict[Variable, list[Variable] | None]:
    """Accumulated gradient terms per variable (None: connected but zero)."""
    roots = list(seeds)
    needed, nodes = _relevant(roots, wrt, blocked)
    acc: dict[Variable, list[Variable] | None] = {}
    for var, terms in seeds.items():
        if id(var) in needed:
            acc[var] = list(terms)
    for node in reversed(nodes):
        if not any(id(o) in needed for o in node.outputs):
            continue
        out_grads = [_total(acc, o) for o in node.outputs]
        if all(g is None for g in out_grads):
            for v, f in zip(node.inputs, connected_inputs(node)):
                if f and id(v) in needed:
                    acc.setdefault(v, None)
            continue
        _apply_rule(node, out_grads, needed, acc)
    for w in wrt:
        if id(w) in needed:
            acc.setdefault(w, None)
    return acc


def _total(acc: dict[Variable, list[Variable] | None], var: Variable) -> Variable | None:
    """The summed gradient of `var` (kept, so a later use reuses the same sum)."""
    terms = acc.get(var)
    if not terms:
        return None
    if len(terms) > 1:
        acc[var] = terms = [_sum_terms(terms)]
    return terms[0]


def _apply_rule(node: Apply, out_grads: list, needed: set[int],
                acc: dict[Variable, list[Variable] | None]) -> None:
    rule = GRAD_RULES.get(type(node.op))
    if rule is None:  # a Theano-style op's own grad / L_op (theano_ops.py)
        from tensordsl.gradient.theano_ops import method_rule

        rule = method_rule(node.op)
    flags = connected_inputs(node)
    wanted = [f and id(v) in needed for f, v in zip(flags, node.inputs)]
    if not any(wanted):
        return
    if rule is None:
        raise NotImplementedError(f"grad: no gradient rule for {node.op} (op class "
                                  f"{type(node.op).__name__}), needed to differentiate "
                                  f"through {node.outputs[0]!r}")
    in_grads = rule(node, out_grads)
    for var, g, want in zip(node.inputs, in_grads, wanted):
        if not want:
            continue
        if isinstance(g, NotImplementedGrad):
            raise NotImplementedError(f"grad: {g.message} (input {var!r} of {node.op})")
        terms = acc.get(var)
        if g is None or dtypes.is_discrete(var.dtype):
            acc.setdefault(var, None)  # connected, but the gradient is zero
            continue
        g = _fit(as_tensor_variable(g), var)
        if terms is None:
            acc[var] = [g]
        else:
            terms.append(g)


def _result(w: Variable, acc: dict, policy: str, return_disconnected: str, i: int, n: int
            ) -> Variable | None:
    from tensordsl.tensor import math as tm

    if w in acc:
        terms = acc[w]
        if terms:
            return _sum_terms(terms) if dtypes.is_float(w.dtype) else tm.zeros_like(
                w, dtype=config.floatX)
        return tm.zeros_like(w, dtype=_float_dtype(w))
    where = f"wrt[{i}]" if n > 1 else "wrt"
    message = (f"grad: the cost does not depend on {where} = {describe(w)} ({w.type}): it is "
               f"not part of the computational graph of the cost, or only through "
               f"non-differentiable operations. Pass disconnected_inputs='ignore' (or 'warn') "
               f"to get zeros.")
    if policy == "raise":
        raise DisconnectedInputError(message)
    if policy == "warn":
        warnings.warn(message, stacklevel=4)
    if return_disconnected == "zero":
        return tm.zeros_like(w, dtype=_float_dtype(w))
    return None

