"""The C backend's rules for convolution and max pooling: compiled im2col, col2im and pools.

The conv ops keep their numpy arithmetic (`ops/conv_kernels.py`) and take their window
copies from the compiled unit of `nnet_source.py` instead of numpy's strided copies:
`np.ascontiguousarray` of a 7-d window view and the per-tap `+=` of col2im were most of
a LeNet step's time (docs/nnet.md). Their products go through OpenBLAS, except the few-
filter float32 ones `use_gemm` picks (the forward product and the filter gradient, the
latter on pixel-major columns), which run in the unit's register-blocked `td_nn_gemm`.
A batch slice's work arrays are per-thread scratch arrays on huge pages (`scratch`).
Max pooling (2-d, float32/float64) and its gradient run wholly in C.
The copies equal numpy's bit for bit and the max pool equals numpy's; the conv results
differ from the numpy `perform`'s by rounding only (products over ~1 MB batch slices,
the filter gradient summed over them), as does the max-pool gradient where windows
overlap (its additions run in another order).

The unit is a fixed template per element type, validated with pycparser and built
through the disk cache (joining the function's bundle build, like the MRG draw).
Anything else (integer or mixed dtypes, average pooling, 3-d pooling, byte strides
that are not whole elements) raises Unsupported or falls back to the numpy kernel.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import functools
import itertools
import math
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from tensordsl.backends.c import cache, runtime, threads, validate
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.nnet_source import (
    DTYPES,
    ENTRY,
    GN_BYTES,
    SUFFIXES,
    render_nnet,
)
from tensordsl.backends.c.schedule import Lowered, lowers, unit_of
from tensordsl.config import config
from tensordsl.graph.basic import Apply
from tensordsl.graph.schedule import InnerCompiler
from tensordsl.ops import conv_kernels
from tensordsl.ops.conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    BaseConv2d,
)
from tensordsl.ops.pool import MaxPoolGrad, Pool, PoolBase

# below this many elements touched a call stays on one thread: waking OpenMP's sleeping
# workers costs ~60 us on the 2-core host (backends/c/__init__.py), and the conv ops call
# the column helpers once per batch slice (hundreds of calls per LeNet step, each ~0.2 ms
# on one thread), between products whose OpenBLAS threads spin for the same cores. The
# pools (one call over a whole layer) still split their planes between threads.
PARALLEL_MIN = 1 << 20
# a batch slice's columns: about the L2 cache of one core
CHUNK_BYTES = 1 << 20
# which filter products take td_nn_gemm (one thread, 2-core AVX-512 host, load 2-5,
# td_nn_gemm / np.matmul time: docs/nnet.md): float32 with 10-50 rows and k >= 75 ran
# 0.41-0.84 (LeNet's 50 x 500 @ 500 x 512: 0.80, 136 vs 109 GFLOP/s); k = 25 1.08-1.16,
# 64 rows 1.18; float64 1.2-1.9 (OpenBLAS's dgemm is the better kernel there)
GEMM_DTYPES = ("float32",)
GEMM_MAX_M = 56
GEMM_MIN_K = 64


def use_gemm(shape: tuple[int, ...], dtype: Any) -> bool:
    """Whether a filter product with left operand of `shape` (m, k) takes td_nn_gemm."""
    m, k = shape
    return np.dtype(dtype).name in GEMM_DTYPES and 0 < m <= GEMM_MAX_M and k >= GEMM_MIN_K


def gemm_product(lib: Library, a: np.ndarray) -> Callable[[np.ndarray, np.ndarray], Any]:
    """`product(b, out)`: out = a @ b by td_nn_gemm for b (k, n) or (batch, k, n) and out
    (m, n) or (batch, m, n) of a's dtype with unit column strides; anything else (and a
    4 KB multiple between b's rows, where the block's loads alias in the L1 cache: 1.6x
    slower) through np.matmul, which also raises numpy's errors for bad shapes."""
    m, k = a.shape
    a2 = a if (a.dtype == lib.dtype and type(a) is np.ndarray and a.strides[1] == a.itemsize
               and a.strides[0] % a.itemsize == 0) else np.ascontiguousarray(a, lib.dtype)

    def product(b: np.ndarray, out: np.ndarray) -> Any:
        b3, o3 = (b, out) if b.ndim == 3 else (b[None], out[None])
        if (b3.ndim != 3 or o3.shape != (b3.shape[0], m, b3.shape[2]) or b3.shape[1] != k
                or b3.dtype != lib.dtype or o3.dtype != lib.dtype or a.dtype != lib.dtype
                or type(b3) is not np.ndarray or type(o3) is not np.ndarray
                or b3.strides[2] != b3.itemsize or o3.strides[2] != o3.itemsize
                or any(s % b3.itemsize for s in b3.strides + o3.strides)
                or (k > 1 and b3.strides[1] % 4096 == 0) or not o3.flags.writeable
                or np.may_share_memory(b3, o3) or np.may_share_memory(a2, o3)):
            return np.matmul(a, b, out=out)
        if o3.size and m and k:
            lib.fns["_gemm"](a2, b3, o3, _NO_PARAMS, 1)
        elif o3.size:
            o3[...] = 0  # an empty sum
        return out

    return product


_NO_PARAMS = np.zeros(1, dtype=np.int64)
_SCRATCH = threading.local()  # CColumns.scratch: each thread's work arrays, by tag
HUGE_PAGE = 1 << 21
# scratch arrays this big go on huge pages (a smaller one would pin a 2 MB page per tag
# and thread for a few kilobytes)
HUGE_SCRATCH_BYTES = 1 << 18


def huge_page_empty(size: int, dtype: Any) -> np.ndarray:
    """An uninitialised 1-d array of `size` elements on whole 2 MB pages: its start
    aligned to 2 MB and its length rounded up to them, in an allocation of >= 4 MB (which
    numpy advises the kernel to back with huge pages). A product streaming a 1 MB slice's
    columns touched ~250 small pages per panel: the forward pass of LeNet's second layer
    took 22.8 ms with its columns in a scratch array of 4 KB pages against 20.4 with a
    new array per slice (whose memory the heap had on huge pages)."""
    dtype = np.dtype(dtype)
    nbytes = -(-size * dtype.itemsize // HUGE_PAGE) * HUGE_PAGE
    raw = np.empty(nbytes + HUGE_PAGE, dtype=np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE
    return raw[start:start + size * dtype.itemsize].view(dtype)


class Library:
    """The loaded helpers of one element type."""

    def __init__(self, dtype: str) -> None:
        self.dtype = np.dtype(dtype)
        source = render_nnet(dtype, config.openmp)
        path, symbol = cache.get_entry(source, ENTRY, validate.check_source, also=SUFFIXES)
        runtime.check_layout()
        lib = ctypes.CDLL(path)  # CDLL: the GIL is released while a helper runs
        self.threads = getattr(lib, symbol)
        self.threads.restype = ctypes.c_int
        self.threads.argtypes = []
        nargs = {"_im2col": 3, "_col2im": 3, "_maxpool": 3, "_maxpool_grad": 5, "_gemm": 4,
                 "_im2col_t": 3}
        self.fns = {}
        for suffix in SUFFIXES:
            fn = getattr(lib, symbol + suffix)
            fn.argtypes = [ctypes.py_object] * nargs[suffix] + [ctypes.c_int]
            fn.restype = None
            self.fns[suffix] = fn

    def call(self, suffix: str, arrays: list[np.ndarray], params: list[int], work: int
             ) -> None:
        """Run helper `suffix` on `arrays` (checked by the caller) and the int64 `params`,
        on every OpenMP thread when `work` (elements) is large enough."""
        nt = max(1, int(self.threads())) if work >= PARALLEL_MIN else 1
        self.fns[suffix](*arrays, np.asarray(params, dtype=np.int64), nt)


@functools.cache
def _library(dtype: str, openmp: bool, cxx: str, cflags: str, compiledir: Any) -> Library:
    """The helpers of `dtype`, loaded once per process and configuration."""
    return Library(dtype)


def library(dtype: str) -> Library:
    """The helpers of `dtype` ('float32' or 'float64') for the current configuration."""
    return _library(dtype, config.openmp, config.cxx, f"{config.cflags} {config.c_march}",
                    config.compiledir)


def whole_elements(x: np.ndarray) -> np.ndarray:
    """`x` as a base-class ndarray whose byte strides are whole elements (else a copy)."""
    if type(x) is not np.ndarray:
        x = x.view(np.ndarray)
    if any(s % x.itemsize for s in x.strides):
        x = np.ascontiguousarray(x)
    return x


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    """The helper threads of `CColumns.run_slices` (numpy's products and the C helpers
    release the GIL): one pool per process, so a forked child (whose copy of the parent's
    pool has no threads) makes its own."""
    return _pool_of(os.getpid())


@functools.cache
def _pool_of(pid: int) -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(max(1, (os.cpu_count() or 2) - 1),
                                                 thread_name_prefix="tensordsl-conv")


class Buffers:
    """Large result buffers kept for the next call (as `runtime.KernelRunner.buffer`):
    a fresh multi-megabyte array costs a page fault per 4 KB every call (a LeNet step
    makes ~70 MB of conv and pool results)."""

    def __init__(self) -> None:
        self.kept: dict[tuple, np.ndarray] = {}

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An uninitialised array: the one last returned for this shape when only this
        object still refers to it (no caller, view or shared variable can see it, so
        writing it is unobservable), else a new one."""
        key = (tuple(shape), np.dtype(dtype).str)
        spare = self.kept.pop(key, None)  # atomic under the GIL: one caller gets it
        if spare is None or sys.getrefcount(spare) != 2:
            spare = np.empty(shape, dtype=dtype)
        if spare.nbytes >= runtime.RECYCLE_BYTES:
            self.kept[key] = spare
        return spare

    def like(self, x: np.ndarray) -> np.ndarray:
        """`empty` shaped as x with x's memory order (np.empty_like's order='K')."""
        order = sorted(range(x.ndim), key=lambda d: -abs(x.strides[d]))
        base = self.empty(tuple(x.shape[d] for d in order), x.dtype)
        return base.transpose(np.argsort(order))


class CColumns(conv_kernels.ColumnKernels):
    """im2col and col2im through the compiled helpers (same layouts as the numpy ones)."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.buffers = Buffers()

    def scratch(self, tag: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """This thread's work array of `tag`, grown when too small: valid until this
        thread's next scratch of the same tag, by any conv node (a node's slices run one
        after another on a thread, and nodes one after another). One set per thread for
        all nodes, so the next node's columns land in memory the last one just used
        (cached), and no slice's megabyte is new memory (~840 page faults per LeNet
        step). A forked child's thread starts with its parent's arrays, copied on write.
        """
        arrays = _SCRATCH.__dict__.setdefault("arrays", {})
        dtype = np.dtype(dtype)
        size = math.prod(shape)  # (np.prod of a tuple costs ~5 us: hundreds per step)
        buf = arrays.get(tag)
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = arrays[tag] = (huge_page_empty(size, dtype)
                                 if size * dtype.itemsize >= HUGE_SCRATCH_BYTES
                                 else np.empty(max(size, 1), dtype=dtype))
        return buf[:size].reshape(shape)

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A result buffer, recycled from an earlier call when nobody holds it any more."""
        return self.buffers.empty(shape, dtype)

    def run_slices(self, body: Callable[[int, int], Any], slices: list[tuple[int, int]]
                   ) -> list[Any]:
        """The slices taken by as many threads as OpenMP allows (`omp_get_max_threads`: 1
        in the adaptive one-thread arm), each thread with every OpenBLAS held at one
        thread for the call: the threads work on different slices at once instead of
        meeting in every product and copy (hundreds of small parallel regions, each
        waiting for its slowest thread). Each thread takes the next slice not yet taken,
        so a thread that shares its core with another process takes fewer; the results
        are in slice order whoever computed them."""
        workers = min(len(slices), max(1, int(self.lib.threads())))
        if workers == 1:
            return [body(b0, b1) for b0, b1 in slices]
        results: list[Any] = [None] * len(slices)
        taken = itertools.count()  # next() is atomic under the GIL: each index once

        def work() -> None:
            for i in iter(taken.__next__, None):
                if i >= len(slices):
                    return
                results[i] = body(*slices[i])

        knobs = threads.knobs()
        before = knobs.single()
        try:
            futures = [_pool().submit(work) for _ in range(workers - 1)]
            work()
            for future in futures:
                future.result()
        finally:
            knobs.restore(before)
        return results

    def chunk(self, n: int, per_sample: int) -> int:
        """Samples per slice: columns of about CHUNK_BYTES, so that a slice's columns are
        still in cache when its product reads them (and no batch-sized buffer is made)."""
        return max(1, CHUNK_BYTES // max(1, per_sample * self.lib.dtype.itemsize))

    def left_product(self, a: np.ndarray) -> Callable[[np.ndarray, np.ndarray], Any]:
        """`product(b, out)`: out = a @ b, through the compiled register-blocked product
        (`td_nn_gemm`, reading `a` in place) where `use_gemm` says it beats OpenBLAS (a
        layer's few filters against long columns), else np.matmul."""
        if not use_gemm(a.shape, a.dtype):
            return super().left_product(a)
        return gemm_product(self.lib, a)

    def pixel_gradient_width(self, m: int, k: int, groups: int, dtype: Any) -> int:
        """Columns of `pixel_columns` rows the filter gradient multiplies (k rounded up
        to td_nn_gemm's panel: the rest of each product row is discarded), when its
        m x k product by pixel-major columns takes td_nn_gemm (one group), else 0."""
        if groups != 1 or not use_gemm((m, k), dtype) or np.dtype(dtype) != self.lib.dtype:
            return 0
        panel = GN_BYTES // self.lib.dtype.itemsize
        return -(-k // panel) * panel

    def pixel_columns(self, img: np.ndarray, pads: Any, kshape: tuple[int, int],
                      oshape: tuple[int, int], stride: tuple[int, int],
                      dilation: tuple[int, int], width: int, scratch: bool = False
                      ) -> np.ndarray:
        """Pixel-major columns: (batch * out pixels, >= width) rows, each a window's
        channels * kh * kw entries (`td_nn_im2col_t`) then zeros; rows are at
        least 8 entries longer than a window (its 8-element copies overshoot) and not a
        4 KB multiple apart (td_nn_gemm's loads would alias)."""
        n, c, _, _ = img.shape
        rows = n * oshape[0] * oshape[1]
        k = c * kshape[0] * kshape[1]
        panel = GN_BYTES // self.lib.dtype.itemsize
        ld = max(width, -(-(k + 8) // panel) * panel)
        if (ld * self.lib.dtype.itemsize) % 4096 == 0:
            ld += panel
        cols = (self.scratch("columns", (rows, ld), self.lib.dtype) if scratch
                else np.empty((rows, ld), dtype=self.lib.dtype))
        if cols.size:
            params = self._geometry(pads, kshape, oshape, stride, dilation, ld, 0)
            self.lib.call("_im2col_t", [whole_elements(img), cols], params, rows * k)
        return cols[:, :width]

    def _geometry(self, pads: Any, kshape: tuple[int, int], oshape: tuple[int, int],
                  stride: tuple[int, int], dilation: tuple[int, int], row_step: int,
                  sample_step: int) -> list[int]:
        return [kshape[0], kshape[1], oshape[0], oshape[1], stride[0], stride[1],
                dilation[0], dilation[1], pads[0][0], pads[1][0], row_step, sample_step]

    def columns(self, img: np.ndarray, pads: Any, kshape: tuple[int, int],
                oshape: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                groups: int, scratch: bool = False) -> np.ndarray:
        """Channel-major columns, as the numpy kernel's (in this thread's scratch array
        "columns" with `scratch`)."""
        n, c, _, _ = img.shape
        pixels = oshape[0] * oshape[1]
        rows = c * kshape[0] * kshape[1]
        cols = (self.scratch("columns", (rows, n * pixels), self.lib.dtype) if scratch
                else np.empty((rows, n * pixels), dtype=self.lib.dtype))
        self._im2col(img, cols, self._geometry(pads, kshape, oshape, stride, dilation,
                                               n * pixels, pixels))
        return cols.reshape(groups, rows // groups, n * pixels)

    def sample_columns(self, img: np.ndarray, pads: Any, kshape: tuple[int, int],
                       oshape: tuple[int, int], stride: tuple[int, int],
                       dilation: tuple[int, int], groups: int, scratch: bool = False
                       ) -> np.ndarray:
        """Per-sample columns, as the numpy kernel's (`scratch` as for `columns`)."""
        n, c, _, _ = img.shape
        pixels = oshape[0] * oshape[1]
        rows = c * kshape[0] * kshape[1]
        cols = (self.scratch("columns", (n, rows, pixels), self.lib.dtype) if scratch
                else np.empty((n, rows, pixels), dtype=self.lib.dtype))
        self._im2col(img, cols, self._geometry(pads, kshape, oshape, stride, dilation,
                                               pixels, rows * pixels))
        return cols.reshape(n, groups, rows // groups, pixels)

    def _im2col(self, img: np.ndarray, cols: np.ndarray, params: list[int]) -> None:
        if cols.size:
            img = whole_elements(img)
            self.lib.call("_im2col", [img, cols], params, cols.size)

    def col2im(self, gcols: np.ndarray, ishape: tuple[int, int, int, int], pads: Any,
               kshape: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
               out: np.ndarray | None = None) -> np.ndarray:
        """Images (batch, channels, rows, cols), C-contiguous (`out` when given)."""
        n = ishape[0]
        _, _, oh, ow = gcols.shape
        gx = np.empty(ishape, dtype=self.lib.dtype) if out is None else out
        if gx.size == 0:
            return gx
        gcols = np.ascontiguousarray(gcols)
        params = self._geometry(pads, kshape, (oh, ow), stride, dilation, n * oh * ow,
                                oh * ow)
        self.lib.call("_col2im", [gcols, gx], params, gx.size + gcols.size)
        return gx


class ConvRunner:
    """The compiled caller of a conv node: its op's `perform` checks and arithmetic,
    with the compiled window copies."""

    def __init__(self, node: Apply) -> None:
        self.node = node
        self.op: BaseConv2d = node.op
        self.dtype = node.outputs[0].dtype
        self.columns = CColumns(library(self.dtype))

    def call(self, arrays: list[Any]) -> list[Any]:
        """The op's perform with the C columns."""
        return self.op.perform(self.node, [np.asarray(a) for a in arrays],
                               impl=self.columns)


def _conv_rule(node: Apply, inner: InnerCompiler | None) -> Lowered:
    if node.outputs[0].dtype not in DTYPES:
        raise Unsupported(f"{node.outputs[0].dtype} convolution")
    return ConvRunner(node), list(range(len(node.inputs)))


for _op in (AbstractConv2d, AbstractConv2d_gradWeights, AbstractConv2d_gradInputs):
    lowers(_op)(_conv_rule)


class PoolRunner:
    """The compiled caller of a 2-d max Pool or MaxPoolGrad node (float32/float64)."""

    def __init__(self, node: Apply) -> None:
        self.node = node
        self.op: PoolBase = node.op
        self.lib = library(node.outputs[0].dtype)
        self.grad = isinstance(self.op, MaxPoolGrad)
        self.buffers = Buffers()

    def call(self, arrays: list[Any]) -> list[Any]:
        """The pool (or its gradient): the op's checks, then one foreign call."""
        arrays = [np.asarray(a) for a in arrays]
        dtype = self.lib.dtype
        n_data = 3 if self.grad else 1
        data, params = arrays[:n_data], arrays[n_data:]
        if any(a.dtype != dtype for a in data) or data[0].ndim < 2:
            return self.op.perform(self.node, arrays)  # a value of another dtype: numpy
        x = data[0]
        where = "MaxPoolGrad" if self.grad else "pool"
        geo = self.op.geometry(x.shape, params, where)
        geo.check_nonempty("max", where)
        p = [geo.ws[0], geo.ws[1], geo.stride[0], geo.stride[1], geo.pad[0], geo.pad[1]]
        if self.grad:
            for value, what in ((data[1], "maxout"), (data[2], "gz")):
                if value.shape != geo.lead + geo.out:
                    raise ValueError(f"MaxPoolGrad: {what} has shape {value.shape}, "
                                     f"expected {geo.lead + geo.out}")
            # gx laid out like x (a conv output is often a channel-major view): the conv
            # gradient after it then reads its channels without a transposing copy
            gx = self.buffers.like(x)
            views = [_view_4d(whole_elements(a)) for a in (x, data[1], data[2], gx)]
            if any(v is None for v in views):  # leading dims that no view merges
                return self.op.perform(self.node, arrays)
            if x.size:
                self.lib.call("_maxpool_grad", views, p, 2 * x.size)
            return [gx]
        out = self.buffers.empty(geo.lead + geo.out, dtype)
        x4 = _view_4d(whole_elements(x))
        if x4 is None:
            return self.op.perform(self.node, arrays)
        if out.size:
            self.lib.call("_maxpool", [x4, _view_4d(out)], p, x.size + out.size)
        return [out]


def _view_4d(x: np.ndarray) -> np.ndarray | None:
    """x (>= 2 dims) viewed as (batch, channels, rows, cols), leading dims merged or
    added; None when the strides allow no such view."""
    shape = ((1,) * (4 - x.ndim) + x.shape if x.ndim <= 4
             else (int(np.prod(x.shape[:-3])),) + x.shape[-3:])
    try:
        return np.reshape(x, shape, copy=False)
    except ValueError:
        return None


def _pool_rule(node: Apply, inner: InnerCompiler | None) -> Lowered:
    op = node.op
    if op.mode != "max" or op.ndim != 2:
        raise Unsupported(f"{op.mode} pooling over {op.ndim} dims")
    dtype = node.outputs[0].dtype
    data = node.inputs[:3 if isinstance(op, MaxPoolGrad) else 1]
    if dtype not in DTYPES or any(v.dtype != dtype for v in data):
        raise Unsupported(f"{dtype} pooling")
    return PoolRunner(node), list(range(len(node.inputs)))


lowers(Pool)(_pool_rule)
lowers(MaxPoolGrad)(_pool_rule)


def _unit(node: Apply, inner: InnerCompiler | None) -> cache.Unit | None:
    """The helpers' unit, for the function's bundle build (`schedule.prebuild`)."""
    dtype = node.outputs[0].dtype
    if dtype not in DTYPES:
        return None
    return cache.Unit(render_nnet(dtype, config.openmp), ENTRY, SUFFIXES)


for _op in (AbstractConv2d, AbstractConv2d_gradWeights, AbstractConv2d_gradInputs, Pool,
            MaxPoolGrad):
    unit_of(_op)(_unit)

__all__ = ["CColumns", "ConvRunner", "Library", "PoolRunner", "library"]
