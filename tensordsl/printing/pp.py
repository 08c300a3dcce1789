"""`pp`: a graph as readable infix text, e.g. `((a + b) * c)`.

Binary operators with an infix spelling (`ScalarOp.symbol`) print fully parenthesised;
other elementwise functions print as calls (`exp(x)`); reductions, dot, indexing and
dimshuffles print as the tensor API spells them. Broadcasting dimshuffles that Elemwise
inserts implicitly are not shown. A large subexpression used more than once is printed
once as a numbered temporary (`_t1 = ...`), so the text stays linear in the graph size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tensordsl.graph.basic import Apply, Variable, toposort
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.blas import Dot
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.fused import FusedElemwise
from tensordsl.ops.reduce import Argmax, Reduce
from tensordsl.ops.scalar import Cast, ScalarOp
from tensordsl.ops.shape import Alloc, ARange, Join, MakeVector, Reshape, Shape
from tensordsl.ops.subtensor import IncSubtensor, Subtensor
from tensordsl.printing._graph import GraphView, as_graph_view, inner_graphs, is_leaf

REDUCE_NAMES = {"add": "sum", "mul": "prod", "maximum": "max", "minimum": "min",
                "and_": "all", "or_": "any"}
HOIST_CHARS = 200  # shared subexpressions longer than this become temporaries


def pp(obj: Any) -> str:
    """Readable infix text of a Variable (or of each output of a list/graph/Function)."""
    view = as_graph_view(obj, "pp")
    printer = _Printer(view)
    texts = printer.run()
    body = texts[0] if len(texts) == 1 else "\n".join(texts)
    if printer.temporaries:
        return "\n".join(printer.temporaries) + "\n" + body
    return body


def leaf_text(var: Variable) -> str:
    """A leaf's text: its name, else its repr (a constant's value, or its type)."""
    return var.name if var.name is not None else str(var)


class _Printer:
    """Computes the text of every variable bottom-up (no recursion, so deep graphs work)."""

    def __init__(self, view: GraphView, temporaries: list[str] | None = None) -> None:
        self.view = view
        self.texts: dict[Variable, str] = {}
        self.temporaries: list[str] = [] if temporaries is None else temporaries
        self.uses: dict[Variable, int] = {}

    def run(self) -> list[str]:
        nodes = toposort(self.view.outputs, blockers=self.view.blockers)
        for node in nodes:
            for inp in node.inputs:
                self.uses[inp] = self.uses.get(inp, 0) + 1
        for out in self.view.outputs:
            self.uses[out] = self.uses.get(out, 0) + 1
        for node in nodes:
            args = [self.text(v) for v in node.inputs]
            for out, text in zip(node.outputs, format_node(node, args, self.temporaries)):
                self.texts[out] = self._maybe_hoist(out, text)
        return [self.text(o) for o in self.view.outputs]

    def text(self, var: Variable) -> str:
        if var in self.texts:
            return self.texts[var]
        if not is_leaf(var, self.view):  # an unprinted node output (should not happen)
            raise AssertionError(f"pp: {var!r} was not computed")
        self.texts[var] = leaf_text(var)
        return self.texts[var]

    def _maybe_hoist(self, var: Variable, text: str) -> str:
        if self.uses.get(var, 0) > 1 and len(text) > HOIST_CHARS:
            name = f"_t{len(self.temporaries) + 1}"
            self.temporaries.append(f"{name} = {text}")
            return name
        return text


# -- per-op formatting ------------------------------------------------------------------
def format_scalar(sop: ScalarOp, args: Sequence[str]) -> str:
    """An elementwise operation applied to argument texts."""
    if isinstance(sop, Cast):
        return f"cast({args[0]}, {sop.dtype})"
    if sop.symbol is not None and len(args) == 2:
        return f"({args[0]} {sop.symbol} {args[1]})"
    if sop.symbol is not None and len(args) == 1:
        return f"({sop.symbol}{args[0]})"
    return f"{sop.name}({', '.join(args)})"


def _fmt_axis(axis: Sequence[int]) -> str:
    return str(axis[0]) if len(axis) == 1 else str(tuple(axis))


def _elemwise(node: Apply, args: list[str]) -> list[str]:
    return [format_scalar(node.op.scalar_op, args)]


def _dimshuffle(node: Apply, args: list[str]) -> list[str]:
    order = node.op.new_order
    ndim = node.inputs[0].ndim
    n_new = len(order) - ndim
    if n_new >= 0 and order == ("x",) * n_new + tuple(range(ndim)):
        return [args[0]]  # implicit broadcasting (left padding)
    if ndim >= 2 and order == tuple(reversed(range(ndim))):
        return [f"{args[0]}.T"]
    pattern = ", ".join(repr(d) if d == "x" else str(d) for d in order)
    return [f"{args[0]}.dimshuffle({pattern})"]


def _reduce(node: Apply, args: list[str]) -> list[str]:
    op = node.op
    name = REDUCE_NAMES.get(op.kind, op.kind)
    extra = ""
    if tuple(op.axis) != tuple(range(node.inputs[0].ndim)):
        extra += f", axis={_fmt_axis(op.axis)}"
    if op.dtype is not None:
        extra += f", dtype={op.dtype}"
    return [f"{name}({args[0]}{extra})"]


def _argmax(node: Apply, args: list[str]) -> list[str]:
    axis = "" if node.op.axis is None else f", axis={node.op.axis}"
    return [f"arg{node.op.kind}({args[0]}{axis})"]


def index_text(spec: tuple, index_args: Sequence[str]) -> str:
    """`[1:n, i]`-style text for a Subtensor spec and its index argument texts."""
    it = iter(index_args)
    parts = []
    for entry in spec:
        if entry in ("i", "a"):
            parts.append(next(it))
            continue
        bounds = [next(it) if present else "" for present in entry[1:]]
        text = f"{bounds[0]}:{bounds[1]}"
        if bounds[2]:
            text += f":{bounds[2]}"
        parts.append(text)
    return "[" + ", ".join(parts) + "]"


def _subtensor(node: Apply, args: list[str]) -> list[str]:
    return [f"{args[0]}{index_text(node.op.spec, args[1:])}"]


def _inc_subtensor(node: Apply, args: list[str]) -> list[str]:
    name = "set_subtensor" if node.op.set_instead_of_inc else "inc_subtensor"
    return [f"{name}({args[0]}{index_text(node.op.spec, args[2:])}, {args[1]})"]


def _join(node: Apply, args: list[str]) -> list[str]:
    return [f"concatenate([{', '.join(args)}], axis={node.op.axis})"]


def _fused(node: Apply, args: list[str]) -> list[str]:
    kernel = node.op.kernel
    values: list[str] = []
    for snode in kernel.body:
        if snode.kind == "load":
            values.append(args[snode.input])
        elif snode.kind == "const":
            values.append(repr(snode.value.item() if hasattr(snode.value, "item")
                               else snode.value))
        else:
            values.append(format_scalar(snode.op, [values[a] for a in snode.args]))
    texts = [values[o] for o in kernel.outputs]
    if kernel.is_reduction:
        axis = _fmt_axis(kernel.reduce_axes)
        texts = [f"{REDUCE_NAMES.get(kind, kind)}({t}, axis={axis})"
                 for t, kind in zip(texts, kernel.reduce_kinds)]
    return texts


def inner_texts(fgraph: FunctionGraph, outer_args: Sequence[str],
                temporaries: list[str]) -> list[str]:
    """Texts of an inner graph's outputs, its inputs shown as the outer argument texts."""
    printer = _Printer(GraphView(list(fgraph.outputs), list(fgraph.inputs)), temporaries)
    printer.texts.update(zip(fgraph.inputs, outer_args))  # the rest print as leaves
    return printer.run()


def _ifelse(node: Apply, args: list[str], temporaries: list[str]) -> list[str]:
    then_texts = inner_texts(node.op.then_graph, args[1:], temporaries)
    else_texts = inner_texts(node.op.else_graph, args[1:], temporaries)
    return [f"ifelse({args[0]}, {a}, {b})" for a, b in zip(then_texts, else_texts)]


def _call(name: str) -> Callable[[Apply, list[str]], list[str]]:
    def fmt(node: Apply, args: list[str]) -> list[str]:
        return [f"{name}({', '.join(args)})"]

    return fmt


FORMATTERS: dict[type, Callable[[Apply, list[str]], list[str]]] = {
    Elemwise: _elemwise,
    DimShuffle: _dimshuffle,
    Reduce: _reduce,
    Argmax: _argmax,
    Dot: _call("dot"),
    Subtensor: _subtensor,
    IncSubtensor: _inc_subtensor,
    Shape: _call("shape"),
    Reshape: _call("reshape"),
    MakeVector: lambda node, args: [f"[{', '.join(args)}]"],
    Join: _join,
    Alloc: _call("alloc"),
    ARange: _call("arange"),
    FusedElemwise: _fused,
}


def format_node(node: Apply, args: list[str], temporaries: list[str] | None = None
                ) -> list[str]:
    """The text of each output of `node`, given its input texts."""
    formatter = FORMATTERS.get(type(node.op))
    if formatter is not None:
        return formatter(node, args)
    temps = [] if temporaries is None else temporaries
    if type(node.op).__name__ == "IfElse" and hasattr(node.op, "then_graph"):
        return _ifelse(node, args, temps)
    name = str(node.op)
    inner = inner_graphs(node.op)
    if inner:  # e.g. scan: show each step's expression in the inner graph's own names
        shown = [f"{label}: {', '.join(inner_texts(g, [], temps))}" for label, g in inner]
        name += "[" + "; ".join(shown) + "]"
    call = f"{name}({', '.join(args)})"
    if len(node.outputs) == 1:
        return [call]
    return [f"{call}.out{i}" for i in range(len(node.outputs))]
