"""`tensordsl dump --standalone`: a .c/.h pair with no Python and no tensordsl inside.

The ABI (also written at the top of the header):

    typedef struct { ...; char *data; int nd; long long *dims; long long *strides;
                     ...; int flags; } td_array;     // the fields of numpy's array head
    int NAME(const td_array *in0, ..., td_array *out0, ...);
    void NAME_release(td_array *out);

Inputs are described by the caller (data, nd, dims, strides in bytes, flags bit 0 set
when C-contiguous); the remaining fields may be zero. `NAME` checks ranks and
broadcasting, allocates each output (malloc: data, dims and strides, C-contiguous) and
returns 0, or returns -1 (a rank) / -2 (shapes that do not broadcast) / -3 (out of
memory) and allocates nothing. `NAME_release` frees an output. Kernels are rendered
without OpenMP, so the unit compiles with a plain `cc -c` and links with `-lm`.

Only graphs whose every node is lowered are exported: elementwise kernels, reductions
and DimShuffle (a view: no copy); anything else (a matrix product, indexing, a node
the target runs through numpy) is a StandaloneError listing those nodes.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from tensordsl.errors import CompileError

_TYPEDEF = re.compile(r"/\* ndarray head:.*?\*/\ntypedef struct \{.*?\} td_array;\n", re.S)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class StandaloneError(CompileError):
    """The graph has nodes a standalone C unit cannot contain."""


def _dimshuffle_order(node: Any) -> tuple | None:
    op = node.op
    return tuple(op.new_order) if type(op).__name__ == "DimShuffle" else None


def plan(fgraph: Any) -> list[tuple[str, Any, Any]]:
    """[(kind, node, lowered)] for each node: 'kernel' or 'view'; StandaloneError when a
    node cannot be exported (all such nodes are listed)."""
    from tensordsl.kernel.lower import lower_node

    steps, bad = [], []
    for node in fgraph.toposort():
        if _dimshuffle_order(node) is not None:
            steps.append(("view", node, None))
            continue
        lowered = lower_node(node) if not hasattr(node.op, "c_step") else None
        if lowered is None:
            bad.append(f"{node.op} (runs on the host)")
            continue
        kernel = lowered[0]
        reduced = kernel.ndim - len(kernel.reduce_axes)
        if any(o.ndim != (reduced if kernel.reduce_axes else kernel.ndim)
               for o in node.outputs) or len(node.outputs) != len(kernel.outputs):
            bad.append(f"{node.op} (a reduction with keepdims-style outputs)")
            continue
        steps.append(("kernel", node, lowered))
    inputs = set(fgraph.inputs)
    for k, out in enumerate(fgraph.outputs):
        owner = out.owner
        if out in inputs or owner is None or _dimshuffle_order(owner) is not None:
            bad.append(f"output {k} ({out!r}) is an input, a constant or a view of one: "
                       f"return a computed value")
    if len(set(fgraph.outputs)) != len(fgraph.outputs):
        bad.append("the same value returned twice: return it once")
    if bad:
        raise StandaloneError("--standalone needs a graph whose every node is lowered to "
                              "C; these are not:\n  " + "\n  ".join(bad))
    return steps


def _literal(value: Any, dtype: str) -> str:
    if np.dtype(dtype).kind == "f":
        v = float(value)
        if not np.isfinite(v):
            return "(1.0/0.0)" if v > 0 else "(-1.0/0.0)" if v < 0 else "(0.0/0.0)"
        return float(v).hex()
    if np.dtype(dtype).kind == "b":
        return "1" if value else "0"
    return f"{int(value)}LL" if np.dtype(dtype).itemsize == 8 else str(int(value))


def render(fgraph: Any, name: str) -> tuple[str, str]:
    """(.c text, .h text) of `fgraph` as the function `name`."""
    from tensordsl.backends.c.lowering import c_type
    from tensordsl.backends.c.schedule import kernel_source
    from tensordsl.config import config

    if not _NAME.match(name) or name.startswith("td_"):
        raise StandaloneError(f"--standalone: {name!r} cannot name a C function (ASCII "
                              f"letters, digits and _, not starting with td_)")
    steps = plan(fgraph)
    units, typedef = [], None
    with config.change_flags(openmp=False):
        for i, (kind, _node, lowered) in enumerate(steps):
            if kind != "kernel":
                continue
            text = kernel_source(lowered[0], check=True, aliasing=False)
            match = _TYPEDEF.search(text)
            if match is None:
                raise CompileError("internal error: a kernel unit without the td_array head")
            typedef = typedef or match.group(0)
            text = text.replace(match.group(0), "").replace("td_kernel", f"{name}_k{i}")
            text = text.replace(f"void {name}_k{i}(", f"static void {name}_k{i}(")
            units.append(text)
    guard = f"{name.upper()}_H"
    ins, outs = fgraph.inputs, fgraph.outputs
    params = [f"const td_array *in{k}" for k in range(len(ins))] + \
             [f"td_array *out{k}" for k in range(len(outs))]
    proto = f"int {name}({', '.join(params)})"
    doc = [f"/* {name}: generated by `tensordsl dump --standalone` (no Python needed).",
           " *",
           *[f" *   in{k}: {v.type} ({v!r})" for k, v in enumerate(ins)],
           *[f" *   out{k}: {v.type}, allocated by {name}; free it with {name}_release"
             for k, v in enumerate(outs)],
           " *",
           " * Returns 0, or -1 (wrong rank), -2 (shapes do not broadcast), -3 (out of",
           " * memory); on error no output is allocated. dims/strides: numpy's (bytes).",
           " */"]
    header = "\n".join([f"#ifndef {guard}", f"#define {guard}", "",
                        (typedef or "").rstrip(), "", *doc, proto + ";",
                        f"void {name}_release(td_array *out);", "", f"#endif  /* {guard} */",
                        ""])
    body = _wrapper(fgraph, steps, name, proto, c_type, _literal)
    source = "\n".join([f"/* {name}: standalone C unit generated by tensordsl. */",
                        "#include <stdlib.h>", "#include <string.h>",
                        f'#include "{name}.h"', "", *units, body])
    return source, header


def _wrapper(fgraph: Any, steps: list, name: str, proto: str, c_type: Any,
             literal: Any) -> str:
    names: dict[Any, str] = {}
    lines = [proto, "{"]
    decl, free = [], []

    def var(v: Any) -> str:
        if v not in names:
            names[v] = f"v{len(names)}"
            n = names[v]
            decl.append(f"    td_array {n}; long long {n}_dims[{max(v.ndim, 1)}] = {{0}}, "
                        f"{n}_st[{max(v.ndim, 1)}] = {{0}};")
            decl.append(f"    memset(&{n}, 0, sizeof {n}); {n}.nd = {v.ndim}; "
                        f"{n}.dims = {n}_dims; {n}.strides = {n}_st;")
        return names[v]

    body = []
    for k, v in enumerate(fgraph.inputs):
        n = var(v)
        body.append(f"    if (in{k}->nd != {v.ndim}) {{ status = -1; goto done; }}")
        body.append(f"    {n}.data = in{k}->data; {n}.flags = in{k}->flags;")
        body.append(f"    for (int d = 0; d < {v.ndim}; d++) {{ {n}_dims[d] = in{k}->dims[d]; "
                    f"{n}_st[d] = in{k}->strides[d]; }}")
        for d, s in enumerate(v.type.shape):
            if s == 1:
                body.append(f"    if ({n}_dims[{d}] != 1) {{ status = -2; goto done; }}")
    consts = []
    outputs = list(fgraph.outputs)
    for kind, node, lowered in steps:
        for inp in node.inputs:
            if inp.owner is None and inp not in fgraph.inputs and inp not in names:
                n = var(inp)
                data = np.asarray(inp.data).reshape(-1)
                ct = c_type(inp.dtype)
                vals = ", ".join(literal(x, inp.dtype) for x in data) or "0"
                consts.append(f"static const {ct} {name}_c{len(consts)}[] = {{{vals}}};")
                body.append(f"    {n}.data = (char *){name}_c{len(consts) - 1}; "
                            f"{n}.flags = 1;")
                itemsize = np.dtype(inp.dtype).itemsize
                stride = itemsize
                for d in reversed(range(inp.ndim)):
                    body.append(f"    {n}_dims[{d}] = {inp.data.shape[d]}; "
                                f"{n}_st[{d}] = {stride};")
                    stride *= inp.data.shape[d]
        if kind == "view":
            src, dst = var(node.inputs[0]), var(node.outputs[0])
            body.append(f"    {dst}.data = {src}.data; {dst}.flags = 0;")
            for d, o in enumerate(node.op.new_order):
                if o == "x":
                    body.append(f"    {dst}_dims[{d}] = 1; {dst}_st[{d}] = 0;")
                else:
                    body.append(f"    {dst}_dims[{d}] = {src}_dims[{o}]; "
                                f"{dst}_st[{d}] = {src}_st[{o}];")
            continue
        kernel, loaded = lowered
        i = steps.index((kind, node, lowered))
        args = [var(node.inputs[j]) for j in loaded]
        body.append(f"    {{ long long shape[{max(kernel.ndim, 1)}];")
        body.append(f"      for (int d = 0; d < {kernel.ndim}; d++) {{ shape[d] = 1;")
        for a in args:
            body.append(f"        if ({a}_dims[d] != 1) {{ if (shape[d] != 1 && shape[d] != "
                        f"{a}_dims[d]) {{ status = -2; goto done; }} shape[d] = {a}_dims[d]; }}")
        body.append("      }")
        kept = [d for d in range(kernel.ndim) if d not in kernel.reduce_axes]
        for o, dtype in zip(node.outputs, kernel.output_dtypes):
            n = var(o)
            size = np.dtype(dtype).itemsize
            for d_out, d in enumerate(kept):
                body.append(f"      {n}_dims[{d_out}] = shape[{d}];")
            body.append(f"      {{ long long s = {size}; for (int d = {o.ndim} - 1; d >= 0; "
                        f"d--) {{ {n}_st[d] = s; s *= {n}_dims[d]; }}")
            body.append(f"        {n}.data = malloc(s ? (size_t)s : 1); {n}.flags = 1;")
            body.append(f"        if (!{n}.data) {{ status = -3; goto done; }} }}")
            if o not in outputs:
                free.append(n)
        call = ", ".join(f"&{a}" for a in args + [var(o) for o in node.outputs])
        body.append(f"      {name}_k{i}({call}); }}")
    out_names = [var(o) for o in outputs]
    tail = []
    for k, o in enumerate(outputs):
        n = out_names[k]
        tail.append(f"    out{k}->dims = malloc(sizeof(long long) * {max(o.ndim, 1)} * 2);")
        tail.append(f"    if (!out{k}->dims) {{ status = -3; goto done; }}")
        tail.append(f"    out{k}->strides = out{k}->dims + {max(o.ndim, 1)};")
        tail.append(f"    for (int d = 0; d < {o.ndim}; d++) {{ out{k}->dims[d] = {n}_dims[d]; "
                    f"out{k}->strides[d] = {n}_st[d]; }}")
    for k, o in enumerate(outputs):
        tail.append(f"    out{k}->nd = {o.ndim}; out{k}->data = {out_names[k]}.data; "
                    f"out{k}->flags = 1;")
    lines += decl + ["    int status = 0;"]
    lines += [f"    out{k}->data = NULL; out{k}->dims = NULL; out{k}->strides = NULL;"
              for k in range(len(outputs))]
    lines += [f"    {n}.data = NULL;" for n in dict.fromkeys(out_names + free)]
    lines += body + tail + ["done:"] + [f"    free({n}.data);" for n in free]
    lines += ["    if (status) {"] + [f"        free({n}.data);" for n in dict.fromkeys(out_names)]
    lines += [f"        free(out{k}->dims); out{k}->data = NULL; out{k}->dims = NULL;"
              for k in range(len(outputs))]
    lines += ["    }", "    return status;", "}", "",
              f"void {name}_release(td_array *out)", "{",
              "    free(out->data); free(out->dims);",
              "    out->data = NULL; out->dims = NULL; out->strides = NULL;", "}", ""]
    return "\n".join(consts + [""] + lines)
