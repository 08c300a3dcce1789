"""What every printer needs: normalising what the user passed and naming graph objects.

Printers accept a Variable, a list of Variables, a FunctionGraph or a compiled Function
(whose rewritten graph, `f.maker.fgraph`, is what runs and so what is shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.fgraph import FunctionGraph


@dataclass
class GraphView:
    """The outputs to print, the graph inputs (if known) and where they came from."""

    outputs: list[Variable]
    inputs: list[Variable] | None = None  # declared inputs (FunctionGraph / Function)
    fgraph: FunctionGraph | None = None
    n_outputs: int | None = None  # outputs past this index are updates (Function only)
    update_targets: list[Variable] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.input_ids = {id(v) for v in self.inputs or []}

    @property
    def blockers(self) -> list[Variable]:
        """Variables at which graph traversal stops (a FunctionGraph's inputs)."""
        return list(self.inputs or [])


def as_graph_view(obj: Any, who: str) -> GraphView:
    """Normalise a Variable, list of Variables, FunctionGraph or Function for printing."""
    from tensordsl.runtime.function import Function

    if isinstance(obj, Function):
        fgraph = obj.maker.fgraph
        return GraphView(list(fgraph.outputs), list(fgraph.inputs), fgraph, obj.n_outputs,
                         list(obj.update_targets))
    if isinstance(obj, FunctionGraph):
        return GraphView(list(obj.outputs), list(obj.inputs), obj)
    if isinstance(obj, Variable):
        return GraphView([obj])
    if isinstance(obj, Apply):
        return GraphView(list(obj.outputs))
    if isinstance(obj, (list, tuple)) and all(isinstance(v, Variable) for v in obj):
        return GraphView(list(obj))
    raise TypeError(f"{who}: expected a Variable, a list of Variables, a FunctionGraph or a "
                    f"compiled Function, got {type(obj).__name__} {_short(obj)}")


def _short(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:55] + "(...)"


def char_id(number: int) -> str:
    """Theano's letter ids: 0 -> 'A', 25 -> 'Z', 26 -> 'BA', 27 -> 'BB', ..."""
    base = 26
    digits = []
    while True:
        number, rem = divmod(number, base)
        digits.append(chr(ord("A") + rem))
        if number == 0:
            break
    return "".join(reversed(digits))


def role(var: Variable, view: GraphView) -> str:
    """'constant', 'shared', 'input', or 'intermediate' (outputs are judged separately)."""
    if isinstance(var, Constant):
        return "constant"
    if getattr(var, "is_shared", False) and var.owner is None:
        return "shared"
    if var.owner is None or id(var) in view.input_ids:
        return "input"
    return "intermediate"


def is_leaf(var: Variable, view: GraphView) -> bool:
    """True when traversal stops at `var` (no owner, or a declared input)."""
    return var.owner is None or id(var) in view.input_ids


def type_str(var: Variable) -> str:
    """The variable's type in angle brackets, as Theano prints it."""
    return f"<{var.type}>"


def inner_graphs(op: Any) -> list[tuple[str, FunctionGraph]]:
    """Inner graphs of an op (ifelse's branches, scan's step), found by duck typing.

    Every FunctionGraph among the op's attributes is one, labelled by the attribute
    name, in definition order: [(label, fgraph)].
    """
    attrs = getattr(op, "__dict__", {})
    return [(name, value) for name, value in attrs.items() if isinstance(value, FunctionGraph)]
