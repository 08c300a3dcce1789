"""`debugprint`: the graph as an indented tree, in Theano's layout.

    Elemwise{mul} [id A] ''
     |Elemwise{add} [id B] ''
     | |a [id C]
     | |b [id D]
     |c [id E]

Each Apply node (or leaf variable) gets an id the first time it is printed; a subtree
reached again is printed as one line with the same id and no children. For a
FunctionGraph or compiled Function each node line ends with its position in the
execution order. Inner graphs (scan, ifelse) follow, under "Inner graphs:".
"""

from __future__ import annotations

import sys
from typing import IO, Any

from tensordsl.graph.basic import Variable, toposort
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.printing._graph import (
    GraphView,
    as_graph_view,
    char_id,
    inner_graphs,
    is_leaf,
    type_str,
)

ID_STYLES = ("id", "int", "CHAR", "")


def debugprint(obj: Any, file: IO[str] | str | None = None, print_type: bool = False,
               ids: str = "id", depth: int = -1, stop_on_name: bool = False) -> Any:
    """Print `obj` (Variable, list, FunctionGraph or Function) as an indented tree.

    `file`: a stream (default stdout), or 'str' to get the text back. `ids`: 'id'
    (`[id A]`), 'CHAR' (`A`), 'int' (`[id 0]`) or '' (none). `depth` limits the depth
    (-1: unlimited); `stop_on_name` stops at named intermediate variables.
    Returns the text when file='str', else the stream written to.
    """
    if ids not in ID_STYLES:
        raise ValueError(f"debugprint: ids must be one of {ID_STYLES}, got {ids!r}")
    if not isinstance(depth, int):
        raise TypeError(f"debugprint: depth must be an int, got {type(depth).__name__}")
    view = as_graph_view(obj, "debugprint")
    printer = _TreePrinter(view, print_type, ids, depth, stop_on_name)
    lines = printer.print_all()
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text
    stream = sys.stdout if file is None else file
    if isinstance(stream, str):
        raise TypeError(f"debugprint: file must be a stream, None or 'str', got {stream!r}")
    stream.write(text)
    return stream


class _TreePrinter:
    def __init__(self, view: GraphView, print_type: bool, ids: str, depth: int,
                 stop_on_name: bool) -> None:
        self.view = view
        self.print_type = print_type
        self.ids = ids
        self.depth = depth
        self.stop_on_name = stop_on_name
        self.id_of: dict[int, str] = {}  # id(node or leaf) -> printed id
        self.done: set[int] = set()  # nodes whose children were printed
        self.order: dict[int, int] = {}
        if view.fgraph is not None:
            self.order = {id(n): i for i, n in enumerate(view.fgraph.toposort())}
        self.inner: list[tuple[Variable, str, FunctionGraph]] = []

    def print_all(self) -> list[str]:
        lines: list[str] = []
        for out in self.view.outputs:
            self._tree(out, lines)
        seen_inner: set[tuple[int, str]] = set()
        index = 0
        if self.inner:
            lines.append("")
            lines.append("Inner graphs:")
        while index < len(self.inner):  # inner graphs may contain inner graphs
            owner_var, label, fgraph = self.inner[index]
            index += 1
            if (id(owner_var), label) in seen_inner:
                continue
            seen_inner.add((id(owner_var), label))
            lines.append("")
            lines.append(self._line(owner_var, "", as_ref=True) + f" ({label})")
            inner_view = GraphView(list(fgraph.outputs), list(fgraph.inputs))
            sub = _TreePrinter(inner_view, self.print_type, self.ids, self.depth,
                               self.stop_on_name)
            sub.id_of, sub.inner = self.id_of, self.inner
            for out in fgraph.outputs:
                sub._tree(out, lines, prefix=" >", child_prefix=" >")
        return lines

    def _key(self, var: Variable) -> int:
        return id(var) if is_leaf(var, self.view) else id(var.owner)

    def _ident(self, var: Variable) -> str:
        key = self._key(var)
        if key not in self.id_of:
            n = len(self.id_of)
            if self.ids == "id":
                self.id_of[key] = f"[id {char_id(n)}]"
            elif self.ids == "CHAR":
                self.id_of[key] = char_id(n)
            else:
                self.id_of[key] = f"[id {n}]" if self.ids == "int" else ""
        return self.id_of[key]

    def _line(self, var: Variable, prefix: str, as_ref: bool = False) -> str:
        ident = self._ident(var)
        parts = [prefix]
        if is_leaf(var, self.view):
            parts.append(var.name if var.name is not None else str(var))
        else:
            node = var.owner
            parts.append(str(node.op))
            if len(node.outputs) > 1:
                parts.append(f".{var.index}")
        if ident:
            parts.append(f" {ident}")
        if self.print_type:
            parts.append(f" {type_str(var)}")
        if not is_leaf(var, self.view):
            parts.append(f" '{var.name or ''}'")
            if id(var.owner) in self.order and not as_ref:
                parts.append(f"   {self.order[id(var.owner)]}")
        return "".join(parts)

    def _tree(self, root: Variable, lines: list[str], prefix: str = "",
              child_prefix: str = "") -> None:
        # An explicit stack instead of recursion: graphs may be thousands of nodes deep.
        stack: list[tuple[Variable, str, str, int]] = [(root, prefix, child_prefix, 0)]
        while stack:
            var, pre, child_pre, level = stack.pop()
            lines.append(self._line(var, pre))
            if is_leaf(var, self.view):
                continue
            node = var.owner
            if id(node) in self.done:
                continue
            if self.depth != -1 and level >= self.depth:
                continue
            if self.stop_on_name and var.name is not None and level > 0:
                continue
            self.done.add(id(node))
            for label, fgraph in inner_graphs(node.op):
                self.inner.append((var, label, fgraph))
            children = []
            for i, inp in enumerate(node.inputs):
                last = i == len(node.inputs) - 1
                children.append((inp, child_pre + " |",
                                 child_pre + ("  " if last else " |"), level + 1))
            stack.extend(reversed(children))


def node_count(obj: Any) -> int:
    """The number of Apply nodes that printing `obj` would show."""
    view = as_graph_view(obj, "node_count")
    return len(toposort(view.outputs, blockers=view.blockers))
