"""Declarative rewrite rules: a pattern over the graph and a replacement builder.

Patterns (in the spirit of tinygrad's UPat / PyTensor's PatternNodeRewriter):

* ``"x"``          captures any variable as ``x`` (the same name must match the same var);
* ``C(v)``         a constant, seen through broadcasting DimShuffles, whose every entry
                   equals ``v`` and whose every dim has size 1 (so it cannot widen a
                   result's shape);
* ``E("add", p, q)`` an Elemwise node of that scalar op (both argument orders are tried
                   for commutative ops);
* ``R("add", p)``  a Reduce node of that kind (its axis is captured as ``axis``);
* ``DS(p)``        a DimShuffle node (its order is captured as ``order``).

A rule is (name, tags, pattern, builder); the builder receives the captures and the
matched node and returns the replacement, or None to decline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.rewrite.engine import LocalRewrite, add_rewrite


@dataclass(frozen=True)
class C:
    """A scalar-valued constant pattern."""

    value: Any


@dataclass(frozen=True)
class E:
    """An Elemwise pattern: scalar op name and argument patterns."""

    name: str
    args: tuple

    def __init__(self, name: str, *args: Any) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "args", args)


@dataclass(frozen=True)
class R:
    """A Reduce pattern (kind, input pattern); binds `axis` and `reduce_dtype`."""

    kind: str
    arg: Any


@dataclass(frozen=True)
class DS:
    """A DimShuffle pattern; binds `order`."""

    arg: Any


def constant_value(var: Variable) -> np.ndarray | None:
    """The data of a constant, looking through DimShuffles of constants; else None."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    return var.data if isinstance(var, Constant) else None


def scalar_constant(var: Variable) -> Any:
    """The single value of a size-1 constant (any rank, all dims size 1), else None."""
    if any(s != 1 for s in var.type.shape):
        return None
    data = constant_value(var)
    if data is None or data.size != 1:
        return None
    return data.reshape(()).item()


def match(pattern: Any, var: Variable, env: dict[str, Any]) -> bool:
    """Match `var` against `pattern`, extending the capture dict `env`."""
    if isinstance(pattern, str):
        if pattern in env:
            return env[pattern] is var
        env[pattern] = var
        return True
    if isinstance(pattern, C):
        value = scalar_constant(var)
        return value is not None and value == pattern.value
    node = var.owner
    if node is None:
        return False
    if isinstance(pattern, E):
        return _match_elemwise(pattern, node, env)
    if isinstance(pattern, R):
        if not isinstance(node.op, Reduce) or node.op.kind != pattern.kind:
            return False
        env["axis"] = node.op.axis
        return match(pattern.arg, node.inputs[0], env)
    if isinstance(pattern, DS):
        if not isinstance(node.op, DimShuffle):
            return False
        env["order"] = node.op.new_order
        return match(pattern.arg, node.inputs[0], env)
    raise TypeError(f"unknown pattern {pattern!r}")


def _match_elemwise(pattern: E, node: Apply, env: dict[str, Any]) -> bool:
    op = node.op
    if not isinstance(op, Elemwise) or op.scalar_op.name != pattern.name or op.inplace_pattern:
        return False
    orders = [node.inputs]
    if op.scalar_op.commutative and len(node.inputs) == 2:
        orders.append(node.inputs[::-1])
    for inputs in orders:
        trial = dict(env)
        if all(match(p, v, trial) for p, v in zip(pattern.args, inputs)):
            env.clear()
            env.update(trial)
            return True
    return False


Builder = Callable[..., Variable | None]


def rule(name: str, tags: tuple[str, ...], pattern: Any, build: Builder) -> None:
    """Register a pattern rule: `build(node=..., **captures)` gives the replacement."""

    def fn(fgraph: Any, node: Apply) -> list[Variable] | None:
        if len(node.outputs) != 1:
            return None
        env: dict[str, Any] = {}
        if not match(pattern, node.outputs[0], env):
            return None
        new = build(node=node, **env)
        return None if new is None else [new]

    tracks = _tracks(pattern)
    add_rewrite(LocalRewrite(name, fn, frozenset(tags), tracks))


def _tracks(pattern: Any) -> tuple[type, ...]:
    if isinstance(pattern, E):
        return (Elemwise,)
    if isinstance(pattern, R):
        return (Reduce,)
    if isinstance(pattern, DS):
        return (DimShuffle,)
    return ()
