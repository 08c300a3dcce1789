"""Reduction paths of the C renderer (a mixin of `render.CRenderer`).

Accumulators start at the kind's identity (or -inf/+inf, the integer extremes, for
maximum/minimum), combine with NaN propagation for maximum/minimum, and live in
LANES fixed lanes in vectorised loops, so the summation order depends on the shape
and the thread count only, never on the data's address.
"""

from __future__ import annotations

from tensordsl.backends.c.lowering import c_const
from tensordsl.backends.cfamily import reduce_expr
from tensordsl.kernel.reductions import REDUCTIONS

LANES = 16  # accumulator lanes of vectorised reduction loops (fixed => deterministic)
TILE = 256  # kept elements of the last dim accumulated at once by the rows path


class ReductionPaths:
    """`flat_reduction`, `strided_reduction` and `rows_reduction` plus the accumulator
    helpers."""

    def acc_dtype(self, j: int) -> str:
        k = self.kernel
        kind = REDUCTIONS[k.reduce_kinds[j]]
        if kind.accumulates and k.acc_dtypes:
            return k.acc_dtypes[j]
        if kind.logical:
            return "bool"
        return k.body[k.outputs[j]].dtype

    def acc_init(self, j: int) -> str:
        kind, dtype = self.kernel.reduce_kinds[j], self.acc_dtype(j)
        return c_const(reduce_expr.start_value(kind, dtype), dtype)

    def combine(self, j: int, acc: str, value: str) -> str:
        """`acc` updated with `value` (already of the accumulator dtype)."""
        return reduce_expr.combine(self.kernel.reduce_kinds[j], self.acc_dtype(j), acc, value)

    def acc_value(self, j: int) -> str:
        dtype = self.acc_dtype(j)
        value = f"v{self.kernel.outputs[j]}"
        if REDUCTIONS[self.kernel.reduce_kinds[j]].logical:
            return f"({value} != 0)"
        if self.kernel.body[self.kernel.outputs[j]].dtype != dtype:
            return f"(({self.type_name(dtype)}){value})"
        return value

    def flat_reduction(self) -> str:
        """Full reduction of a contiguous block [lo, hi): LANES lanes, then the tail."""
        k = self.kernel
        nout = len(k.outputs)
        hoisted, load = self.flat_loads("i + l")
        _, tail_load = self.flat_loads("i")
        accs = [(self.type_name(self.acc_dtype(j)), j) for j in range(nout)]
        lines = [self.path_head(f"{self.name}_flatred", self.flat_params(reduce=True)), "{",
                 *hoisted, "    long long i = lo;"]
        lines += [f"    {t} lane{j}[{LANES}];" for t, j in accs]
        lines += [f"    for (int l = 0; l < {LANES}; l++) {{"]
        lines += [f"        lane{j}[l] = {self.acc_init(j)};" for _, j in accs]
        lines += ["    }", f"    for (; i + {LANES} <= hi; i += {LANES}) {{"]
        lines += ["        " + p for p in self.pragma("simd")]
        lines += [f"        for (int l = 0; l < {LANES}; l++) {{"]
        lines += self.body(load, "            ")
        lines += [f"            lane{j}[l] = {self.combine(j, f'lane{j}[l]', self.acc_value(j))};"
                  for _, j in accs]
        lines += ["        }", "    }"]
        lines += [f"    {t} acc{j} = lane{j}[0];" for t, j in accs]
        lines += [f"    for (int l = 1; l < {LANES}; l++) {{"]
        lines += [f"        acc{j} = {self.combine(j, f'acc{j}', f'lane{j}[l]')};"
                  for _, j in accs]
        lines += ["    }", "    for (; i < hi; i++) {"]
        lines += self.body(tail_load, "        ")
        lines += [f"        acc{j} = {self.combine(j, f'acc{j}', self.acc_value(j))};"
                  for _, j in accs]
        lines += ["    }"]
        lines += [f"    *res{j} = acc{j};" for _, j in accs]
        return "\n".join(lines + ["}", ""])

    def strided_reduction(self) -> str:
        """Kept dims outer (parallel), reduced dims inner. The innermost reduced dim runs
        in LANES-wide steps into fixed lanes (vectorised, and an order that does not
        depend on the data's address), its tail into one accumulator; the lanes are then
        combined in order, then the tail."""
        k = self.kernel
        nin, nout = len(k.inputs), len(k.outputs)
        kept = [d for d in range(k.ndim) if d not in k.reduce_axes]
        red = list(k.reduce_axes)
        last = red[-1]
        accs = [(self.type_name(self.acc_dtype(j)), j) for j in range(nout)]
        lines = [self.path_head(f"{self.name}_reduce", self.strided_params()), "{"]
        outer, ind = self.loop_nest(kept, "    ", True, False)
        lines += outer
        lines += [f"{ind}{t} acc{j} = {self.acc_init(j)};" for t, j in accs]
        lines += [f"{ind}{t} lane{j}[{LANES}];" for t, j in accs]
        lines += [f"{ind}for (int l = 0; l < {LANES}; l++) {{"]
        lines += [f"{ind}    lane{j}[l] = {self.acc_init(j)};" for _, j in accs]
        lines += [f"{ind}}}"]
        inner, ind2 = self.loop_nest(red[:-1], ind, False, False)
        dims = kept + red
        lines += inner
        lines += [f"{ind2}long long i{last} = 0;",
                  f"{ind2}for (; i{last} + {LANES} <= shape[{last}]; i{last} += {LANES}) {{"]
        lines += [ind2 + "    " + p for p in self.pragma("simd")]
        lines += [f"{ind2}    for (int l = 0; l < {LANES}; l++) {{"]
        load = [f"*(const {self.in_type(j)} *){self.strided_access(j, dims, last)}"
                for j in range(nin)]
        lines += self.body(load, ind2 + "        ")
        lines += [f"{ind2}        lane{j}[l] = "
                  f"{self.combine(j, f'lane{j}[l]', self.acc_value(j))};" for _, j in accs]
        lines += [f"{ind2}    }}", f"{ind2}}}", f"{ind2}for (; i{last} < shape[{last}]; "
                                                  f"i{last}++) {{"]
        load = [f"*(const {self.in_type(j)} *){self.strided_access(j, dims)}"
                for j in range(nin)]
        lines += self.body(load, ind2 + "    ")
        lines += [f"{ind2}    acc{j} = {self.combine(j, f'acc{j}', self.acc_value(j))};"
                  for _, j in accs]
        lines += [f"{ind2}}}"]
        for depth in range(len(red) - 1, 0, -1):
            lines.append("    " * (len(kept) + depth) + "}")
        for t, j in accs:
            lines += [f"{ind}{t} all{j} = lane{j}[0];",
                      f"{ind}for (int l = 1; l < {LANES}; l++) "
                      f"all{j} = {self.combine(j, f'all{j}', f'lane{j}[l]')};",
                      f"{ind}all{j} = {self.combine(j, f'all{j}', f'acc{j}')};"]
        lines += [f"{ind}*({self.out_type(j)} *){self.strided_access(nin + j, kept)} = "
                  f"({self.out_type(j)})all{j};" for j in range(nout)]
        for depth in range(len(kept), 0, -1):
            lines.append("    " * depth + "}")
        return "\n".join(lines + ["}", ""])

    def has_rows_path(self) -> bool:
        """True when the last dim is kept: `rows_reduction` can then run along it."""
        k = self.kernel
        return k.ndim >= 2 and k.ndim - 1 not in k.reduce_axes

    def rows_unit(self) -> str:
        """C condition for the rows path: every input contiguous along the last dim
        (inputs statically broadcast along it are read once per row)."""
        k = self.kernel
        nd, last = k.ndim, k.ndim - 1
        conds = [f"st[{j * nd + last}] == sizeof({self.in_type(j)})"
                 for j in sorted(self.loaded) if not k.inputs[j].broadcastable[last]]
        return " && ".join(conds) or "1"

    def rows_reduction(self) -> str:
        """Reductions that keep the last dim (a sum over rows, `x.sum(axis=0)`): tiles of
        TILE kept elements, the reduced dims looped around a contiguous `omp simd` loop
        that adds each row into the tile's accumulators. Every output element is
        accumulated over the reduced indices in row-major order, one after the other
        (numpy's order for such reductions), whatever the tiling and the threads; the
        strided path would instead walk down each column with a stride."""
        k = self.kernel
        nin, nout, nd = len(k.inputs), len(k.outputs), k.ndim
        last = nd - 1
        kept = [d for d in range(nd) if d not in k.reduce_axes]
        red = list(k.reduce_axes)
        outer = kept[:-1]
        accs = [(self.type_name(self.acc_dtype(j)), j) for j in range(nout)]
        lines = [self.path_head(f"{self.name}_reduce_rows", self.strided_params()), "{"]
        nest, ind = self.loop_nest(outer, "    ", True, False)
        lines += nest
        span = ("lo", "hi") if not outer else ("0", f"shape[{last}]")
        lines += [f"{ind}for (long long t0 = {span[0]}; t0 < {span[1]}; t0 += {TILE}) {{",
                  f"{ind}    long long tn = {span[1]} - t0 < {TILE} ? {span[1]} - t0 : {TILE};"]
        ind1 = ind + "    "
        lines += [f"{ind1}{t} acc{j}[{TILE}];" for t, j in accs]
        lines += [f"{ind1}for (long long i = 0; i < tn; i++) {{"]
        lines += [f"{ind1}    acc{j}[i] = {self.acc_init(j)};" for _, j in accs]
        lines += [f"{ind1}}}"]
        inner, ind2 = self.loop_nest(red, ind1, False, False)
        lines += inner
        dims = outer + red
        steady = [k.inputs[j].broadcastable[last] for j in range(nin)]
        for j in sorted(self.loaded):  # an input read only for its shape: no pointer
            base = self.strided_access(j, dims)
            if steady[j]:
                lines.append(f"{ind2}const {self.in_type(j)} h{j} = "
                             f"*(const {self.in_type(j)} *){base};")
            else:
                lines.append(f"{ind2}const {self.in_type(j)} *p{j} = "
                             f"(const {self.in_type(j)} *)({base} + t0 * st[{j * nd + last}]);")
        lines += [ind2 + p for p in self.pragma("simd")]
        lines += [f"{ind2}for (long long i = 0; i < tn; i++) {{"]
        lines += self.body([f"h{j}" if steady[j] else f"p{j}[i]" for j in range(nin)],
                           ind2 + "    ")
        lines += [f"{ind2}    acc{j}[i] = {self.combine(j, f'acc{j}[i]', self.acc_value(j))};"
                  for _, j in accs]
        lines += [f"{ind2}}}"]
        lines += ["    " * (len(outer) + 1 + depth) + "}" for depth in range(len(red), 0, -1)]
        lines += [f"{ind1}for (long long i = 0; i < tn; i++) {{"]
        for j in range(nout):
            a = nin + j
            lines.append(f"{ind1}    *({self.out_type(j)} *)({self.strided_access(a, outer)} + "
                         f"(t0 + i) * st[{a * nd + last}]) = ({self.out_type(j)})acc{j}[i];")
        lines += [f"{ind1}}}", f"{ind}}}"]
        lines += ["    " * depth + "}" for depth in range(len(outer), 0, -1)]
        return "\n".join(lines + ["}", ""])
