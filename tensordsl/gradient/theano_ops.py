"""Gradients of Theano-style Op subclasses, from their own methods.

tensordsl's ops get gradient rules from a table keyed by op class (core.py). An op
written for Theano instead defines `grad(inputs, output_grads)` or `L_op(inputs,
outputs, output_grads)`, and maybe `connection_pattern(node)`; core.py falls back to
them here. As in Theano, every output gradient is passed (zeros for outputs the cost
does not reach), and an input's gradient may be `DisconnectedType()()` (none),
`grad_undefined(...)` or `grad_not_implemented(...)` (an error if it is needed).
"""

from __future__ import annotations

from typing import Any

from tensordsl.graph.basic import Apply, Op

__all__ = ["DisconnectedType", "NullType", "disconnected_type", "grad_not_implemented",
           "grad_undefined", "method_connection", "method_rule"]


class _Marker:
    """What DisconnectedType()() / NullType(...)() return: stands for a gradient that is
    not a tensor (tensordsl's variables are all tensors)."""

    def __init__(self, type_: Any) -> None:
        self.type = type_

    def __repr__(self) -> str:
        return f"<{self.type}>"


class DisconnectedType:
    """Theano's type of a disconnected gradient: `DisconnectedType()()` as an input's
    gradient says no gradient flows to it."""

    def __call__(self, name: str | None = None) -> _Marker:
        return _Marker(self)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __str__(self) -> str:
        return "DisconnectedType"


class NullType:
    """Theano's type of an undefined or unimplemented gradient (`why_null` says why)."""

    def __init__(self, why_null: str = "(no explanation given)") -> None:
        self.why_null = why_null

    def __call__(self, name: str | None = None) -> _Marker:
        return _Marker(self)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.why_null == other.why_null  # type: ignore

    def __hash__(self) -> int:
        return hash((type(self), self.why_null))

    def __str__(self) -> str:
        return f"NullType({self.why_null})"


def disconnected_type() -> _Marker:
    """Theano's shorthand for DisconnectedType()()."""
    return DisconnectedType()()


def grad_undefined(op: Any, x_pos: int, x: Any, comment: str = "") -> _Marker:
    """The gradient of `op`'s input `x_pos` is mathematically undefined."""
    return NullType(f"This variable is Null because the grad method for input {x_pos} "
                    f"({x}) of the {op} op is mathematically undefined. {comment}")()


def grad_not_implemented(op: Any, x_pos: int, x: Any, comment: str = "") -> _Marker:
    """The gradient of `op`'s input `x_pos` is not implemented."""
    return NullType(f"This variable is Null because the grad method for input {x_pos} "
                    f"({x}) of the {op} op is not implemented. {comment}")()


def _defines(op: Op, name: str) -> bool:
    """Whether the op's class (not tensordsl's Op base) defines method `name`."""
    return any(name in klass.__dict__ for klass in type(op).__mro__ if klass is not Op)


def method_connection(node: Apply) -> list[bool] | None:
    """Per input, whether it is connected, from Theano's connection_pattern (a list per
    input of a flag per output), or None when the op has none."""
    if not _defines(node.op, "connection_pattern"):
        return None
    pattern = node.op.connection_pattern(node)
    return [bool(any(row)) for row in pattern]


def method_rule(op: Op) -> Any:
    """A gradient rule calling the op's own L_op / grad, or None when it has neither."""
    if _defines(op, "L_op") or _defines(op, "grad"):
        return _rule
    return None


def _rule(node: Apply, out_grads: list) -> list:
    from tensordsl.gradient.core import NotImplementedGrad
    from tensordsl.tensor import math as tm

    op = node.op
    grads = [g if g is not None else tm.zeros_like(o) for g, o in zip(out_grads, node.outputs)]
    if _defines(op, "L_op"):
        result = op.L_op(list(node.inputs), list(node.outputs), grads)
    else:
        result = op.grad(list(node.inputs), grads)
    result = list(result)
    if len(result) != len(node.inputs):
        raise ValueError(f"{op}.grad returned {len(result)} gradients for "
                         f"{len(node.inputs)} inputs")
    converted: list[Any] = []
    for g in result:
        if g is None or (isinstance(g, _Marker) and isinstance(g.type, DisconnectedType)):
            converted.append(None)
        elif isinstance(g, _Marker):
            converted.append(NotImplementedGrad(g.type.why_null))
        else:
            converted.append(g)
    return converted
