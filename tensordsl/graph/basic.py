"""The graph IR: Variables, Constants, Apply nodes and Ops.

A graph is a DAG: each Variable is produced by at most one Apply node (its `owner`,
with `index` its position among the node's outputs); an Apply node applies an Op to
input Variables. Ops are data: they compare and hash by their parameters (`__props__`),
so two identical nodes can be merged; they say what they compute (a numpy `perform`),
never how a backend renders it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from tensordsl.config import config
from tensordsl.graph.test_value import (
    Scratchpad,
    compute_test_values,
    get_test_value,
    repr_with_test_value,
)
from tensordsl.graph.type import TensorType

_ids = itertools.count()


class Variable:
    """A symbolic value of a given type, optionally the output of an Apply node."""

    __slots__ = ("type", "owner", "index", "name", "tag", "auto_name", "__weakref__")

    def __init__(self, type: TensorType, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None) -> None:
        if not isinstance(type, TensorType):
            raise TypeError(f"Variable type must be a TensorType, got {type!r}")
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag: dict[str, Any] = Scratchpad(self)  # x.tag.test_value works (Theano)
        self.auto_name = f"_{next(_ids)}"  # stable id for printing

    def clone(self) -> Variable:
        """A new ownerless variable with the same type and name."""
        new = type(self)(self.type, name=self.name)
        new.tag.update(self.tag)
        return new

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            outs = self.owner.outputs
            suffix = f".{self.index}" if len(outs) > 1 else ""
            return f"{self.owner.op}.out{suffix}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        """str(self); with `config.print_test_value` on, the test value on the next line
        (Theano 1.0)."""
        return repr_with_test_value(self)

    def __repr_test_value__(self) -> str:
        """Theano's hook: the printable form of this variable's test value."""
        return repr(get_test_value(self))

    @property
    def dtype(self) -> str:
        """The dtype of the values this variable holds."""
        return self.type.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.type.ndim

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        """Per dim, whether its static size is 1."""
        return self.type.broadcastable

    @property
    def static_shape(self) -> tuple[int | None, ...]:
        """Static size per dim (None where unknown)."""
        return self.type.shape


class Constant(Variable):
    """A Variable with a fixed value (`data`, a read-only ndarray)."""

    __slots__ = ("data", "_key")

    def __init__(self, type: TensorType, data: Any, name: str | None = None) -> None:
        super().__init__(type, name=name)
        array = np.array(data, dtype=type.dtype)  # a private copy the user cannot mutate
        array.setflags(write=False)
        self.data = array
        self._key: tuple | None = None

    def clone(self) -> Constant:
        """Constants are immutable: clone shares the data."""
        return type(self)(self.type, self.data, name=self.name)

    def signature(self) -> tuple:
        """A hashable key: equal keys mean equal constants (used by merge)."""
        if self._key is None:
            self._key = (self.type, self.data.shape, self.data.tobytes())
        return self._key

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.data.size <= 6:
            return np.array2string(self.data, separator=", ") if self.data.ndim else \
                repr(self.data.item())
        return f"Constant{{{self.type}}}"


class Apply:
    """One application of an Op to input Variables, producing output Variables."""

    __slots__ = ("op", "inputs", "outputs", "tag")

    def __init__(self, op: Op, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.tag: dict[str, Any] = {}
        for i, inp in enumerate(self.inputs):
            if not isinstance(inp, Variable):
                raise TypeError(f"{op}: input {i} must be a Variable, got {type(inp).__name__}")
        for i, out in enumerate(self.outputs):
            out.owner = self
            out.index = i

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    @property
    def out(self) -> Variable:
        """The single output (for one-output nodes)."""
        (output,) = self.outputs
        return output

    def clone_with_new_inputs(self, inputs: Sequence[Variable]) -> Apply:
        """Re-apply this node's op to new inputs (types are re-inferred by make_node)."""
        node = self.op.make_node(*inputs)
        node.tag = dict(self.tag)
        return node


class Op:
    """Base class of operations. Subclasses list their parameters in `__props__`.

    Subclasses implement:
      make_node(*inputs) -> Apply   (check and convert inputs, infer output types)
      perform(node, inputs) -> list (the numpy reference, one ndarray per output)
      infer_shape(node, input_shapes) -> list of shape tuples (symbolic scalars)
    Gradients live in `tensordsl.gradient` in a table keyed by Op class, so that
    adding differentiation needs no edit here.
    """

    __props__: tuple[str, ...] = ()
    # {output index: [input indices]} when an output overwrites (destroys) inputs.
    destroy_map: dict[int, list[int]] = {}
    # {output index: [input indices]} when an output is a view of an input.
    view_map: dict[int, list[int]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Theano-style perform(node, inputs, output_storage): wrapped (graph/op_compat.py)
        perform = cls.__dict__.get("perform")
        if perform is not None and not getattr(perform, "theano_style", False):
            from tensordsl.graph.op_compat import adapt_perform, storage_style

            n_args = storage_style(perform)
            if n_args:
                cls.perform = adapt_perform(perform, n_args)  # type: ignore[method-assign]

    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._props() == other._props()  # type: ignore

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        if not self.__props__:
            return type(self).__name__
        params = ", ".join(_fmt_prop(getattr(self, p)) for p in self.__props__)
        return f"{type(self).__name__}{{{params}}}"

    __repr__ = __str__

    def make_node(self, *inputs: Any) -> Apply:
        """Build the Apply node for these inputs (ops that declare Theano's `itypes` and
        `otypes` get Theano's default: inputs checked against itypes)."""
        itypes, otypes = getattr(self, "itypes", None), getattr(self, "otypes", None)
        if itypes is None or otypes is None:
            raise NotImplementedError(f"{type(self).__name__}.make_node")
        from tensordsl.graph.op_compat import make_node_from_types

        return make_node_from_types(self, itypes, otypes, inputs)

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Compute the outputs with numpy (the reference semantics)."""
        raise NotImplementedError(f"{type(self).__name__}.perform")

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        """Symbolic output shapes from symbolic input shapes."""
        raise NotImplementedError(f"{type(self).__name__}.infer_shape")

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        # keywords go to make_node, as Theano's Op.__call__ passes them
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":  # Theano's test values (graph/test_value.py)
            compute_test_values(node)
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)


def _fmt_prop(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt_prop(v) for v in value) + ("," if len(value) == 1 else "") \
            + ")"
    return str(value)


def ancestors(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """All variables the outputs depend on (outputs included), stopping at blockers."""
    seen: set[int] = set()
    blocked = {id(b) for b in blockers}
    order: list[Variable] = []
    stack = list(outputs)
    while stack:
        var = stack.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        order.append(var)
        if var.owner is not None and id(var) not in blocked:
            stack.extend(var.owner.inputs)
    return order


def graph_inputs(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()
                 ) -> list[Variable]:
    """The ownerless (or blocked) variables the outputs depend on, constants included."""
    blocked = {id(b) for b in blockers}
    return [v for v in ancestors(outputs, blockers) if v.owner is None or id(v) in blocked]


def toposort(outputs: Sequence[Variable], blockers: Iterable[Variable] = ()) -> list[Apply]:
    """Apply nodes between blockers and outputs, each after the nodes it depends on."""
    blocked = {id(b) for b in blockers}
    visited: set[int] = set()
    order: list[Apply] = []

    def owner_of(var: Variable) -> Apply | None:
        return None if id(var) in blocked else var.owner

    for out in outputs:
        root = owner_of(out)
        if root is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack: list[tuple[Apply, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                parent = owner_of(node.inputs[i])
                if parent is not None and id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def clone_graph(outputs: Sequence[Variable], replace: dict[Variable, Variable] | None = None,
                blockers: Iterable[Variable] = ()) -> dict[Variable, Variable]:
    """Copy the graph of `outputs`; returns {old variable: new variable}.

    Ownerless inputs are kept as they are (shared variables and inputs keep identity)
    unless `replace` maps them. `replace` substitutes whole subgraphs (givens).
    """
    memo: dict[Variable, Variable] = dict(replace or {})
    roots = list(outputs) + [v for v in memo.values()]
    blocked = list(blockers) + list(memo)
    for node in toposort(roots, blocked):
        if all(out in memo for out in node.outputs):
            continue
        new_inputs = [memo.get(inp, inp) for inp in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            new_node = Apply(node.op, new_inputs, [o.clone() for o in node.outputs])
        else:
            new_node = node.clone_with_new_inputs(new_inputs)
        new_node.tag = dict(node.tag)
        for old, new in zip(node.outputs, new_node.outputs):
            if new.name is None:
                new.name = old.name
            memo[old] = new
    return memo
