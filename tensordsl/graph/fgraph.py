"""FunctionGraph: a graph with fixed inputs and outputs that rewrites can edit in place.

It tracks, for every variable, its clients (the nodes, or output slots, that use it),
so `replace(old, new)` reroutes every use of `old` to `new`, imports the nodes that
`new` brings and prunes the nodes nothing uses any more, in time proportional to the
change rather than the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tensordsl.graph.basic import Apply, Constant, Variable, clone_graph, toposort

OUTPUT = "output"  # the client "node" of a graph output slot


class FunctionGraph:
    """Inputs, outputs and the Apply nodes between them, with client tracking."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 clone: bool = True) -> None:
        inputs = list(inputs)
        outputs = list(outputs)
        self.memo: dict[Variable, Variable] = {}
        if clone:
            self.memo = clone_graph(outputs, blockers=inputs)
            outputs = [self.memo.get(o, o) for o in outputs]
        self.inputs = inputs
        self.outputs = outputs
        self._input_ids = {id(v) for v in inputs}
        self.apply_nodes: set[Apply] = set()
        self.clients: dict[Variable, list[tuple[Any, int]]] = {}
        self.listeners: list[Any] = []
        for var in inputs:
            self.clients.setdefault(var, [])
        for i, out in enumerate(outputs):
            self._import_var(out)
            self.clients[out].append((OUTPUT, i))
        self._check_inputs()

    # -- construction -------------------------------------------------------------------
    def _check_inputs(self) -> None:
        for var in self.clients:
            if var.owner is None and id(var) not in self._input_ids \
                    and not isinstance(var, Constant) and not getattr(var, "is_shared", False):
                raise ValueError(
                    f"the graph depends on {var!r} ({var.type}), which is not among the "
                    f"inputs; add it to the inputs or give it a value with givens")

    def is_input(self, var: Variable) -> bool:
        """True if `var` is one of the graph's declared inputs."""
        return id(var) in self._input_ids

    def _import_var(self, var: Variable) -> None:
        if var in self.clients:
            return
        self.clients[var] = []
        if var.owner is not None and not self.is_input(var):
            self._import_node(var.owner)

    def _import_node(self, root: Apply) -> None:
        for node in self._new_nodes(root):
            if node in self.apply_nodes:
                continue
            self.apply_nodes.add(node)
            for out in node.outputs:
                self.clients.setdefault(out, [])
            for i, inp in enumerate(node.inputs):
                self.clients.setdefault(inp, []).append((node, i))
            for listener in self.listeners:
                listener.on_import(self, node)

    def _new_nodes(self, root: Apply) -> list[Apply]:
        """`root` and its ancestors not yet in the graph, producers first. The search
        stops at variables the graph already has, so importing costs what it adds."""
        order: list[Apply] = []
        visited = {root}
        stack: list[tuple[Apply, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                var = node.inputs[i]
                parent = var.owner
                if parent is not None and parent not in visited and var not in self.clients \
                        and parent not in self.apply_nodes and not self.is_input(var):
                    visited.add(parent)
                    stack.append((parent, 0))
            else:
                stack.pop()
                order.append(node)
        return order

    # -- editing ------------------------------------------------------------------------
    def replace(self, old: Variable, new: Variable, reason: str | None = None) -> None:
        """Make every client of `old` use `new` instead."""
        if old is new:
            return
        if old.type.dtype != new.type.dtype or old.type.ndim != new.type.ndim:
            raise TypeError(f"replace ({reason}): {old!r} of type {old.type} cannot become "
                            f"{new!r} of type {new.type}")
        if old not in self.clients:
            return
        self._import_var(new)
        for client, i in list(self.clients[old]):
            if client == OUTPUT:
                self.outputs[i] = new
            else:
                client.inputs[i] = new
                for listener in self.listeners:
                    listener.on_change_input(self, client, i, old, new, reason)
            self.clients[new].append((client, i))
        self.clients[old] = []
        self._prune(old)

    def replace_all(self, pairs: Sequence[tuple[Variable, Variable]], reason: str | None = None
                    ) -> None:
        """Apply several replacements in order."""
        for old, new in pairs:
            self.replace(old, new, reason)

    def _prune(self, var: Variable) -> None:
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or node not in self.apply_nodes or self.is_input(v):
                continue
            if any(self.clients.get(out) for out in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for out in node.outputs:
                self.clients.pop(out, None)
            for i, inp in enumerate(node.inputs):
                users = self.clients.get(inp)
                if users is not None:
                    users.remove((node, i))
                    if not users:
                        stack.append(inp)
            for listener in self.listeners:
                listener.on_prune(self, node)

    # -- queries ------------------------------------------------------------------------
    def toposort(self) -> list[Apply]:
        """The graph's nodes in dependency order."""
        return toposort(self.outputs, blockers=self.inputs)

    @property
    def variables(self) -> set[Variable]:
        """Every variable in the graph."""
        return set(self.clients)

    def constants(self) -> list[Constant]:
        """The constants used by the graph."""
        return [v for v in self.clients if isinstance(v, Constant)]

    def clone(self) -> tuple[FunctionGraph, dict[Variable, Variable]]:
        """A deep copy of the graph (nodes and intermediate variables) and the memo."""
        new = FunctionGraph(self.inputs, self.outputs, clone=True)
        return new, new.memo

    def check(self) -> None:
        """Validate internal consistency (used by tests and debug mode)."""
        nodes = set(self.toposort())
        if nodes != self.apply_nodes:
            raise AssertionError(f"apply_nodes out of sync: {len(nodes)} reachable vs "
                                 f"{len(self.apply_nodes)} tracked")
        for node in nodes:
            for i, inp in enumerate(node.inputs):
                if (node, i) not in self.clients.get(inp, []):
                    raise AssertionError(f"missing client ({node}, {i}) of {inp!r}")

    def add_listener(self, listener: Any) -> Callable[[], None]:
        """Register an object with on_import/on_prune/on_change_input; returns a remover."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def __repr__(self) -> str:
        return f"FunctionGraph({self.inputs} -> {self.outputs}, {len(self.apply_nodes)} nodes)"
