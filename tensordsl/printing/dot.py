"""`pydotprint`: the graph as a picture (png, svg, pdf) or as dot text.

Apply nodes are ellipses labelled with their op; variables are boxes: inputs green,
shared variables magenta, constants light green, outputs blue. With `compact`, unnamed
intermediate variables are not drawn: the edge between the two nodes carries their type.
The graph is built with pydot and rendered by `tensordsl.printing.render`.
"""

from __future__ import annotations

import os
import re
from typing import Any

from tensordsl.graph.basic import Apply, Variable, toposort
from tensordsl.printing import render
from tensordsl.printing._graph import (
    GraphView,
    as_graph_view,
    char_id,
    inner_graphs,
    is_leaf,
    role,
)
from tensordsl.printing.pdf import png_to_pdf

FORMATS = ("png", "svg", "pdf", "dot", "raw")
TEXT_FORMATS = ("dot", "raw")  # the graph's own dot text; no renderer needed
ROLE_COLORS = {"input": "limegreen", "shared": "magenta", "constant": "SpringGreen",
               "output": "dodgerblue", "intermediate": "lightgrey"}
OP_COLORS = {"Elemwise": "#FFAABB", "FusedElemwise": "#FFAABB", "Subtensor": "#FFAAFF",
             "IncSubtensor": "#FFAAFF", "Alloc": "#FFAA22", "Shape": "brown",
             "Dot": "#AAAAFF", "Scan": "yellow", "IfElse": "magenta"}
MAX_JUPYTER_NODES = 500  # bigger graphs are not drawn automatically in notebooks


def _pydot() -> Any:
    try:
        import pydot
    except ImportError:
        raise ImportError('pydotprint needs the pydot package: pip install "tensordsl[viz]" '
                          "(or pip install pydot graphviz-pure)") from None
    return pydot


def quote(text: str) -> str:
    """A dot double-quoted string showing `text` literally (escapes neutralised)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 3, 1)] + "..."


class _DotBuilder:
    """Adds the nodes and edges of one graph to a pydot graph."""

    def __init__(self, view: GraphView, compact: bool, with_ids: bool, high_contrast: bool,
                 color_codes: dict[str, str], max_label_size: int, simple: bool) -> None:
        self.pydot = _pydot()
        self.view = view
        self.compact = compact
        self.with_ids = with_ids
        self.high_contrast = high_contrast
        self.color_codes = color_codes
        self.limit = max_label_size
        self.simple = simple
        self.graph = self.pydot.Dot("G", graph_type="digraph")
        self.names: dict[int, str] = {}
        self.outputs = {id(o): i for i, o in enumerate(view.outputs)}

    def _name(self, obj: Any, prefix: str) -> str:
        key = id(obj)
        if key not in self.names:
            self.names[key] = f"{prefix}{len(self.names)}"
        return self.names[key]

    def _style(self, color: str) -> dict[str, str]:
        if self.high_contrast:
            return {"style": "filled", "fillcolor": quote(color)}
        return {"color": quote(color)}

    def var_label(self, var: Variable) -> str:
        kind = role(var, self.view)
        if kind == "constant":
            text = f"val={var}" if self.simple else f"val={var} {var.type}"
        elif var.name is not None:
            text = var.name if self.simple else f"{var.name} {var.type}"
        else:
            text = str(var.type)
        index = self.outputs.get(id(var))
        if self.view.n_outputs is not None and index is not None \
                and index >= self.view.n_outputs:
            target = self.view.update_targets[index - self.view.n_outputs]
            text += f"\nupdate of {target.name or target.auto_name}"
        return _clip(text, self.limit)

    def shown(self, var: Variable) -> bool:
        """Whether `var` gets its own box (compact mode hides unnamed intermediates)."""
        return (is_leaf(var, self.view) or id(var) in self.outputs or not self.compact
                or var.name is not None)

    def add_var(self, var: Variable) -> str:
        name = self._name(var, "v")
        if not self.graph.get_node(name):
            kind = "output" if id(var) in self.outputs else role(var, self.view)
            self.graph.add_node(self.pydot.Node(name, label=quote(self.var_label(var)),
                                                shape="box", **self._style(ROLE_COLORS[kind])))
        return name

    def add_apply(self, node: Apply, position: int) -> str:
        name = self._name(node, "n")
        label = str(node.op)
        if self.with_ids:
            label = f"{label} id={char_id(position)}"
        color = self.color_codes.get(type(node.op).__name__, "white")
        self.graph.add_node(self.pydot.Node(name, label=quote(_clip(label, self.limit)),
                                            shape="ellipse", **self._style(color)))
        return name

    def edge(self, src: str, dst: str, label: str) -> None:
        attrs = {"label": quote(label)} if label else {}
        self.graph.add_edge(self.pydot.Edge(src, dst, **attrs))

    def build(self) -> Any:
        nodes = toposort(self.view.outputs, blockers=self.view.blockers)
        apply_names = {id(n): self.add_apply(n, i) for i, n in enumerate(nodes)}
        for node in nodes:
            dst = apply_names[id(node)]
            for i, inp in enumerate(node.inputs):
                prefix = f"{i} " if len(node.inputs) > 1 else ""
                if self.shown(inp):
                    self.edge(self.add_var(inp), dst, prefix.strip())
                else:
                    self.edge(apply_names[id(inp.owner)], dst, f"{prefix}{inp.type}")
            for j, out in enumerate(node.outputs):
                if self.shown(out):
                    label = str(j) if len(node.outputs) > 1 else ""
                    self.edge(dst, self.add_var(out), label)
        for out in self.view.outputs:  # outputs that are inputs (no node made them)
            if is_leaf(out, self.view):
                self.add_var(out)
        return self.graph


def build_dot(obj: Any, compact: bool = True, with_ids: bool = False,
              high_contrast: bool = True, colorCodes: dict[str, str] | None = None,
              max_label_size: int = 70, var_with_name_simple: bool = False) -> Any:
    """The pydot graph of a Function, FunctionGraph, Variable or list of Variables."""
    view = as_graph_view(obj, "pydotprint")
    colors = dict(OP_COLORS)
    colors.update(colorCodes or {})
    if not isinstance(max_label_size, int) or max_label_size < 4:
        raise ValueError(f"pydotprint: max_label_size must be an int >= 4, got "
                         f"{max_label_size!r}")
    return _DotBuilder(view, compact, with_ids, high_contrast, colors, max_label_size,
                       var_with_name_simple).build()


def _output_path(outfile: Any, fmt: str) -> str:
    path = os.fspath(outfile)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    extension = "dot" if fmt in TEXT_FORMATS else fmt
    if not path.endswith("." + extension):
        path += "." + extension
    return path


def render_bytes(dot_text: str, fmt: str) -> bytes:
    """Render dot text to png/svg/pdf bytes, or raise GraphvizNotFoundError."""
    found = render.find_renderer()
    if found is None:
        raise render.GraphvizNotFoundError(
            f"no Graphviz renderer found ({render.searched_places()}); "
            f"{render.INSTALL_ADVICE}")
    kind, executable = found
    if fmt in render.NATIVE_FORMATS.get(kind, ()):
        return render.run_renderer(executable, dot_text, fmt)
    if fmt == "pdf":  # e.g. graphviz-pure: draw a PNG and wrap it in a PDF page
        return png_to_pdf(render.run_renderer(executable, dot_text, "png"))
    raise ValueError(f"pydotprint: the renderer {executable} cannot write {fmt}")


def pydotprint(fct: Any, outfile: str | os.PathLike | None = None, compact: bool = True,
               format: str = "png", with_ids: bool = False, high_contrast: bool = True,
               colorCodes: dict[str, str] | None = None, max_label_size: int = 70,
               var_with_name_simple: bool = False, print_output_file: bool = True,
               return_image: bool = False, scan_graphs: bool = False) -> Any:
    """Draw the graph of a Function (its rewritten graph), FunctionGraph or Variable(s).

    Writes `outfile` (default 'graph.<format>'; the extension is added when missing) as
    png, svg, pdf, or dot text ('dot' or 'raw'). With `return_image` nothing is written
    and the picture is returned (bytes; str for svg and dot). Rendering uses system
    Graphviz `dot` or pip's graphviz-pure; with neither, the dot text is written next to
    `outfile` (as .dot) and GraphvizNotFoundError says how to install a renderer.
    `scan_graphs` also draws each inner graph (scan step, ifelse branch) into its own
    file, named `<outfile>_<Op>_<n>_<label>.<format>`.
    """
    if format not in FORMATS:
        raise ValueError(f"pydotprint: format must be one of {', '.join(FORMATS)}, got "
                         f"{format!r}")
    graph = build_dot(fct, compact, with_ids, high_contrast, colorCodes, max_label_size,
                      var_with_name_simple)
    dot_text = graph.to_string()
    if format in TEXT_FORMATS:
        data: bytes = dot_text.encode("utf-8")
    elif return_image:
        data = render_bytes(dot_text, format)
    else:
        path = _output_path(outfile if outfile is not None else "graph", format)
        try:
            data = render_bytes(dot_text, format)
        except render.GraphvizNotFoundError as err:
            dot_path = _output_path(os.path.splitext(path)[0], "dot")
            with open(dot_path, "w", encoding="utf-8") as fh:
                fh.write(dot_text)
            raise render.GraphvizNotFoundError(
                f"pydotprint could not draw {path}: {err}. The graph was written as dot "
                f"text to {dot_path}") from None
    if return_image:
        return data.decode("utf-8") if format in ("svg", *TEXT_FORMATS) else data
    path = _output_path(outfile if outfile is not None else "graph", format)
    with open(path, "wb") as fh:
        fh.write(data)
    if print_output_file:
        print("The output file is available at", path)
    if scan_graphs:
        options = dict(compact=compact, format=format, with_ids=with_ids,
                       high_contrast=high_contrast, colorCodes=colorCodes,
                       max_label_size=max_label_size, var_with_name_simple=var_with_name_simple,
                       print_output_file=print_output_file, scan_graphs=True)
        stem = path[:-len(os.path.splitext(path)[1]) or None]
        for n, (op_name, label, fgraph) in enumerate(_inner_graphs_of(fct)):
            pydotprint(fgraph, outfile=f"{stem}_{op_name}_{n}_{label}", **options)
    return None


def _inner_graphs_of(obj: Any) -> list[tuple[str, str, Any]]:
    """(op class name, attribute, inner FunctionGraph) for each op holding inner graphs."""
    view = as_graph_view(obj, "pydotprint")
    found = []
    for node in toposort(view.outputs, blockers=view.blockers):
        op_name = re.sub(r"\W", "_", type(node.op).__name__)
        found += [(op_name, re.sub(r"\W", "_", label), fgraph)
                  for label, fgraph in inner_graphs(node.op)]
    return found


def repr_svg(obj: Any) -> str | None:
    """SVG text for Jupyter's `_repr_svg_`, or None (no pydot/renderer, or too big)."""
    try:
        view = as_graph_view(obj, "_repr_svg_")
        if len(toposort(view.outputs, blockers=view.blockers)) > MAX_JUPYTER_NODES:
            return None
        _pydot()
        if render.find_renderer() is None:
            return None
        return pydotprint(obj, format="svg", return_image=True, var_with_name_simple=True)
    except (ImportError, render.RenderError, OSError):
        return None
