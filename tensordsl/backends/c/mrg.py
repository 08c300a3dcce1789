"""The C backend's rule for MRGUniform (Theano's mrg_uniform): the draw as one C call.

Semantics are those of the op's numpy `perform` (`sandbox/rng_mrg.py`), which equals
Theano's values: sample i comes from stream i % n_streams, each stream advancing one
MRG31k3p step per sample it gives, in sample order; streams past the sample count do not
move. The new state is a new array (the op never changes its input state).

The unit is a fixed template (`mrg_source.STEP`, the sample dtype is the only choice):
the streams are taken in blocks of BLOCK; a block copies its states into local arrays,
one per component, then walks the rounds r = 0, 1, ... writing samples r * n_streams + s
for its streams (contiguous stores), and finally stores the new states. The step is
branch-free, so gcc vectorises the loop over a block's streams (8 streams per AVX2
instruction): ~1 ns per sample, over 10x the scalar loop of the first version. Blocks
are independent, so OpenMP threads take them when the draw is large; the values do not
depend on the threads. The unit is validated with pycparser and built through the disk cache.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from typing import Any

import numpy as np

from tensordsl.backends.c import cache, runtime, validate
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.mrg_source import DTYPES, STEP, sample_type, to_unit
from tensordsl.backends.c.render import PRELUDE
from tensordsl.backends.c.schedule import Lowered, lowers, unit_of
from tensordsl.config import config
from tensordsl.graph.basic import Apply, Constant
from tensordsl.graph.schedule import InnerCompiler
from tensordsl.sandbox.rng_mrg import MRGUniform

ENTRY = "td_mrg_uniform"
BLOCK = 64  # streams per block: 64 states (1.5 KB) stay in L1 while their rounds run
# samples below this are drawn on one thread: a vectorised draw costs ~1 ns per sample,
# so 2M samples are ~2 ms, well above OpenMP's wake-up (~60 us) on a busy 2-core host
PARALLEL_MIN = 1 << 21


def render_mrg(dtype: str, openmp: bool) -> str:
    """The C99 unit drawing `dtype` samples (no header), entry `td_mrg_uniform`:
    `(state, new_state, out, n, nt)` with the arrays as ndarray heads."""
    t = sample_type(dtype)
    omp = openmp
    lines = [f"/* tensordsl MRG31k3p uniform draw (Theano's mrg_uniform), {dtype} samples */",
             PRELUDE]
    if omp:
        lines.append("int omp_get_max_threads(void);")
    lines += [STEP,
              "/* streams [s0, s1) of n_streams: all their samples of the n, then their new",
              "   states; the block's states are kept component by component (x[c][j]) so",
              "   the loop over its streams vectorises */",
              f"static void td_mrg_block(const int *state, int *next, {t} *out, long long n,",
              "                         long long ns, long long s0, long long s1)",
              "{",
              f"    int x[6][{BLOCK}];",
              "    long long full = n / ns, rest = n % ns, r;",
              "    int j, c, k, m = (int)(s1 - s0);",
              "    int tail = rest <= s0 ? 0 : (rest >= s1 ? m : (int)(rest - s0));",
              "    for (j = 0; j < m; j++)",
              "        for (c = 0; c < 6; c++) x[c][j] = state[(s0 + j) * 6 + c];",
              "    for (r = 0; r < full; r++) {",
              f"        {t} *row = out + r * ns + s0;",
              "        for (j = 0; j < m; j++) {",
              "            k = td_mrg_next(&x[0][j], &x[1][j], &x[2][j], &x[3][j], &x[4][j],",
              "                            &x[5][j]);",
              f"            row[j] = {to_unit(dtype)};",
              "        }",
              "    }",
              "    for (j = 0; j < tail; j++) {  /* the last, partial round */",
              "        k = td_mrg_next(&x[0][j], &x[1][j], &x[2][j], &x[3][j], &x[4][j],",
              "                        &x[5][j]);",
              f"        out[full * ns + s0 + j] = {to_unit(dtype)};",
              "    }",
              "    for (j = 0; j < m; j++)",
              "        for (c = 0; c < 6; c++) next[(s0 + j) * 6 + c] = x[c][j];",
              "}",
              "",
              f"void {ENTRY}(td_array *state_a, td_array *next_a, td_array *out_a, "
              "long long n, int nt)",
              "{",
              "    const int *state = (const int *)state_a->data;",
              "    int *next = (int *)next_a->data;",
              f"    {t} *out = ({t} *)out_a->data;",
              "    long long ns = state_a->dims[0];",
              f"    long long nb = (ns + {BLOCK - 1}) / {BLOCK}, b;",
              "    if (ns == 0) return;"]
    if omp:
        lines.append("#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)")
    lines += ["    for (b = 0; b < nb; b++) {",
              f"        long long s0 = b * {BLOCK};",
              f"        long long s1 = s0 + {BLOCK} < ns ? s0 + {BLOCK} : ns;",
              "        td_mrg_block(state, next, out, n, ns, s0, s1);",
              "    }",
              "    (void)nt;",
              "}",
              "",
              "int td_mrg_threads(void) { return "
              + ("omp_get_max_threads(); }" if omp else "1; }"),
              ""]
    return "\n".join(lines)


@functools.cache
def _library(dtype: str, openmp: bool, cxx: str, cflags: str, compiledir: Any
             ) -> tuple[Any, int, str]:
    """(entry, max threads, library path) of the `dtype` unit, built once per process
    (and once per machine through the disk cache)."""
    source = render_mrg(dtype, openmp)
    # found by its key when the function's bundle built it (`_mrg_unit`)
    path, symbol = cache.get_entry(source, ENTRY, validate.check_source)
    runtime.check_layout()
    lib = ctypes.CDLL(path)  # CDLL: the GIL is released while a draw runs
    fn = getattr(lib, symbol)
    fn.argtypes = [ctypes.py_object] * 3 + [ctypes.c_longlong, ctypes.c_int]
    fn.restype = None
    threads = getattr(lib, cache.private_symbol(THREADS, ENTRY, symbol))
    threads.restype = ctypes.c_int
    return fn, max(1, int(threads())), path


class MRGRunner:
    """The checked caller of an MRGUniform node: `call([state(, size)])` ->
    [new state, samples]. `size` is read from the graph when it is a constant (the
    node's input list then holds the state only). `calls` counts the compiled draws
    (tests read it)."""

    def __init__(self, node: Apply) -> None:
        op = node.op
        self.op, self.node = op, node
        self.dtype = np.dtype(op.dtype)
        size = node.inputs[1]
        self.size = size.data if isinstance(size, Constant) else None
        self.entry = ENTRY
        self.source = render_mrg(op.dtype, config.openmp)
        self.fn, self.max_threads, self.library = _library(
            op.dtype, config.openmp, config.cxx, f"{config.cflags} {config.c_march}",
            config.compiledir)
        self.calls = 0
        self.spare: np.ndarray | None = None  # the last large sample buffer

    def call(self, arrays: list[Any]) -> list[Any]:
        """The draw: checks as `perform` does, then one foreign call."""
        rstate = arrays[0]
        if not isinstance(rstate, np.ndarray):
            rstate = np.asarray(rstate)
        size = self.size if self.size is not None else arrays[1]
        shape, n = self.op.check_draw(rstate, size)
        state = np.ascontiguousarray(rstate)
        if type(state) is not np.ndarray:
            state = state.view(np.ndarray)
        new = np.empty(state.shape, np.int32)
        out = self.buffer(shape)
        nt = min(self.max_threads, 64) if n >= PARALLEL_MIN else 1
        self.fn(state, new, out, n, nt)
        self.calls += 1
        if out.nbytes >= runtime.RECYCLE_BYTES:
            self.spare = out
        return [new, out]

    def buffer(self, shape: tuple[int, ...]) -> np.ndarray:
        """The samples' buffer: the last call's when nobody else holds it any more (as
        `runtime.KernelRunner.buffer`: megabytes of fresh pages cost faults every call)."""
        spare, self.spare = self.spare, None
        if spare is not None and sys.getrefcount(spare) == 2 and spare.shape == shape:
            return spare
        return np.empty(shape, self.dtype)


THREADS = "td_mrg_threads"  # the unit's other exported name


@unit_of(MRGUniform)
def _mrg_unit(node: Apply, inner: InnerCompiler | None) -> cache.Unit | None:
    """The draw's unit, for the function's bundle build (`schedule.prebuild`)."""
    if node.op.dtype not in DTYPES:
        return None
    return cache.Unit(render_mrg(node.op.dtype, config.openmp), ENTRY, private=(THREADS,))


@lowers(MRGUniform)
def _mrg_uniform(node: Apply, inner: InnerCompiler | None) -> Lowered:
    """The compiled draw, or Unsupported (float16 samples: the host perform)."""
    if node.op.dtype not in DTYPES:
        raise Unsupported(f"{node.op.dtype} samples")
    runner = MRGRunner(node)
    return runner, [0] if runner.size is not None else [0, 1]


__all__ = ["ENTRY", "MRGRunner", "render_mrg"]
