"""Kernel IR -> one self-contained C99 translation unit.

The unit includes no system header: it declares the few prototypes it uses (libm
functions marked `omp declare simd notinbranch` so gcc calls glibc's libmvec variants in
`omp simd` loops) and a `td_array` struct mirroring the head of numpy's
PyArrayObject, so the exported entry takes the arrays themselves (one foreign call, no
per-call pointer marshalling in Python). The runtime checks that layout once at load.

Per kernel the unit has:
* `<name>_flat`: every operand contiguous (or a statically broadcast scalar): one flat
  loop with `restrict` pointers, `omp parallel for simd` above a size threshold;
* `<name>_strided`: the N-d loop nest whose rows are contiguous in the last dim (broadcast
  dims have stride 0; operands statically broadcast along the last dim read once per
  row), vectorised; it hands any other layout (transposed, negative or byte strides in
  the last dim) to `<name>_gather`, a plain loop nest over byte strides compiled as cold
  code (`cold`: -O1). A 0-d or 1-d kernel has one `<name>_strided` over byte strides;
  a renderer told `strided_rows=False` (a scan step kernel reading only buffers that
  are contiguous by construction) leaves the rows path out;
* reductions: accumulators per output element over the reduced dims (kept dims outer,
  run in parallel); a full reduction of contiguous operands splits the range into one
  block per thread, each summed in a fixed lane pattern, and combines the blocks in
  thread order, so the summation order is fixed for a given thread count;
* `<name>`: the entry (cold code). It reads shapes/strides from the arrays and picks a
  path, run by one thread or split over threads in ONE parallel region;
* 0-d kernels also export `<name>_raw(void *const *args)`: args[i] points at input i's
  value, then at each output's; it loads, computes and stores. One signature for every
  kernel, so the C trampoline (`trampoline.c`) calls any of them through a pointer.

Kernels are pruned first (`tensordsl.kernel.prune`) and an input read only for its
shape is never loaded, so a unit has no unused variable (`cc -Wall -Werror` passes).

`CRenderer` is a C-family renderer: a dialect (OpenCL) overrides the hooks near the
top (types, qualifiers, loop pragmas, the entry) and keeps the body rendering.
"""

from __future__ import annotations

import math
import re

from tensordsl.backends.c.lowering import Lowering, c_const, c_type, convert, element_ns
from tensordsl.backends.c.render_reduce import ReductionPaths
from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.prune import loaded_inputs, prune_kernel
from tensordsl.ops.scalar import SCALAR_OPS

MAX_THREADS = 256

# Split a kernel across threads only when one thread would take longer than this (ns,
# estimated): waking sleeping OpenMP workers costs ~60 us per parallel region on the
# development host, so a sum over 131k floats took 77 us on two threads and 20 us on one.
PARALLEL_NS = 150_000


def parallel_threshold(kernel: Kernel) -> int:
    """The element count from which `kernel` runs on several threads."""
    ops = [node.op.name for node in kernel.body if node.kind == "op"]
    return max(1, math.ceil(PARALLEL_NS / element_ns(ops)))


PRELUDE = """\
/* ndarray head: the fields of numpy's PyArrayObject_fields we read (checked at load) */
typedef struct {
    long long ob_refcnt;
    void *ob_type;
    char *data;
    int nd;
    long long *dims;
    long long *strides;
    void *base;
    void *descr;
    int flags;
} td_array;
"""

# Code that runs once per call, not per element (entries, shape checks, the loop control of
# a compiled scan loop or function driver), and element loops kept for rare layouts, is
# compiled at this level instead of -O3: gcc's time is spent per line of code whether it
# is hot or not, and -O3 gains nothing on glue (docs/c_backend.md, compile time).
COLD_LEVEL = "O1"


def cold(text: str) -> str:
    """`text` (whole function definitions) compiled at `COLD_LEVEL`: between pragmas
    that push gcc's options, set the level and pop them (the flags of the command line
    that fix values, `-ffp-contract=off`, `-fwrapv`..., stay in force; OpenMP regions
    outlined from these functions get the same level). A function of another level is
    not inlined across the levels (gcc refuses most such inlines), which is what glue
    calling noinline paths wants anyway."""
    return (f'#pragma GCC push_options\n#pragma GCC optimize("{COLD_LEVEL}")\n'
            f"{text}\n#pragma GCC pop_options\n")


def sanitize_comment(text: str) -> str:
    """`text` made safe for a C comment: printable ASCII words only, short."""
    return re.sub(r"[^A-Za-z0-9_.,:=+\- ]", "_", text)[:80]


class CRenderer(ReductionPaths):
    """Renders a Kernel as C99 text (hooks for C-family dialects at the top)."""

    restrict = "restrict"
    export = ""  # qualifier of the exported entry
    raw_entry_wanted = True  # 0-d kernels export `<name>_raw` (a dialect may turn it off)

    def __init__(self, openmp: bool = True, parallel_threshold: int | None = None,
                 aliasing: bool = False, strided_rows: bool = True) -> None:
        self.openmp = openmp
        # False: the caller knows every operand is contiguous by construction (a compiled
        # scan loop's own buffers), so the flat path always runs; the vectorised
        # `_strided` rows path is left out and any other layout goes to `_gather`
        self.strided_rows = strided_rows
        self.fixed_threshold = parallel_threshold  # elements; None: from the kernel's cost
        if aliasing:  # an output may be written into an input's buffer: no `restrict`
            self.restrict = ""

    # -- dialect hooks ---------------------------------------------------------------
    def type_name(self, dtype: str) -> str:
        """The C type of an array element of `dtype`."""
        return c_type(dtype)

    def value_type(self, dtype: str) -> str:
        """The C type of a loop-body value of `dtype`: bools are ints there (0 or 1), which
        the vectoriser handles, unlike byte-sized temporaries (lowering.C_TYPES)."""
        return "int" if dtype == "bool" else self.type_name(dtype)

    def pragma(self, text: str) -> list[str]:
        """An OpenMP pragma line (nothing when OpenMP is off)."""
        return [f"#pragma omp {text}"] if self.openmp else []

    def path_head(self, name: str, params: str) -> str:
        """The head of a path function (`<name>_flat`, `_strided`, `_reduce`...), which the
        entry runs through `run_range`. With OpenMP it is called twice, in the parallel
        region and in the serial branch, and gcc -O3 would inline a copy of its loops at
        each call (twice the code to optimise and vectorise): `noinline` keeps one copy,
        for the cost of one call per kernel launch (docs/c_backend.md, compile time)."""
        attribute = "__attribute__((noinline)) " if self.openmp else ""
        return f"static {attribute}void {name}({params})"

    def run_range(self, fn: str, extent: str, args: str, indent: str,
                  partial: str = "") -> list[str]:
        """Call `fn(lo, hi, args)` over [0, extent): split in one contiguous block per
        thread when the work `n` is above the threshold, else one call (no OpenMP
        runtime call at all for small sizes). `partial` names a per-thread result array
        passed as `&partial[t]`."""
        res = f", &{partial}[0]" if partial else ""
        if not self.openmp or extent == "1":
            return [f"{indent}{fn}(0, {extent}, {args}{res});"]
        res_t = f", &{partial}[t]" if partial else ""
        count = "        if (t == 0) nparts = nt;" if partial else ""
        lines = [f"{indent}if (n >= {self.threshold} && {extent} > 1) {{",
                 f"{indent}    int want = omp_get_max_threads();",
                 f"{indent}    if (want > {MAX_THREADS}) want = {MAX_THREADS};"]
        lines += [indent + "    " + p for p in self.pragma("parallel num_threads(want)")]
        lines += [f"{indent}    {{",
                  f"{indent}        int t = omp_get_thread_num(), nt = omp_get_num_threads();",
                  f"{indent}        long long lo = {extent} / nt * t + "
                  f"(t < {extent} % nt ? t : {extent} % nt);",
                  f"{indent}        long long hi = lo + {extent} / nt + "
                  f"(t < {extent} % nt ? 1 : 0);",
                  f"{indent}        {fn}(lo, hi, {args}{res_t});"]
        lines += [indent + count] if count else []
        lines += [f"{indent}    }}", f"{indent}}} else {{",
                  f"{indent}    {fn}(0, {extent}, {args}{res});", f"{indent}}}"]
        return lines

    def run_choice(self, branches: list[tuple[str, str, str, str]], indent: str) -> list[str]:
        """Like `run_range`, for a choice of paths: `branches` are (C condition, or "1"
        for the last, function, extent, args). ONE parallel region calls the chosen path
        in each thread: each region is a function gcc outlines and optimises, and two per
        kernel were a fifth of gcc's time on the LSTM's step kernels (docs/c_backend.md,
        compile time)."""
        def chain(call: str, ind: str) -> list[str]:
            out = []
            for i, (cond, fn, extent, args) in enumerate(branches):
                head = "if" if i == 0 else "} else if"
                text = call.format(fn=fn, extent=extent, args=args)
                if i == len(branches) - 1:
                    out += [f"{ind}}} else {{" if i else "", f"{ind}    {text}", f"{ind}}}"]
                else:
                    out += [f"{ind}{head} ({cond}) {{", f"{ind}    {text}"]
            return [line for line in out if line]

        extent = branches[-1][2]
        for cond, _, ext, _ in reversed(branches[:-1]):
            extent = f"{cond} ? {ext} : ({extent})"
        lines = [f"{indent}long long extent = {extent};",
                 f"{indent}if (n >= {self.threshold} && extent > 1) {{",
                 f"{indent}    int want = omp_get_max_threads();",
                 f"{indent}    if (want > {MAX_THREADS}) want = {MAX_THREADS};"]
        lines += [indent + "    " + p for p in self.pragma("parallel num_threads(want)")]
        lines += [f"{indent}    {{",
                  f"{indent}        int t = omp_get_thread_num(), nt = omp_get_num_threads();",
                  f"{indent}        long long lo = extent / nt * t + "
                  f"(t < extent % nt ? t : extent % nt);",
                  f"{indent}        long long hi = lo + extent / nt + "
                  f"(t < extent % nt ? 1 : 0);"]
        lines += chain("{fn}(lo, hi, {args});", indent + "        ")
        lines += [f"{indent}    }}", f"{indent}}} else {{"]
        lines += chain("{fn}(0, {extent}, {args});", indent + "    ")
        return lines + [f"{indent}}}"]

    # -- the unit --------------------------------------------------------------------
    def render(self, kernel: Kernel, name: str = "td_kernel") -> str:
        """The whole translation unit for `kernel`; its entry function is `name`."""
        kernel = prune_kernel(kernel)
        self.kernel = kernel
        self.name = name
        self.threshold = self.fixed_threshold or parallel_threshold(kernel)
        self.low = Lowering()
        self.scalar_inputs = [all(x.broadcastable) for x in kernel.inputs]
        # inputs read only for their shape are passed but never loaded
        self.loaded = loaded_inputs(kernel)
        funcs: list[str] = []
        # each path is a function over a range [lo, hi) of its outer loop; the entry
        # runs it once, or in one block per thread above the size threshold
        if kernel.is_reduction:
            if len(kernel.reduce_axes) == kernel.ndim:
                funcs.append(self.flat_reduction())
            funcs.append(self.strided_reduction())
            if self.has_rows_path():
                funcs.append(self.rows_reduction())
        else:
            funcs.append(self.flat_elementwise())
            funcs.append(self.strided_elementwise())
        funcs.append(cold(self.entry()))  # once per launch: glue
        if self.raw_entry_wanted and kernel.ndim == 0 and not kernel.is_reduction:
            funcs.append(self.raw_entry())
        return "\n".join([self.header(), PRELUDE, self.declarations(),
                          *self.low.helpers.values(), *funcs])

    def header(self) -> str:
        """A comment naming the kernel (its user-visible name sanitised) and its IR."""
        k = self.kernel
        ops = ",".join(n.op.name for n in k.body if n.kind == "op")  # type: ignore
        return (f"/* tensordsl kernel {sanitize_comment(k.name)}: {k.ndim}-d, "
                f"{len(k.inputs)} in, {len(k.outputs)} out, ops {sanitize_comment(ops)} */\n")

    def declarations(self) -> str:
        """Prototypes of the libm (and OpenMP) functions the unit calls."""
        lines = []
        for _, (vector, proto) in sorted(self.low.math.items()):
            if vector and self.openmp:
                lines.append("#pragma omp declare simd notinbranch")
            lines.append(proto)
        if self.openmp:
            lines += ["int omp_get_thread_num(void);", "int omp_get_num_threads(void);",
                      "int omp_get_max_threads(void);"]
        return "\n".join(lines) + "\n"

    # -- the scalar body ------------------------------------------------------------------
    def body(self, load: list[str], indent: str) -> list[str]:
        """`T vI = ...;` lines for the scalar DAG, given each input's load expression."""
        lines = []
        k = self.kernel
        for i, node in enumerate(k.body):
            t = self.value_type(node.dtype)
            if node.kind == "load":
                src = k.inputs[node.input].dtype  # type: ignore[index]
                expr = load[node.input]  # type: ignore[index]
                if src != node.dtype:
                    expr = convert(expr, node.dtype)
            elif node.kind == "const":
                expr = c_const(node.value, node.dtype)
            else:
                op = node.op
                args = [(f"v{a}", k.body[a].dtype) for a in node.args]
                compute_in_out = SCALAR_OPS.get(op.name, op).compute_in_out  # type: ignore
                expr = self.low.lower_op(op.name, args, node.dtype,  # type: ignore[union-attr]
                                         compute_in_out)
            lines.append(f"{indent}{t} v{i} = {expr};")
        return lines

    def in_type(self, j: int) -> str:
        return self.type_name(self.kernel.inputs[j].dtype)

    def out_type(self, j: int) -> str:
        return self.type_name(self.kernel.output_dtypes[j])

    def flat_params(self, reduce: bool = False) -> str:
        r = self.restrict
        r = f"{r} " if r else ""
        ins = [f"const {self.in_type(j)} *{r}in{j}" for j in range(len(self.kernel.inputs))]
        if reduce:
            outs = [f"{self.type_name(self.acc_dtype(j))} *res{j}"
                    for j in range(len(self.kernel.outputs))]
        else:
            outs = [f"{self.out_type(j)} *{r}out{j}" for j in range(len(self.kernel.outputs))]
        return ", ".join(["long long lo", "long long hi"] + ins + outs)

    def flat_loads(self, index: str) -> tuple[list[str], list[str]]:
        """Hoisted scalar loads and each input's load expression at flat `index`."""
        hoisted, load = [], []
        for j, scalar in enumerate(self.scalar_inputs):
            if scalar and j in self.loaded:
                hoisted.append(f"    const {self.in_type(j)} s{j} = in{j}[0];")
                load.append(f"s{j}")
            else:
                load.append(f"in{j}[{index}]")
        return hoisted, load

    # -- elementwise ------------------------------------------------------------------------
    def flat_elementwise(self) -> str:
        hoisted, load = self.flat_loads("i")
        lines = [self.path_head(f"{self.name}_flat", self.flat_params()), "{", *hoisted]
        lines += ["    " + p for p in self.pragma("simd")]
        lines += ["    for (long long i = lo; i < hi; i++) {"]
        lines += self.body(load, "        ")
        lines += [f"        out{j}[i] = v{o};" for j, o in enumerate(self.kernel.outputs)]
        return "\n".join(lines + ["    }", "}", ""])

    def strided_access(self, arg: int, dims: list[int], shifted: int | None = None) -> str:
        """Address of operand `arg` at the loop indices of `dims` (`i<shifted> + l` for the
        dim whose loop runs in LANES-wide steps)."""
        nd = self.kernel.ndim
        index = {d: f"(i{d} + l)" if d == shifted else f"i{d}" for d in dims}
        offset = " + ".join(f"{index[d]} * st[{arg * nd + d}]" for d in dims) or "0"
        return f"(data[{arg}] + {offset})"

    def loop_nest(self, dims: list[int], indent: str, ranged: bool,
                  simd_last: bool) -> tuple[list[str], str]:
        """Open `for` loops over `dims` (the first over [lo, hi) when `ranged`)."""
        lines = []
        for pos, d in enumerate(dims):
            if pos == len(dims) - 1 and simd_last:
                lines += [indent + p for p in self.pragma("simd")]
            lo, hi = ("lo", "hi") if pos == 0 and ranged else ("0", f"shape[{d}]")
            lines.append(f"{indent}for (long long i{d} = {lo}; i{d} < {hi}; i{d}++) {{")
            indent += "    "
        return lines, indent

    def strided_params(self) -> str:
        return ("long long lo, long long hi, const long long *shape, char *const *data, "
                "const long long *st")

    def strided_elementwise(self) -> str:
        """The strided paths of a 2-d or higher kernel: `<name>_strided` for rows whose
        moving operands are all contiguous in the last dim (broadcasts along it were
        hoisted: `steady`), vectorised; `<name>_gather` for any strides (transposed or
        sliced last dims), a plain loop compiled as cold code: vectorising byte-strided
        loads and stores (AVX-512 gathers, plus gcc's versioning of the loop for unit
        strides) was a fifth of gcc's time on a compiled LSTM step and buys little on
        such layouts (docs/c_backend.md, compile time). `_strided` hands rows that are not
        unit-stride (`unit_test`) to `_gather`."""
        k = self.kernel
        if k.ndim < 2:  # 0-d, or 1-d (whose contiguous case is the flat path)
            return self.strided_simple()
        if not self.strided_rows:
            return cold(self.row_loops(False))
        return cold(self.row_loops(False)) + "\n" + self.row_loops(True)

    def strided_name(self) -> str:
        """The path an elementwise entry runs when the flat one does not apply."""
        gather = not self.strided_rows and self.kernel.ndim >= 2
        return f"{self.name}_gather" if gather else f"{self.name}_strided"

    def strided_types(self) -> tuple[list[str], list[bool], list[int]]:
        """Each operand's C type (inputs, then outputs), whether it is statically
        broadcast along the last dim, and the operands the paths touch."""
        k = self.kernel
        nin, last = len(k.inputs), k.ndim - 1
        types = [self.in_type(j) for j in range(nin)]
        types += [self.out_type(j) for j in range(len(k.outputs))]
        steady = [j < nin and k.inputs[j].broadcastable[last] for j in range(len(types))]
        used = [a for a in range(len(types)) if a >= nin or a in self.loaded]
        return types, steady, used

    def unit_test(self) -> str:
        """C test (on the strides `st`): every moving operand contiguous in the last dim."""
        types, steady, used = self.strided_types()
        nd = self.kernel.ndim
        return " && ".join(f"st[{a * nd + nd - 1}] == sizeof({types[a]})"
                           for a in used if not steady[a]) or "1"

    def row_loops(self, contiguous: bool) -> str:
        """`<name>_strided` (`contiguous`: typed, vectorised rows) or `<name>_gather`."""
        k = self.kernel
        nd = k.ndim
        last, outer = nd - 1, list(range(nd - 1))
        types, steady, used = self.strided_types()
        fn = f"{self.name}_strided" if contiguous else f"{self.name}_gather"
        lines = [self.path_head(fn, self.strided_params()), "{"]
        if contiguous:  # a direct call: through a function pointer gcc took 30% longer
            lines += [f"    if (!({self.unit_test()})) {{",
                      f"        {self.name}_gather(lo, hi, shape, data, st);",
                      "        return;", "    }"]
        nest, ind = self.loop_nest(outer, "    ", True, False)
        lines += nest
        lines += [f"{ind}char *b{a} = {self.strided_access(a, outer)};" for a in used]
        lines += [f"{ind}const {types[j]} h{j} = *(const {types[j]} *)b{j};"
                  for j in used if j < len(k.inputs) and steady[j]]
        lines += self.inner_elementwise(types, steady, last, contiguous, ind)
        lines += ["    " * (len(outer) - i) + "}" for i in range(len(outer))]
        return "\n".join(lines + ["}", ""])

    def inner_elementwise(self, types: list[str], steady: list[bool], last: int,
                          contiguous: bool, ind: str) -> list[str]:
        """The innermost loop over `last` from base pointers b<a>: typed indexing and
        `omp simd` when every moving operand is contiguous there, byte strides (no
        vectorisation asked) otherwise; operands statically broadcast along `last` were
        loaded once (h<j>)."""
        k = self.kernel
        nin, nd = len(k.inputs), k.ndim

        def at(a: int) -> str:
            if contiguous:
                return f"(({'const ' if a < nin else ''}{types[a]} *)b{a})[i]"
            const = "const " if a < nin else ""
            return f"*({const}{types[a]} *)(b{a} + i * st[{a * nd + last}])"

        load = [f"h{j}" if steady[j] else at(j) for j in range(nin)]
        lines = [ind + p for p in self.pragma("simd")] if contiguous else []
        lines += [f"{ind}for (long long i = 0; i < shape[{last}]; i++) {{"]
        lines += self.body(load, ind + "    ")
        lines += [f"{ind}    {at(nin + j)} = v{o};" for j, o in enumerate(k.outputs)]
        return lines + [f"{ind}}}"]

    def strided_simple(self) -> str:
        """The strided path of a 0-d or 1-d kernel: one loop over byte strides."""
        k = self.kernel
        dims = list(range(k.ndim))
        nin = len(k.inputs)
        lines = [self.path_head(f"{self.name}_strided", self.strided_params()), "{"]
        nest, ind = self.loop_nest(dims, "    ", True, True)
        load = [f"*(const {self.in_type(j)} *){self.strided_access(j, dims)}"
                for j in range(nin)]
        lines += nest + self.body(load, ind)
        lines += [f"{ind}*({self.out_type(j)} *){self.strided_access(nin + j, dims)} = v{o};"
                  for j, o in enumerate(k.outputs)]
        lines += ["    " * (len(dims) - i) + "}" for i in range(len(dims))]
        return "\n".join(lines + ["}", ""])

    # -- the entry ------------------------------------------------------------------------
    def entry(self) -> str:
        """The exported function: reads the arrays' heads, picks the flat or strided path."""
        k = self.kernel
        nin, nout, nd = len(k.inputs), len(k.outputs), k.ndim
        args = [f"td_array *a{j}" for j in range(nin)] + [f"td_array *o{j}" for j in range(nout)]
        arrays = [f"a{j}" for j in range(nin)] + [f"o{j}" for j in range(nout)]
        lines = [f"{self.export}void {self.name}({', '.join(args)})", "{",
                 f"    long long shape[{max(nd, 1)}]{' = {0}' if nd == 0 else ''}, n = 1;"]
        lines += self.entry_shape()
        lines += [f"    for (int d = 0; d < {nd}; d++) n *= shape[d];"]
        full_reduce = k.is_reduction and len(k.reduce_axes) == nd
        one_region = self.openmp and not k.is_reduction and nd >= 1
        if one_region:  # flat or strided, chosen inside one parallel region
            lines += self.entry_flat(arrays, run=False)
            lines += self.entry_strides(arrays)
            ptrs = [f"(const {self.in_type(j)} *)a{j}->data" for j in range(nin)]
            ptrs += [f"({self.out_type(j)} *)o{j}->data" for j in range(nout)]
            lines += self.run_choice([("flat", f"{self.name}_flat", "n", ", ".join(ptrs)),
                                      ("1", self.strided_name(), "shape[0]",
                                       "shape, data, st")], "    ")
            return "\n".join(lines + ["}", ""])
        if not k.is_reduction or full_reduce:
            lines += self.entry_flat(arrays)
        lines += self.entry_strides(arrays)
        kept = [d for d in range(nd) if d not in k.reduce_axes]
        if k.is_reduction:
            extent = f"shape[{kept[0]}]" if kept else "1"
            fn = f"{self.name}_reduce"
        else:
            extent = "shape[0]" if nd else "1"
            fn = self.strided_name()
        if k.is_reduction and self.has_rows_path() and self.openmp:
            lines += self.run_choice([(f"({self.rows_unit()})", f"{fn}_rows", extent,
                                       "shape, data, st"),
                                      ("1", fn, extent, "shape, data, st")], "    ")
            return "\n".join(lines + ["}", ""])
        if k.is_reduction and self.has_rows_path():
            lines += [f"    if ({self.rows_unit()}) {{"]
            lines += self.run_range(f"{fn}_rows", extent, "shape, data, st", "        ")
            lines += ["    } else {"]
            lines += self.run_range(fn, extent, "shape, data, st", "        ")
            return "\n".join(lines + ["    }", "}", ""])
        lines += self.run_range(fn, extent, "shape, data, st", "    ")
        return "\n".join(lines + ["}", ""])

    def raw_entry(self) -> str:
        """`<name>_raw(args)` of a 0-d kernel: args[i] points at input i's value, then at
        the outputs' (the trampoline's uniform signature: no array heads to read)."""
        k = self.kernel
        nin = len(k.inputs)
        load = [f"*(const {self.in_type(j)} *)args[{j}]" for j in range(nin)]
        lines = [f"{self.export}void {self.name}_raw(void *const *args)", "{"]
        lines += self.body(load, "    ")
        lines += [f"    *({self.out_type(j)} *)args[{nin + j}] = v{o};"
                  for j, o in enumerate(k.outputs)]
        return "\n".join(lines + ["}", ""])

    def entry_flat(self, arrays: list[str], run: bool = True) -> list[str]:
        """The contiguous fast path: every operand C-contiguous of the full shape (or a
        statically broadcast scalar). `run=False`: only the test, into `flat`."""
        k = self.kernel
        nin, nout, nd = len(k.inputs), len(k.outputs), k.ndim
        lines = ["    int flat = 1;"]
        for j, a in enumerate(arrays):
            if j < nin and (self.scalar_inputs[j] or j not in self.loaded):
                continue  # read once, or never: any layout will do
            lines.append(f"    flat = flat && ({a}->flags & 1);")
            if j < nin:
                lines.append(f"    for (int d = 0; d < {nd}; d++) "
                             f"flat = flat && {a}->dims[d] == shape[d];")
        if not run:
            return lines
        ptrs = [f"(const {self.in_type(j)} *)a{j}->data" for j in range(nin)]
        if not k.is_reduction:
            ptrs += [f"({self.out_type(j)} *)o{j}->data" for j in range(nout)]
            return (lines + ["    if (flat) {"] +
                    self.run_range(f"{self.name}_flat", "n", ", ".join(ptrs), "        ") +
                    ["        return;", "    }"])
        accs = [(self.type_name(self.acc_dtype(j)), j) for j in range(nout)]
        lines += ["    if (flat) {", "        int nparts = 1;"]
        lines += [f"        {t} part{j}[{MAX_THREADS}];" for t, j in accs]
        body = self.run_range(f"{self.name}_flatred", "n", ", ".join(ptrs), "        ",
                              partial="part0")
        if nout > 1:  # every output's partial result, per thread
            extra = ", ".join(f"&part{j}[t]" for j in range(1, nout))
            extra0 = ", ".join(f"&part{j}[0]" for j in range(1, nout))
            body = [ln.replace("&part0[t])", f"&part0[t], {extra})")
                    .replace("&part0[0])", f"&part0[0], {extra0})") for ln in body]
        lines += body
        for t, j in accs:
            lines += [f"        {t} acc{j} = part{j}[0];",
                      f"        for (int p = 1; p < nparts; p++) "
                      f"acc{j} = {self.combine(j, f'acc{j}', f'part{j}[p]')};",
                      f"        (({self.out_type(j)} *)o{j}->data)[0] = "
                      f"({self.out_type(j)})acc{j};"]
        return lines + ["        return;", "    }"]

    def entry_shape(self) -> list[str]:
        """Fill `shape`: the output's dims (elementwise) or the inputs' broadcast."""
        k = self.kernel
        nd = k.ndim
        if not k.is_reduction:
            return [f"    for (int d = 0; d < {nd}; d++) shape[d] = o0->dims[d];"]
        lines = [f"    for (int d = 0; d < {nd}; d++) {{", "        shape[d] = 1;"]
        lines += [f"        if (a{j}->dims[d] != 1) shape[d] = a{j}->dims[d];"
                  for j in range(len(k.inputs))]
        return lines + ["    }"]

    def entry_strides(self, arrays: list[str]) -> list[str]:
        """Fill `data` and `st` (bytes; 0 on broadcast dims; outputs 0 on reduced dims)."""
        k = self.kernel
        nd, nin = k.ndim, len(k.inputs)
        lines = [f"    char *data[{len(arrays)}];",
                 # a 0-d kernel sets neither array: zeroed, so that no -O level warns
                 # of an uninitialised read in the path it is handed to (never read)
                 f"    long long st[{max(len(arrays) * nd, 1)}]{' = {0}' if nd == 0 else ''};"]
        kept = [d for d in range(nd) if d not in k.reduce_axes]
        for j, a in enumerate(arrays):
            lines.append(f"    data[{j}] = {a}->data;")
            if j < nin or not k.is_reduction:
                lines.append(f"    for (int d = 0; d < {nd}; d++) st[{j * nd} + d] = "
                             f"{a}->dims[d] == 1 ? 0 : {a}->strides[d];")
                continue
            for d in range(nd):
                src = f"{a}->strides[{kept.index(d)}]" if d in kept else "0"
                if d in kept:
                    src = f"({a}->dims[{kept.index(d)}] == 1 ? 0 : {src})"
                lines.append(f"    st[{j * nd + d}] = {src};")
        return lines
