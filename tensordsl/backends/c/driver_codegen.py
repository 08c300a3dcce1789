"""C text of a compiled function driver: a whole function graph in one unit, one entry.

The unit exports `td_driver(ptr, meta, blas, kernels)`:
  ptr      data pointers: the function's inputs, the graph's constants, the output
           arrays, the workspace, then the plan's int64 area (Shape values);
  meta     int64 layouts from `driver_plan` (dims, byte strides, flags, offsets per
           variable; BLAS modes per product; per output whether its source is contiguous);
  blas     (sgemm, dgemm) function pointers (`blas_ptrs`);
  kernels  the entries (`td_kernel`) of the kernels' own libraries, which the per-node
           schedule built and loaded already: this unit holds no kernel code, so it
           compiles in a fraction of a second and nothing is compiled twice.
Every variable is a `td_array` head (render.PRELUDE: the head of an ndarray, which is
what a kernel entry reads) whose dims and strides point into `meta`; the nodes run in
the graph's order: kernels through their entries, products through the `td_gemm_*`
wrappers of the scan loop, views as an offset from their source. A result that is an
output is computed straight into the caller's new array; any other output is copied
there at the end (`td_copy`). A product that may accumulate into a lent input buffer
(`DriverGraph.donations`, `DriverRunner.lend`) needs no code of its own: when its output
array IS c's buffer, `td_gemm_*` skips copying c and calls ?gemm with beta on it.
"""

from __future__ import annotations

import numpy as np

from tensordsl.backends.c import small_gemm
from tensordsl.backends.c.driver_graph import DIRECT_SLOT, DriverGraph, ReshapeNode, ShapeNode
from tensordsl.backends.c.render import PRELUDE, cold
from tensordsl.backends.c.scan_codegen import GEMM, SUPPORT, array_headers, c_real_type
from tensordsl.backends.c.scan_graph import GemmNode, KernelNode, ViewNode
from tensordsl.config import config

ENTRY = "td_driver"

def render_driver(graph: DriverGraph) -> str:
    """The whole unit of the driver of `graph`."""
    dtypes = sorted({n.dtype for n in graph.nodes if isinstance(n, GemmNode)})
    gemms = [GEMM.replace("TD_NAME", d).replace("TD_REAL", c_real_type(d)) for d in dtypes]
    # the direct kernels run only when the call is on one thread (see _entry), which
    # the unit can tell under OpenMP only
    directs = [small_gemm.direct_source(d) for d in dtypes] if config.openmp else []
    if directs:
        directs.insert(0, "int omp_get_max_threads(void);")
    # the ?gemm wrappers and the copies: cold code (their element loops run for rare
    # layouts only); the direct product kernels and the driver itself stay at -O3 (the
    # driver's -O3 specialises the products it calls to their constant alpha and beta)
    return "\n".join(["/* tensordsl compiled function driver */", PRELUDE,
                      cold("\n".join([SUPPORT, *gemms])), *directs, _entry(graph)])


def kernel_nodes(graph: DriverGraph) -> list[KernelNode]:
    """The kernel nodes in the order of the `kernels` pointer array."""
    return [n for n in graph.nodes if isinstance(n, KernelNode)]


def pointer_layout(graph: DriverGraph) -> tuple[int, int, int, int]:
    """Where in `ptr` the constants, outputs, workspace and plan data start."""
    n_in = sum(1 for v in graph.vars if v.kind == "input")
    consts = n_in
    outs = consts + len(graph.consts)
    ws = outs + len(graph.outputs)
    return consts, outs, ws, ws + 1


def _entry(graph: DriverGraph) -> str:
    at_const, at_out, at_ws, at_data = pointer_layout(graph)
    out_of = {o: j for j, (o, d) in enumerate(zip(graph.outputs, graph.direct)) if d}
    slot = {id(n): j for j, n in enumerate(kernel_nodes(graph))}
    lines = [f"void {ENTRY}(char *const *ptr, const long long *M, void *const *blas, "
             "void *const *K)", "{",
             f"    char *ws = ptr[{at_ws}];",
             f"    char *pd = ptr[{at_data}];",
             f"    td_array A[{len(graph.vars)}];",
             "    (void)blas; (void)ws; (void)pd; (void)K;"]
    if config.openmp and any(isinstance(n, GemmNode) for n in graph.nodes):
        lines.append("    int one_thread = omp_get_max_threads() == 1;")
    lines += array_headers(graph.vars)
    for v in graph.vars:
        if v.kind == "input":
            lines.append(f"    A[{v.index}].data = ptr[{v.which}];")
        elif v.kind == "const":
            lines.append(f"    A[{v.index}].data = ptr[{at_const + v.which}];")

    def place(o: int) -> str:
        """A result's buffer: its output array, or its workspace region."""
        if o in out_of:
            return f"    A[{o}].data = ptr[{at_out + out_of[o]}];"
        return f"    A[{o}].data = ws + M[{graph.vars[o].offset_at}];"

    for n in graph.nodes:
        if isinstance(n, KernelNode):
            lines += [place(o) for o in n.outs]
            args = ", ".join(f"&A[{i}]" for i in n.ins + n.outs)
            params = ", ".join(["td_array *"] * len(n.ins + n.outs))
            lines.append(f"    ((void (*)({params}))K[{slot[id(n)]}])({args});")
        elif isinstance(n, GemmNode):
            fp = "blas[0]" if n.dtype == "float32" else "blas[1]"
            c = f"&A[{n.c}]" if n.c is not None else "0"
            call = (f"td_gemm_{n.dtype}({fp}, &A[{n.a}], &A[{n.b}], {c}, M + {n.meta}, "
                    f"{n.alpha!r}, {n.beta!r}, &A[{n.out}], ws);")
            direct = (f"td_direct_{n.dtype}(&A[{n.a}], &A[{n.b}], {c}, M + {n.meta}, "
                      f"{n.alpha!r}, {n.beta!r}, &A[{n.out}]);")
            lines.append(place(n.out))
            # when c was lent, the output array is c's own buffer and both paths accumulate
            # into it without copying c first; the plan picks the path per call's layouts,
            # and the direct kernel runs only on one thread: with two, ?gemm splits the
            # product while the direct kernel ran on one core beside OpenBLAS's spinning
            # worker (mlp512 batch 16, two threads: 0.95-0.97 ms a step against 0.91-0.93
            # through ?gemm, and 1.96 ms in one of the functions; one thread: 0.85-0.95
            # against 1.02-1.14)
            if config.openmp:
                lines += [f"    if (one_thread && M[{n.meta + DIRECT_SLOT}]) {direct}",
                          f"    else {call}"]
            else:
                lines.append(f"    {call}")
        elif isinstance(n, ViewNode):
            lines.append(f"    A[{n.out}].data = A[{n.src}].data + "
                         f"M[{graph.vars[n.out].offset_at}];")
        elif isinstance(n, ShapeNode):
            lines.append(f"    A[{n.out}].data = pd + M[{graph.vars[n.out].offset_at}];")
        elif isinstance(n, ReshapeNode):
            lines.append(f"    A[{n.out}].data = A[{n.src}].data;")
    for j, (o, d) in enumerate(zip(graph.outputs, graph.direct)):
        if not d:
            item = np.dtype(graph.vars[o].dtype).itemsize
            lines.append(f"    td_copy(&A[{o}], ptr[{at_out + j}], {item}, "
                         f"M[{graph.copy_at[j]}]);")
    lines += ["}", ""]
    return "\n".join(lines)
