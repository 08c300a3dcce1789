"""Kernel IR -> one OpenCL C program (the scalar body from the shared C-family lowering).

Per elementwise kernel the program has two `__kernel`s, one work-item per element:
* `<name>_flat`: every operand contiguous of the full shape, or a statically broadcast
  scalar: `in[off + i]`;
* `<name>_strided`: any shape and element strides (broadcast dims have stride 0;
  transposed, sliced and negative strides work), passed as `long` kernel arguments;
  the global id is unravelled over the shape (last dim fastest).
Outputs are always new contiguous arrays, indexed by the flat id.

Per reducing kernel (`reduce_axes`): `<name>_part` runs `G` work-groups per output
element; each work-item accumulates a strided share of its group's chunk of the
reduced range, then the group combines its items' values in a tree in local memory
(a fixed order, so the result depends on the shape and launch sizes only, never on
timing). With G == 1 the group writes the output (`<name>_final`); otherwise it
writes a partial and `<name>_combine` reduces the G partials of each output the same
way. Accumulators start at the kind's identity (-inf/+inf or the integer extremes for
maximum/minimum) and maximum/minimum propagate NaN, as numpy does.

Floating-point contraction is off (`FP_CONTRACT OFF`): a*b+c is two roundings, as in
numpy and the C backend (-ffp-contract=off).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from tensordsl.backends.c.render import sanitize_comment
from tensordsl.backends.cfamily import reduce_expr
from tensordsl.backends.cfamily.dialect import (
    OPENCL,
    OpenCLDialect,
    OpenCLVectorDialect,
    Unsupported,
    is_float,
)
from tensordsl.backends.cfamily.lowering import Lowering
from tensordsl.backends.opencl import erf64, explog
from tensordsl.backends.opencl.tuning import BUILTIN, KernelTuning
from tensordsl.kernel.ir import Kernel
from tensordsl.ops.scalar import SCALAR_OPS

# Elements per work-item of the vector path by default (tuning.py: 16 on PoCL's CPU
# devices). PoCL evaluates its math builtins one
# element at a time inside a scalar kernel but calls its SLEEF vector variants on
# vector arguments: on the 2-core development host, exp/log/erf of 1M doubles took
# 27/61/60 ms as scalars and 4.8/9.5/10-17 ms as double8 (docs/opencl.md).
VECTOR_WIDTH = BUILTIN.vector_width
# Ops whose lowering is the same expression on vectors (float in, same float out; no
# branches in helpers, no bool values). Anything else keeps the kernel scalar. Not pow,
# sin, cos, tan: PoCL 3.0's vector variants let one lane's special value corrupt the
# others (double8 pow(0.25, 1) = inf beside a pow(0, 1) lane; float8 sin(0.0038) off
# by 1815 ulp beside an inf lane), found by the tests and a lane probe (docs/opencl.md).
VECTOR_OPS = frozenset(
    "add sub mul true_div neg abs sqr maximum minimum clip identity second exp exp2 log "
    "log2 log10 log1p expm1 sqrt arcsin arccos arctan sinh cosh tanh arcsinh "
    "arccosh arctanh erf erfc sigmoid softplus reciprocal rsqrt floor ceil trunc "
    "round_half_to_even arctan2".split())


def vector_dtype(kernel: Kernel) -> str | None:
    """The float dtype of `kernel` when the vector path can run it: elementwise, every
    input, computed value and output of that one float dtype (a float64 kernel may
    hold float32 constants: a scalar literal converts), every op in VECTOR_OPS."""
    if kernel.is_reduction:
        return None
    dtypes = {x.dtype for x in kernel.inputs} | {n.dtype for n in kernel.body
                                                 if n.kind != "const"}
    dtypes |= set(kernel.output_dtypes)
    if len(dtypes) != 1 or not is_float(next(iter(dtypes))):
        return None
    # a constant may be narrower (a float32 literal in a float64 kernel), never wider: a
    # float64 constant would make float32 ops compute in double (mixed vector types)
    allowed = {"float32", next(iter(dtypes))}
    if any(n.kind == "const" and n.dtype not in allowed for n in kernel.body):
        return None
    if any(n.kind == "op" and n.op.name not in VECTOR_OPS for n in kernel.body):  # type: ignore
        return None
    return next(iter(dtypes))


# ops whose float lowering is an inline helper where KernelTuning.inline_math says so
INLINE_MATH_OPS = frozenset(["exp", "log", "sqrt"])


class OpenCLLowering(Lowering):
    """The shared C-family lowering, except:
    * float64 erf: Cody's one-division rational approximation (erf64.py) instead of the
      builtin, whose SLEEF double-double version was 76% of the float64 Black-Scholes
      kernel on PoCL;
    * with `inline_math` (tuning.py), float exp and log as explog.py's inline helpers and
      sqrt as `__builtin_sqrt` per lane (the builtins are out-of-line calls on PoCL).
    Scalar and vector kernels use the same formulas, so an element's result does not
    depend on which path ran it."""

    def __init__(self, dialect: OpenCLDialect, inline_math: bool = False) -> None:
        super().__init__(dialect)
        self.inline_math = inline_math

    def lower_op(self, op_name: str, args: list[tuple[str, str]], out_dtype: str,
                 compute_in_out: bool) -> str:
        """As Lowering.lower_op; erf computed in float64 goes through erf64's helper, and
        exp/log/sqrt through the inline helpers with `inline_math`."""
        cd = out_dtype if compute_in_out else np.result_type(*[d for _, d in args]).name
        ours = (op_name == "erf" and cd == "float64") or (
            self.inline_math and op_name in INLINE_MATH_OPS and cd in ("float32", "float64"))
        if not ours or len(args) != 1:
            return super().lower_op(op_name, args, out_dtype, compute_in_out)
        self.type(out_dtype)
        (expr, dtype), = args
        arg = expr if dtype == cd else self.convert(expr, cd)
        if op_name == "erf":
            exp = self.math_helper("exp", cd) if self.inline_math else "exp"
            name = self.helper(erf64.NAME, erf64.helper_source(self.type(cd), exp))
        else:
            name = self.math_helper(op_name, cd)
        return self.convert(f"{name}({arg})", out_dtype)

    def math_helper(self, op_name: str, dtype: str) -> str:
        """Register the inline helper of `op_name` ("exp", "log", "sqrt") for `dtype`
        over this dialect's (vector) type; return its name."""
        t = self.type(dtype)
        if op_name == "exp":
            return self.helper(explog.name("exp", dtype), explog.exp_source(t))
        if op_name == "log":
            return self.helper(explog.name("log", dtype), explog.log_source(t))
        return self.helper(explog.name("sqrt", dtype), explog.sqrt_source(t))


LANES = "0123456789abcdef"  # OpenCL's vector component names .s0 ... .sf


def inlined(helpers: Iterable[str], force: bool) -> list[str]:
    """The helpers' texts, marked always_inline when `force` (KernelTuning.inline_math):
    PoCL left `td_erf_f64` an out-of-line call (spilling every live vector register
    around it) although it is `static inline`. Other devices' compilers decide alone."""
    if not force:
        return list(helpers)
    return [re.sub(r"^static (inline )?", "static inline __attribute__((always_inline)) ", h)
            for h in helpers]


def uses_float64(kernel: Kernel) -> bool:
    """True when any value of `kernel` (input, body, output, accumulator) is float64."""
    dtypes = [x.dtype for x in kernel.inputs] + [n.dtype for n in kernel.body]
    dtypes += list(kernel.output_dtypes) + list(kernel.acc_dtypes)
    return "float64" in dtypes


def prelude(fp64: bool) -> list[str]:
    """The program's first lines: fp64 enabled when used, no contraction."""
    lines = ["#pragma OPENCL FP_CONTRACT OFF"]
    if fp64:
        lines.insert(0, "#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
    return lines


class OpenCLRenderer:
    """Renders a Kernel as an OpenCL C program."""

    dialect = OPENCL

    def __init__(self, tuning: KernelTuning = BUILTIN) -> None:
        self.tuning = tuning

    def render(self, kernel: Kernel, name: str = "td") -> str:
        """The program text; its kernels are named `<name>_...`."""
        self.kernel = kernel
        self.name = name
        self.low = OpenCLLowering(OPENCL, self.tuning.inline_math)
        self.scalar_inputs = [all(x.broadcastable) for x in kernel.inputs]
        if kernel.is_reduction:
            funcs = [self.reduce_kernel(final=False), self.reduce_kernel(final=True),
                     self.combine_kernel()]
        else:
            funcs = [self.flat_kernel(), self.strided_kernel()]
        ops = ",".join(n.op.name for n in kernel.body if n.kind == "op")  # type: ignore
        header = (f"/* tensordsl kernel {sanitize_comment(kernel.name)}: {kernel.ndim}-d, "
                  f"{len(kernel.inputs)} in, {len(kernel.outputs)} out, ops "
                  f"{sanitize_comment(ops)} */")
        return "\n".join([header, *prelude(uses_float64(kernel)), "",
                          *inlined(self.low.helpers.values(), self.tuning.inline_math), *funcs])

    def render_vector(self, kernel: Kernel, name: str = "td",
                      width: int | None = None) -> str | None:
        """The vector program of `kernel` (`<name>_vec`: `width` contiguous elements per
        work-item, by default the tuning's), or None when `vector_dtype(kernel)` says it
        cannot have one."""
        if vector_dtype(kernel) is None:
            return None
        width = width or self.tuning.vector_width
        self.kernel = kernel
        self.name = name
        self.low = OpenCLLowering(OpenCLVectorDialect(width), self.tuning.inline_math)
        self.scalar_inputs = [all(x.broadcastable) for x in kernel.inputs]
        try:
            func = self.vector_kernel(width)
        except Unsupported:
            return None
        header = (f"/* tensordsl kernel {sanitize_comment(kernel.name)}: {width}-wide vector "
                  f"path */")
        return "\n".join([header, *prelude(uses_float64(kernel)), "",
                          *inlined(self.low.helpers.values(), self.tuning.inline_math), func])

    def vector_kernel(self, width: int) -> str:
        k = self.kernel
        vtype = self.low.type(k.output_dtypes[0])
        params = ["const long nv"]
        for j in range(len(k.inputs)):
            params += [f"__global const {self.in_type(j)} *in{j}", f"const long off{j}"]
        params += [f"__global {self.out_type(j)} *out{j}" for j in range(len(k.outputs))]
        # a vector built from `width` scalar loads, not vload{width}: PoCL 3.0 calls its
        # vloadN as an out-of-line function (a third of the float32 Black-Scholes kernel's
        # time), while LLVM merges the scalar loads into one unaligned vector load
        load = [f"(({vtype})(in{j}[off{j}]))" if s else
                f"(({vtype})({', '.join(f'in{j}[p{j} + {e}]' for e in range(width))}))"
                for j, s in enumerate(self.scalar_inputs)]
        lines = [f"__kernel void {self.name}_vec({', '.join(params)})", "{",
                 "    const long i = get_global_id(0);", "    if (i >= nv) return;"]
        lines += [f"    const long p{j} = off{j} + {width} * i;"
                  for j, s in enumerate(self.scalar_inputs) if not s]
        lines += self.body(load, "    ")
        # stores lane by lane for the same reason (PoCL calls vstoreN out of line)
        # (a constant output is a scalar: stored as it is in every lane)
        lines += [f"    out{j}[{width} * i + {e}] = v{o}"
                  f"{'' if k.body[o].kind == 'const' else '.s' + LANES[e]};"
                  for j, o in enumerate(k.outputs) for e in range(width)]
        return "\n".join(lines + ["}", ""])

    # -- types -------------------------------------------------------------------------
    def type_name(self, dtype: str) -> str:
        return self.dialect.type_name(dtype)

    def value_type(self, dtype: str) -> str:
        """Loop-body values: a bool is an int 0/1 (what OpenCL comparisons return); in
        the vector path a float value is the dialect's vector type."""
        return "int" if dtype == "bool" else self.low.type(dtype)

    def in_type(self, j: int) -> str:
        return self.type_name(self.kernel.inputs[j].dtype)

    def out_type(self, j: int) -> str:
        return self.type_name(self.kernel.output_dtypes[j])

    # -- the scalar body ---------------------------------------------------------------
    def body(self, load: list[str], indent: str) -> list[str]:
        """`T vI = ...;` lines for the scalar DAG, given each input's load expression."""
        lines = []
        k = self.kernel
        for i, node in enumerate(k.body):
            t = self.value_type(node.dtype)
            if node.kind == "const" and node.dtype != "bool":
                t = self.type_name(node.dtype)  # a scalar, also in the vector path
            if node.kind == "load":
                src = k.inputs[node.input].dtype  # type: ignore[index]
                expr = load[node.input]  # type: ignore[index]
                if src != node.dtype or node.dtype == "bool":
                    expr = self.low.convert(expr, node.dtype)
            elif node.kind == "const":
                expr = self.low.const(node.value, node.dtype)
            else:
                op = node.op
                args = [(f"v{a}", k.body[a].dtype) for a in node.args]
                compute_in_out = SCALAR_OPS.get(op.name, op).compute_in_out  # type: ignore
                expr = self.low.lower_op(op.name, args, node.dtype,  # type: ignore[union-attr]
                                         compute_in_out)
            lines.append(f"{indent}{t} v{i} = {expr};")
        return lines

    def input_params(self, strides: list[str]) -> list[str]:
        """Each input's pointer, element offset and the named element strides."""
        params = []
        for j in range(len(self.kernel.inputs)):
            params += [f"__global const {self.in_type(j)} *in{j}", f"const long off{j}"]
            params += [f"const long st{j}_{s}" for s in strides]
        return params

    def output_store(self, index: str, indent: str) -> list[str]:
        k = self.kernel
        return [f"{indent}out{j}[{index}] = "
                f"{self.low.convert(f'v{o}', k.output_dtypes[j])};"
                for j, o in enumerate(k.outputs)]

    # -- elementwise -------------------------------------------------------------------
    def flat_kernel(self) -> str:
        k = self.kernel
        params = ["const long n", "const long base"]  # base: where the vector path ended
        for j in range(len(k.inputs)):
            params += [f"__global const {self.in_type(j)} *in{j}", f"const long off{j}"]
        params += [f"__global {self.out_type(j)} *out{j}" for j in range(len(k.outputs))]
        load = [f"in{j}[off{j}]" if s else f"in{j}[off{j} + i]"
                for j, s in enumerate(self.scalar_inputs)]
        lines = [f"__kernel void {self.name}_flat({', '.join(params)})", "{",
                 "    const long i = base + get_global_id(0);", "    if (i >= n) return;"]
        lines += self.body(load, "    ") + self.output_store("i", "    ")
        return "\n".join(lines + ["}", ""])

    def strided_kernel(self) -> str:
        k = self.kernel
        nd = k.ndim
        params = ["const long n"] + [f"const long sh{d}" for d in range(nd)]
        params += self.input_params([str(d) for d in range(nd)])
        params += [f"__global {self.out_type(j)} *out{j}" for j in range(len(k.outputs))]
        lines = [f"__kernel void {self.name}_strided({', '.join(params)})", "{",
                 "    const long i = get_global_id(0);", "    if (i >= n) return;"]
        lines += [f"    long p{j} = off{j};" for j in range(len(k.inputs))]
        if nd:
            lines.append("    long r = i, c;")
        for d in reversed(range(nd)):  # unravel: the last dim moves fastest
            lines.append(f"    c = r % sh{d}; r /= sh{d};" if d else "    c = r;")
            lines += [f"    p{j} += c * st{j}_{d};" for j in range(len(k.inputs))]
        load = [f"in{j}[p{j}]" for j in range(len(k.inputs))]
        lines += self.body(load, "    ") + self.output_store("i", "    ")
        return "\n".join(lines + ["}", ""])

    # -- reductions ----------------------------------------------------------------------
    def kept(self) -> list[int]:
        return [d for d in range(self.kernel.ndim) if d not in self.kernel.reduce_axes]

    def acc_dtype(self, j: int) -> str:
        k = self.kernel
        if k.reduce_kinds[j] in ("add", "mul") and k.acc_dtypes:
            return k.acc_dtypes[j]
        if k.reduce_kinds[j] in ("and_", "or_"):
            return "bool"
        return k.body[k.outputs[j]].dtype

    def acc_init(self, j: int) -> str:
        kind, dtype = self.kernel.reduce_kinds[j], self.acc_dtype(j)
        return self.low.const(reduce_expr.start_value(kind, dtype), dtype)

    def combine(self, j: int, acc: str, value: str) -> str:
        """`acc` combined with `value` (both of the accumulator dtype)."""
        return reduce_expr.combine(self.kernel.reduce_kinds[j], self.acc_dtype(j), acc, value)

    def acc_types(self) -> list[str]:
        return [self.value_type(self.acc_dtype(j)) for j in range(len(self.kernel.outputs))]

    def tree(self, accs: list[str], indent: str) -> list[str]:
        """Combine local[0..L) into local[0]: a fixed pairwise tree (L a power of two)."""
        nout = len(self.kernel.outputs)
        lines = [f"{indent}barrier(CLK_LOCAL_MEM_FENCE);",
                 f"{indent}for (int s = L / 2; s > 0; s >>= 1) {{",
                 f"{indent}    if (l < s) {{"]
        lines += [f"{indent}        loc{j}[l] = "
                  f"{self.combine(j, f'loc{j}[l]', f'loc{j}[l + s]')};" for j in range(nout)]
        return lines + [f"{indent}    }}", f"{indent}    barrier(CLK_LOCAL_MEM_FENCE);",
                        f"{indent}}}"]

    def reduce_kernel(self, final: bool) -> str:
        """`_part` (final=False, writes acc partials) or `_final` (writes outputs)."""
        k = self.kernel
        kept, red = self.kept(), list(k.reduce_axes)
        nout = len(k.outputs)
        accs = self.acc_types()
        params = ["const long R", "const long G", "const long chunk"]
        params += [f"const long ks{d}" for d in kept] + [f"const long rs{d}" for d in red]
        params += self.input_params([str(d) for d in kept + red])
        if final:
            params += [f"__global {self.out_type(j)} *out{j}" for j in range(nout)]
        else:
            params += [f"__global {self.type_name(self.acc_dtype(j))} *part{j}"
                       for j in range(nout)]
        params += [f"__local {accs[j]} *loc{j}" for j in range(nout)]
        suffix = "final" if final else "part"
        lines = [f"__kernel void {self.name}_{suffix}({', '.join(params)})", "{",
                 "    const long grp = get_group_id(0);",
                 "    const long m = grp / G, g = grp % G;",
                 "    const int l = get_local_id(0), L = get_local_size(0);"]
        lines += [f"    long b{j} = off{j};" for j in range(len(k.inputs))]
        if kept:
            lines.append("    long r = m, c;")
        for d in reversed(kept):
            lines.append(f"    c = r % ks{d}; r /= ks{d};")
            lines += [f"    b{j} += c * st{j}_{d};" for j in range(len(k.inputs))]
        lines += [f"    {accs[j]} acc{j} = {self.acc_init(j)};" for j in range(nout)]
        lines += ["    const long lo = g * chunk;",
                  "    const long hi = lo + chunk < R ? lo + chunk : R;",
                  "    for (long t = lo + l; t < hi; t += L) {",
                  "        long q = t, e;"]
        lines += [f"        long p{j} = b{j};" for j in range(len(k.inputs))]
        for pos, d in enumerate(reversed(red)):
            last = pos == len(red) - 1
            lines.append("        e = q;" if last else f"        e = q % rs{d}; q /= rs{d};")
            lines += [f"        p{j} += e * st{j}_{d};" for j in range(len(k.inputs))]
        lines += self.body([f"in{j}[p{j}]" for j in range(len(k.inputs))], "        ")
        for j, o in enumerate(k.outputs):
            value = self.low.convert(f"v{o}", self.acc_dtype(j))
            lines += [f"        acc{j} = {self.combine(j, f'acc{j}', value)};"]
        lines += ["    }"]
        lines += [f"    loc{j}[l] = acc{j};" for j in range(nout)]
        lines += self.tree(accs, "    ")
        lines += ["    if (l == 0) {"]
        for j in range(nout):
            if final:
                lines.append(f"        out{j}[m] = "
                             f"{self.low.convert(f'loc{j}[0]', k.output_dtypes[j])};")
            else:
                lines.append(f"        part{j}[grp] = loc{j}[0];")
        return "\n".join(lines + ["    }", "}", ""])

    def combine_kernel(self) -> str:
        """`_combine`: output m is the tree-combination of its G partials."""
        k = self.kernel
        nout = len(k.outputs)
        accs = self.acc_types()
        params = ["const long G"]
        params += [f"__global const {self.type_name(self.acc_dtype(j))} *part{j}"
                   for j in range(nout)]
        params += [f"__global {self.out_type(j)} *out{j}" for j in range(nout)]
        params += [f"__local {accs[j]} *loc{j}" for j in range(nout)]
        lines = [f"__kernel void {self.name}_combine({', '.join(params)})", "{",
                 "    const long m = get_group_id(0);",
                 "    const int l = get_local_id(0), L = get_local_size(0);"]
        lines += [f"    {accs[j]} acc{j} = {self.acc_init(j)};" for j in range(nout)]
        lines += ["    for (long t = l; t < G; t += L) {"]
        lines += [f"        acc{j} = {self.combine(j, f'acc{j}', f'part{j}[m * G + t]')};"
                  for j in range(nout)]
        lines += ["    }"]
        lines += [f"    loc{j}[l] = acc{j};" for j in range(nout)]
        lines += self.tree(accs, "    ")
        lines += ["    if (l == 0) {"]
        lines += [f"        out{j}[m] = {self.low.convert(f'loc{j}[0]', k.output_dtypes[j])};"
                  for j in range(nout)]
        return "\n".join(lines + ["    }", "}", ""])
