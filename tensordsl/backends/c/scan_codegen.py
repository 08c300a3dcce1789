"""C text of a compiled scan loop: the step's kernels, BLAS calls and copies in one unit.

The unit exports `td_scan(n, ptr, meta, blas)`:
  n     steps to run;
  ptr   data pointers: sequences, state buffers, non-sequences, constants, per-step
        output buffers, then the workspace;
  meta  int64 layouts from `scan_plan` (dims, byte strides, flags, offsets per step
        variable; BLAS modes; row strides);
  blas  (sgemm, dgemm) function pointers (`blas_ptrs`);
and returns the number of steps run (fewer than n when an `until` condition held).
Every step variable is a `td_array` head (render.PRELUDE) whose dims and strides point
into `meta` and whose data pointer is set per step, so each kernel is called through
its usual entry, rendered by `CRenderer` into this same unit (one copy of the shared
helpers and prototypes). A new state is copied into its buffer row after the step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.backends.c import small_gemm
from tensordsl.backends.c.lowering import c_type
from tensordsl.backends.c.render import PRELUDE, CRenderer, cold
from tensordsl.backends.c.scan_graph import GemmNode, IncNode, KernelNode, StepGraph, ViewNode
from tensordsl.config import config

ENTRY = "td_scan"

SUPPORT = """\
void *memcpy(void *, const void *, unsigned long);
typedef void (*td_gemm_fn)(char *, char *, int *, int *, int *, void *, void *, int *,
                           void *, int *, void *, void *, int *);

/* copy a value of any layout into contiguous rows (dst), element by element */
static void td_copy(const td_array *src, char *dst, long long item, long long contiguous)
{
    long long total = 1, idx[16];
    for (int d = 0; d < src->nd; d++) { total *= src->dims[d]; idx[d] = 0; }
    if (contiguous) { memcpy(dst, src->data, (unsigned long)(total * item)); return; }
    for (long long e = 0; e < total; e++) {
        const char *p = src->data;
        for (int d = 0; d < src->nd; d++) p += idx[d] * src->strides[d];
        if (item == 8) ((long long *)dst)[e] = *(const long long *)p;
        else if (item == 4) ((int *)dst)[e] = *(const int *)p;
        else for (long long b = 0; b < item; b++) dst[e * item + b] = p[b];
        for (int d = src->nd - 1; d >= 0; d--) {
            if (++idx[d] < src->dims[d]) break;
            idx[d] = 0;
        }
    }
}
"""

GEMM = """\
/* out (contiguous rows x cols) = alpha * a @ b (+ beta * c broadcast), through Fortran
   ?gemm on the transposed problem: out^T = b^T a^T, all column-major. g: per operand
   (mode 0 rows contiguous / 1 columns contiguous / 2 copy first, leading dim, scratch
   offset), then c's strides (0 where it broadcasts). */
static void td_gemm_TD_NAME(void *fp, const td_array *a, const td_array *b, const td_array *c,
                      const long long *g, TD_REAL alpha, TD_REAL beta, td_array *out, char *ws)
{
    int m = (int)a->dims[0], k = (int)a->dims[1], n = (int)b->dims[1];
    if (m == 0 || n == 0) return;
    TD_REAL *o = (TD_REAL *)out->data;
    if (c && g[7] == (long long)sizeof(TD_REAL) && g[6] == n * g[7]) {
        if (c->data != out->data)  /* the same buffer: c lent to the driver, in place */
            memcpy(o, c->data, (unsigned long)m * n * sizeof(TD_REAL));
    } else if (c && g[7] == (long long)sizeof(TD_REAL)) {  /* rows contiguous, e.g. a bias */
        for (int i = 0; i < m; i++)
            memcpy(o + (long long)i * n, c->data + i * g[6], (unsigned long)n * sizeof(TD_REAL));
    } else if (c) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                o[(long long)i * n + j] = *(const TD_REAL *)(c->data + i * g[6] + j * g[7]);
    } else {
        beta = 0;
    }
    const td_array *ops[2] = {b, a};
    char trans[2];
    int ld[2];
    char *ptr[2];
    for (int p = 0; p < 2; p++) {
        const td_array *x = ops[p];
        const long long *h = g + 3 * (1 - p);
        long long rows = x->dims[0], cols = x->dims[1];
        ptr[p] = x->data;
        trans[p] = h[0] == 1 ? 'T' : 'N';
        ld[p] = (int)h[1];
        if (h[0] == 2) {
            TD_REAL *s = (TD_REAL *)(ws + h[2]);
            for (long long i = 0; i < rows; i++)
                for (long long j = 0; j < cols; j++)
                    s[i * cols + j] = *(const TD_REAL *)(x->data + i * x->strides[0] +
                                                   j * x->strides[1]);
            ptr[p] = (char *)s;
        }
    }
    int ldo = n > 0 ? n : 1;
    ((td_gemm_fn)fp)(&trans[0], &trans[1], &n, &m, &k, &alpha, ptr[0], &ld[0], ptr[1],
                     &ld[1], &beta, o, &ldo);
}
"""


INCSET = """\
/* out = x with the view (g: vnd dims, out strides, y strides, offset) of out incremented
   by y (set: overwritten), y broadcast by its zero strides; x copied first unless out is
   x's own buffer (copy = 0). The innermost dim is a strided loop of its own. */
static void td_incset_TD_NAME(const td_array *x, td_array *out, const td_array *y,
                              const long long *g, int vnd, int set, int copy)
{
    if (copy) td_copy(x, out->data, (long long)sizeof(TD_REAL), x->flags);
    const long long *dims = g, *os = g + vnd, *ys = g + 2 * vnd;
    long long total = 1, idx[16];
    for (int d = 0; d < vnd; d++) { total *= dims[d]; idx[d] = 0; }
    if (total == 0) return;
    long long inner = vnd ? dims[vnd - 1] : 1;
    long long ostep = vnd ? os[vnd - 1] : 0, ystep = vnd ? ys[vnd - 1] : 0;
    char *base = out->data + g[3 * vnd];
    for (long long e = 0; e < total; e += inner) {
        char *o = base;
        const char *s = y->data;
        for (int d = 0; d < vnd - 1; d++) { o += idx[d] * os[d]; s += idx[d] * ys[d]; }
        if (set)
            for (long long j = 0; j < inner; j++)
                *(TD_REAL *)(o + j * ostep) = *(const TD_REAL *)(s + j * ystep);
        else
            for (long long j = 0; j < inner; j++)
                *(TD_REAL *)(o + j * ostep) += *(const TD_REAL *)(s + j * ystep);
        for (int d = vnd - 2; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
}
"""


def contiguous_values(graph: StepGraph) -> set[int]:
    """The step's values that are C-contiguous by construction, whatever the caller's
    arrays: results of kernels, products and increments (each gets a contiguous
    workspace region, or the output row itself only when that is contiguous:
    `scan_plan.make_plan`), constants (kept contiguous) and states (rows of the output
    arrays the loop allocates). Views, sequences and non-sequences have the caller's
    layouts."""
    made = {o for n in graph.nodes if isinstance(n, KernelNode) for o in n.outs}
    made |= {n.out for n in graph.nodes if isinstance(n, (GemmNode, IncNode))}
    return made | {v.index for v in graph.vars if v.kind in ("const", "state")}


def flat_always(n: KernelNode, contiguous: set[int]) -> bool:
    """Whether kernel node `n` always takes its flat path: every input contiguous by
    construction and of the full shape (no dim statically broadcast, unless all are: a
    scalar, which the flat path reads once). Its strided rows path would never run: it
    is left out (less code for gcc), and `_gather` stays for safety."""
    full = all(all(x.broadcastable) or not any(x.broadcastable) for x in n.kernel.inputs)
    return full and all(i in contiguous for i in n.ins)


def _kernel_units(graph: StepGraph) -> tuple[list[str], list[str], list[str]]:
    """(prototypes, helpers, functions) of every kernel, each kernel's entry `td_k<i>`."""
    protos: dict[str, tuple[bool, str]] = {}
    helpers: dict[str, str] = {}
    funcs: list[str] = []
    built = contiguous_values(graph)
    for pos, n in enumerate(graph.nodes):
        if not isinstance(n, KernelNode):
            continue
        n.entry = f"td_k{pos}"
        renderer = CRenderer(openmp=config.openmp, strided_rows=not flat_always(n, built))
        text = renderer.render(n.kernel, n.entry)
        shared = [renderer.header(), PRELUDE, renderer.declarations(),
                  *renderer.low.helpers.values()]
        for part in shared:  # kept once for the whole unit
            text = text.replace(part, "", 1)
        protos.update(renderer.low.math)
        helpers.update(renderer.low.helpers)
        funcs.append(text)
    lines = []
    for _, (vector, proto) in sorted(protos.items()):
        if vector and config.openmp:
            lines.append("#pragma omp declare simd notinbranch")
        lines.append(proto)
    if config.openmp:
        lines += ["int omp_get_thread_num(void);", "int omp_get_num_threads(void);",
                  "int omp_get_max_threads(void);"]
    return lines, list(helpers.values()), funcs


def array_headers(vars_: list[Any]) -> list[str]:
    """The lines setting every value's td_array from the meta table M (rank, dims,
    strides, flags; data 0 until its buffer is known): one loop over a table of where
    each value's fields are in M. Five statements per value instead took most of gcc's
    time on the MLP step's driver (80 values: 0.16 s at -O1 of which the table form
    leaves a fraction, docs/c_backend.md, compile time)."""
    if not vars_:
        return []
    rows = [f"{{{v.index}, {v.ndim}, {v.dims_at}, {v.strides_at}, {v.flags_at}}}"
            for v in vars_]
    table = [", ".join(rows[i:i + 4]) for i in range(0, len(rows), 4)]
    return [f"    static const long long td_heads[{len(rows)}][5] = {{",
            *[f"        {line}," for line in table[:-1]], f"        {table[-1]}", "    };",
            f"    for (int v = 0; v < {len(rows)}; v++) {{",
            "        const long long *h = td_heads[v];",
            "        A[h[0]].nd = (int)h[1];",
            "        A[h[0]].dims = (long long *)(M + h[2]);",
            "        A[h[0]].strides = (long long *)(M + h[3]);",
            "        A[h[0]].flags = (int)M[h[4]];",
            "        A[h[0]].data = 0;",
            "    }"]


def render_loop(op: object, graph: StepGraph) -> str:
    """The whole unit of the loop of `op` (a Scan) over the step `graph`."""
    protos, helpers, funcs = _kernel_units(graph)
    dtypes = sorted({n.dtype for n in graph.nodes if isinstance(n, GemmNode)})
    gemms = [GEMM.replace("TD_NAME", d).replace("TD_REAL", c_real_type(d)) for d in dtypes]
    smalls = [small_gemm.source(d) for d in sorted(
        {n.dtype for n in graph.nodes if isinstance(n, GemmNode) and n.pack_at >= 0})]
    inc_types = sorted({n.dtype for n in graph.nodes if isinstance(n, IncNode)})
    incs = [INCSET.replace("TD_NAME", d).replace("TD_REAL", c_type(d)) for d in inc_types]
    # the ?gemm wrappers and the copies run once per step or per call (their element
    # loops only for rare layouts): cold code; the step kernels' paths, the small
    # products, the increments and the loop itself stay at -O3 (the loop at -O1 cost
    # the LSTM forward 3% of its run time: -O3 specialises the small products it calls
    # to their constant alpha and beta, docs/c_backend.md, compile time)
    return "\n".join(["/* tensordsl compiled scan loop */", PRELUDE, *protos, cold(SUPPORT),
                      *helpers, *wide_vectors(funcs), *map(cold, gemms), *smalls, *incs,
                      _entry(op, graph)])


def wide_vectors(funcs: list[str]) -> list[str]:
    """The step's kernel functions `funcs` between pragmas preferring 512-bit vectors.

    gcc's default for this CPU family is 256-bit vectors, so a step kernel's sigmoid and
    tanh called libmvec's AVX2 variants (_ZGVdN8v_expf); with the pragma they call the
    AVX-512 ones (_ZGVeN16v_expf), same accuracy bounds. Measured on the LSTM forward of
    issue 15 (docs/c_backend.md): the gate kernels are ~2.3 of its ~11 ms and the pragma
    saves ~1 ms. Only inside the scan loop's unit: the loop runs small kernels back to back
    on one core, where the wider vectors pay; on a CPU without AVX-512 it changes nothing.
    """
    if not funcs:
        return []
    return ["#pragma GCC push_options", '#pragma GCC target("prefer-vector-width=512")',
            *funcs, "#pragma GCC pop_options"]


def c_real_type(dtype: str) -> str:
    """The C type of a float dtype's values."""
    return {"float32": "float", "float64": "double"}[dtype]


def _item(dtype: str) -> int:
    return np.dtype(dtype).itemsize


def _entry(op: object, graph: StepGraph) -> str:
    n_seq, n_rec = op.n_seqs, op.n_rec  # type: ignore[attr-defined]
    n_nonseq, n_nit = op.n_nonseq, op.n_nit  # type: ignore[attr-defined]
    n_const = len(graph.consts)
    base_nit = n_seq + n_rec + n_nonseq + n_const
    ws_ptr = base_nit + n_nit
    lags = [-min(t) for t in op.rec_taps]  # type: ignore[attr-defined]
    mins = [min(t) for t in op.seq_taps]  # type: ignore[attr-defined]
    nv = max(1, len(graph.vars))
    lines = [f"long long {ENTRY}(long long n, char *const *ptr, const long long *M, "
             "void *const *blas)", "{",
             f"    char *ws = ptr[{ws_ptr}];",
             f"    td_array A[{nv}];",
             "    (void)blas; (void)ws;"]
    lines += array_headers(graph.vars)
    for v in graph.vars:
        if v.kind == "nonseq":
            lines.append(f"    A[{v.index}].data = ptr[{n_seq + n_rec + v.which}];")
        elif v.kind == "const":
            lines.append(f"    A[{v.index}].data = ptr[{n_seq + n_rec + n_nonseq + v.which}];")
    lines += ["    for (long long t = 0; t < n; t++) {"]
    ind = "        "
    for v in graph.vars:
        if v.kind == "seq":
            row = graph.rows_at[("seq", v.which)]
            lines.append(f"{ind}A[{v.index}].data = ptr[{v.which}] + "
                         f"(t + {v.tap - mins[v.which]}) * M[{row}];")
        elif v.kind == "state":
            row = graph.rows_at[("state", v.which)]
            lines.append(f"{ind}A[{v.index}].data = ptr[{n_seq + v.which}] + "
                         f"(t + {lags[v.which] + v.tap}) * M[{row}];")
    dst = []
    for j in range(len(graph.outputs)):
        if j < n_rec:
            row = graph.rows_at[("state", j)]
            dst.append(f"ptr[{n_seq + j}] + (t + {lags[j]}) * M[{row}]")
        else:
            row = graph.rows_at[("nit", j - n_rec)]
            dst.append(f"ptr[{base_nit + j - n_rec}] + t * M[{row}]")
    into = {b: j for j, b in enumerate(graph.direct) if b >= 0}

    def place(o: int) -> str:
        """Where node output o goes: its workspace region, or straight into the row
        of the output it is (when this call's plan says the layouts agree)."""
        region = f"ws + M[{graph.vars[o].offset_at}]"
        if o not in into:
            return f"{ind}A[{o}].data = {region};"
        j = into[o]
        return f"{ind}A[{o}].data = M[{graph.direct_at[j]}] ? {dst[j]} : {region};"

    for n in graph.nodes:
        if isinstance(n, KernelNode):
            for o in n.outs:
                lines.append(place(o))
            args = ", ".join(f"&A[{i}]" for i in n.ins + n.outs)
            lines.append(f"{ind}{n.entry}({args});")
        elif isinstance(n, GemmNode):
            fp = "blas[0]" if n.dtype == "float32" else "blas[1]"
            c = f"&A[{n.c}]" if n.c is not None else "0"
            call = (f"td_gemm_{n.dtype}({fp}, &A[{n.a}], &A[{n.b}], {c}, M + {n.meta}, "
                    f"{n.alpha!r}, {n.beta!r}, &A[{n.out}], ws);")
            lines.append(place(n.out))
            if n.shape_only:  # read for its shape alone (scan_graph._mark_shape_only)
                continue
            if n.pack_at >= 0:  # b is invariant: packed at step 0 when the plan says so
                real, packed = c_real_type(n.dtype), f"(ws + M[{n.pack_at + 1}])"
                lines += [f"{ind}if (M[{n.pack_at}]) {{",
                          f"{ind}    if (t == 0) td_pack_{n.dtype}(&A[{n.b}], ({real} *){packed});",
                          f"{ind}    td_small_{n.dtype}(&A[{n.a}], (const {real} *){packed}, {c}, "
                          f"M + {n.meta}, {n.alpha!r}, {n.beta!r}, &A[{n.out}]);",
                          f"{ind}}} else {{", f"{ind}    {call}", f"{ind}}}"]
            else:
                lines.append(ind + call)
        elif isinstance(n, ViewNode):
            lines.append(f"{ind}A[{n.out}].data = A[{n.src}].data + "
                         f"M[{graph.vars[n.out].offset_at}];")
        elif isinstance(n, IncNode):  # in place: the plan gave out x's region
            lines += [place(n.out),
                      f"{ind}td_incset_{n.dtype}(&A[{n.x}], &A[{n.out}], &A[{n.y}], "
                      f"M + {n.meta}, {n.vnd}, {int(n.set_)}, {int(not n.inplace)});"]
    for j, o in enumerate(graph.outputs):
        copy = f"td_copy(&A[{o}], {dst[j]}, {_item(graph.vars[o].dtype)}, M[{graph.copy_at[j]}]);"
        if graph.direct[j] >= 0:
            copy = f"if (!M[{graph.direct_at[j]}]) {copy}"
        lines.append(ind + copy)
    if graph.cond >= 0:  # `until`: the step that computes a true condition is the last
        cond = graph.vars[graph.cond]
        lines.append(f"{ind}if (*(const {c_type(cond.dtype)} *)A[{graph.cond}].data) "
                     "return t + 1;")
    lines += ["    }", "    return n;", "}", ""]
    return "\n".join(lines)
