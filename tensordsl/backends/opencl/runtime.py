"""Calling OpenCL kernels: operands onto the device, launch sizes, fresh outputs.

Runners take and return `pyopencl.array.Array`s: a numpy operand is copied to the
device (counted in `TRANSFERS`), a device array is used in place (one from another
context is a ValueError naming the input). Shapes and element strides travel as
kernel arguments, so one built program serves every shape and layout. Outputs come
from a per-device memory pool, so buffers are reused across calls once nobody holds
them.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl.backends.opencl import build
from tensordsl.backends.opencl.device import Runtime, import_pyopencl
from tensordsl.backends.opencl.gemm import gemm_source
from tensordsl.backends.opencl.render import OpenCLRenderer, uses_float64
from tensordsl.backends.opencl.tuning import kernel_tuning
from tensordsl.errors import CompileError
from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.reductions import REDUCTIONS

# host <-> device copies made by the backend ("to_device", "to_host"): tests count them
TRANSFERS: Counter = Counter()
# pyopencl Kernel objects are shared (one per program and entry) and a launch sets
# their arguments, then enqueues: two threads must not interleave those two steps
_LAUNCH = threading.Lock()
WORK_GROUP = 256  # work-items per group of elementwise kernels and reductions


@functools.cache
def allocator(rt: Runtime) -> Any:
    """The device's memory pool (buffers of dead arrays are reused)."""
    from pyopencl.tools import ImmediateAllocator, MemoryPool

    return MemoryPool(ImmediateAllocator(rt.queue))


def empty(rt: Runtime, shape: tuple[int, ...], dtype: Any) -> Any:
    """A new device array from the pool."""
    import pyopencl.array as cla

    return cla.empty(rt.queue, shape, np.dtype(dtype), allocator=allocator(rt))


def launch(kernel: Any, queue: Any, gsize: tuple, lsize: tuple, *args: Any) -> None:
    """Set `kernel`'s arguments and enqueue it, atomically with respect to other threads."""
    with _LAUNCH:
        kernel(queue, gsize, lsize, *args)


def is_device_array(value: Any) -> bool:
    """True for a pyopencl.array.Array (without importing pyopencl for numpy values)."""
    return type(value).__module__.startswith("pyopencl")


ZERO_COPY_BYTES = 1 << 16  # host arrays from this size are mapped, not copied (CPU devices)


@functools.cache
def zero_copy(rt: Runtime) -> bool:
    """True for a CPU device sharing host memory (PoCL): a host array can back a
    read-only buffer directly (CL_MEM_USE_HOST_PTR) instead of being copied."""
    try:
        return "CPU" in rt.info.type.split("/") and bool(rt.device.host_unified_memory)
    except Exception:  # the query is deprecated in OpenCL 2.0+: no answer, no zero copy
        return False


def to_device(rt: Runtime, value: Any, who: str, label: str,
              borrow: list | None = None) -> Any:
    """`value` as a device array of `rt`'s context: numpy copied (once), device arrays
    checked and used as they are. With a `borrow` list, a large contiguous host array on
    a zero-copy device backs a read-only buffer instead (no copy); it is appended to
    `borrow`, and the caller must finish the queue before the array may change."""
    if is_device_array(value):
        if value.context != rt.context:
            raise ValueError(f"{who}: input {label} is a pyopencl array of another OpenCL "
                             f"context ({value.context.devices}); this function runs on "
                             f"{rt.info.spec} {rt.info.name}: copy it with .get() first")
        return value
    import pyopencl.array as cla

    host = np.asarray(value)
    if not host.flags.c_contiguous:  # (np.ascontiguousarray would make a 0-d array 1-d)
        host = host.copy(order="C")
    TRANSFERS["to_device"] += 1
    if borrow is not None and host.nbytes >= ZERO_COPY_BYTES and zero_copy(rt):
        import pyopencl as cl

        flags = cl.mem_flags.READ_ONLY | cl.mem_flags.USE_HOST_PTR
        try:
            buf = cl.Buffer(rt.context, flags, hostbuf=host)
        except (cl.Error, TypeError, ValueError):  # e.g. a read-only numpy buffer
            pass
        else:
            borrow.append(host)
            return cla.Array(rt.queue, host.shape, host.dtype, data=buf)
    return cla.to_device(rt.queue, host, allocator=allocator(rt))


def host_backed(rt: Runtime, shape: tuple[int, ...], dtype: Any) -> Any:
    """A device array for a kernel output that goes back to the caller: on a zero-copy
    device (PoCL) and from ZERO_COPY_BYTES on, its buffer is a fresh numpy array
    (CL_MEM_USE_HOST_PTR, never pooled), which `to_host` then returns without the copy
    (for 10M float64 Black-Scholes results, 80 MB per call); else a pooled `empty`."""
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize < ZERO_COPY_BYTES or not zero_copy(rt):
        return empty(rt, shape, dtype)
    import pyopencl as cl
    import pyopencl.array as cla

    host = np.empty(shape, dtype)
    buf = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE | cl.mem_flags.USE_HOST_PTR,
                    hostbuf=host)
    value = cla.Array(rt.queue, shape, dtype, data=buf)
    value.td_host = host  # read by to_host
    return value


def _backing(value: Any) -> Any:
    """The numpy array behind a whole `host_backed` device array, else None."""
    host = getattr(value, "td_host", None)
    if host is None or value.offset or value.shape != host.shape:
        return None
    return host


def to_host(value: Any) -> Any:
    """`value` as a numpy array (device arrays copied back, counted; a strided view is
    made contiguous on the device first; a `host_backed` array is mapped once, which
    makes its numpy array current, and that array is returned: no copy)."""
    host = _backing(value) if is_device_array(value) else None
    if host is not None:
        import pyopencl as cl

        TRANSFERS["to_host"] += 1  # a hand-over to the host, though not a copy
        mapped, _ = cl.enqueue_map_buffer(value.queue, value.base_data, cl.map_flags.READ,
                                          0, host.shape, host.dtype, is_blocking=True)
        mapped.base.release()
        return host
    if is_device_array(value):
        if not value.flags.c_contiguous and value.size:
            value = contiguous(value)
        TRANSFERS["to_host"] += 1
        return value.get()
    return value


def contiguous(value: Any) -> Any:
    """A C-contiguous device copy of the device array `value` (a strided copy kernel)."""
    from tensordsl.backends.opencl.device import runtime_of

    return _copier(runtime_of(value.context), value.dtype.name, value.ndim).call([value])[0]


@functools.cache
def _copier(rt: Runtime, dtype: str, ndim: int) -> KernelRunner:
    from tensordsl.kernel.ir import KernelInput, ScalarNode

    kernel = Kernel(ndim, (KernelInput(dtype, (False,) * ndim),), (ScalarNode(dtype, input=0),),
                    (0,), (dtype,), name="copy")
    return KernelRunner(kernel, rt, ["'x'"], "copy")


def check_fp64(rt: Runtime, what: str) -> None:
    """CompileError when `what` needs float64 and the device lacks cl_khr_fp64."""
    if not rt.fp64:
        raise CompileError(f"{what} needs float64, but OpenCL device {rt.info.spec} "
                           f"({rt.info.name}) does not report cl_khr_fp64; use "
                           f"config.floatX='float32' (and float32 inputs) on this device")


def elem_strides(value: Any, shape: Sequence[int]) -> list[int]:
    """Element strides of `value` against the broadcast `shape` (0 on broadcast dims)."""
    size = value.dtype.itemsize
    return [0 if n == 1 else st // size for n, st in zip(value.shape, value.strides)]


def group_size(rt: Runtime, limit: int = WORK_GROUP) -> int:
    """The largest power of two <= limit the device takes as a work-group size."""
    most = min(limit, rt.device.max_work_group_size)
    return 1 << (most.bit_length() - 1)


class KernelRunner:
    """Runs one elementwise or reducing Kernel on a device (a step's `call`)."""

    def __init__(self, kernel: Kernel, rt: Runtime, labels: Sequence[str], who: str) -> None:
        if uses_float64(kernel):
            check_fp64(rt, who)
        self.kernel = kernel
        self.rt = rt
        self.labels = list(labels)
        self.who = who
        self.tuning = kernel_tuning(rt.info)  # builtins or inline math, vector width
        self.source = OpenCLRenderer(self.tuning).render(kernel, "td")
        self.in_dtypes = [np.dtype(x.dtype) for x in kernel.inputs]
        self.out_dtypes = [np.dtype(d) for d in kernel.output_dtypes]
        self.bcast = [tuple(d for d, b in enumerate(x.broadcastable) if b)
                      for x in kernel.inputs]
        self.scalar = [all(x.broadcastable) for x in kernel.inputs]
        self.kept = [d for d in range(kernel.ndim) if d not in kernel.reduce_axes]
        names = (("part", "final", "combine") if kernel.is_reduction
                 else ("flat", "strided"))
        self.fns = {n: build.kernel(rt.context, self.source, rt.info.name, f"td_{n}")
                    for n in names}
        # the contiguous path's vector program (float kernels of vectorisable ops)
        self.vector_source = OpenCLRenderer(self.tuning).render_vector(kernel, "td")
        if self.vector_source is not None:
            self.fns["vec"] = build.kernel(rt.context, self.vector_source, rt.info.name,
                                           "td_vec")
        self.wg = group_size(rt)

    def operand(self, j: int, value: Any) -> Any:
        """Input j on the device, of the kernel's dtype and rank (else ValueError)."""
        if not is_device_array(value):
            value = np.asarray(value)
        if value.dtype != self.in_dtypes[j]:
            raise ValueError(f"{self.who}: input {self.labels[j]} must have dtype "
                             f"{self.in_dtypes[j].name}, got {value.dtype}")
        if value.ndim != self.kernel.ndim:
            raise ValueError(f"{self.who}: input {self.labels[j]} must be "
                             f"{self.kernel.ndim}-d, got shape {value.shape}")
        for d in self.bcast[j]:
            if value.shape[d] != 1:
                raise ValueError(f"{self.who}: input {self.labels[j]} is broadcastable in "
                                 f"dim {d} but has shape {value.shape}")
        return to_device(self.rt, value, self.who, self.labels[j])

    def shape(self, arrays: list[Any]) -> tuple[int, ...]:
        try:
            return tuple(np.broadcast_shapes(*[a.shape for a in arrays])) if arrays else ()
        except ValueError:
            shapes = ", ".join(f"{lab} {a.shape}" for lab, a in zip(self.labels, arrays))
            raise ValueError(f"{self.who}: input shapes do not broadcast: {shapes}") from None

    def call(self, values: list[Any], host_outputs: bool = False) -> list[Any]:
        """Device arrays of the outputs for `values` (numpy or device arrays); with
        `host_outputs` (the caller will take them to the host), elementwise outputs are
        `host_backed`."""
        arrays = [self.operand(j, v) for j, v in enumerate(values)]
        full = self.shape(arrays)
        if self.kernel.ndim and not arrays:
            raise ValueError(f"{self.who}: a {self.kernel.ndim}-d kernel without inputs")
        if self.kernel.is_reduction:
            return self.reduce(arrays, full)
        return self.elementwise(arrays, full, host_outputs)

    def elementwise(self, arrays: list[Any], full: tuple[int, ...],
                    host_outputs: bool = False) -> list[Any]:
        make = host_backed if host_outputs else empty
        outs = [make(self.rt, full, d) for d in self.out_dtypes]
        n = math.prod(full)
        if n == 0:
            return outs
        flat = all((a.flags.c_contiguous and a.shape == full) or self.scalar[j]
                   for j, a in enumerate(arrays))
        wg = self.wg
        if flat:
            operands: list[Any] = []
            for a in arrays:
                operands += [_buffer(self.rt, a), np.int64(a.offset // a.dtype.itemsize)]
            operands += [o.base_data for o in outs]
            base = 0
            width = self.tuning.vector_width
            if "vec" in self.fns and n >= width:
                nv = n // width
                launch(self.fns["vec"], self.rt.queue, (-(-nv // wg) * wg,), (wg,),
                       np.int64(nv), *operands)
                base = nv * width
            if base < n:  # the tail (or everything) one element per work-item
                rest = n - base
                launch(self.fns["flat"], self.rt.queue, (-(-rest // wg) * wg,), (wg,),
                       np.int64(n), np.int64(base), *operands)
            return outs
        args: list[Any] = [np.int64(n)] + [np.int64(s) for s in full]
        for a in arrays:
            args += [_buffer(self.rt, a), np.int64(a.offset // a.dtype.itemsize)]
            args += [np.int64(s) for s in elem_strides(a, full)]
        args += [o.base_data for o in outs]
        launch(self.fns["strided"], self.rt.queue, (-(-n // wg) * wg,), (wg,), *args)
        return outs

    def reduce(self, arrays: list[Any], full: tuple[int, ...]) -> list[Any]:
        k = self.kernel
        kept_shape = tuple(full[d] for d in self.kept)
        outs = [empty(self.rt, kept_shape, d) for d in self.out_dtypes]
        m = math.prod(kept_shape)
        r = math.prod(full[d] for d in k.reduce_axes)
        # numpy raises for an empty reduced dim without identity, even when the result
        # itself is empty (checked before the empty-result return)
        if r == 0 and any(REDUCTIONS[kind].identity is None for kind in k.reduce_kinds):
            raise ValueError(f"{self.who}: cannot reduce an empty dim (input shape {full}) "
                             f"with {'/'.join(k.reduce_kinds)}: it has no identity")
        if m == 0:
            return outs
        lsize = min(self.wg, 1 << max(0, (r - 1).bit_length()))
        wanted = 4 * self.rt.device.max_compute_units  # groups that keep the device busy
        groups = max(1, min(-(-wanted // m), -(-r // lsize)))
        chunk = max(1, -(-r // groups))
        groups = max(1, -(-r // chunk))
        renderer = OpenCLRenderer()
        renderer.kernel = k
        acc_items = [np.dtype("int32" if renderer.acc_dtype(j) == "bool"
                              else renderer.acc_dtype(j)).itemsize for j in range(len(outs))]
        import pyopencl as cl

        args: list[Any] = [np.int64(r), np.int64(groups), np.int64(chunk)]
        args += [np.int64(full[d]) for d in self.kept]
        args += [np.int64(full[d]) for d in k.reduce_axes]
        order = self.kept + list(k.reduce_axes)
        for a in arrays:
            st = elem_strides(a, full)
            args += [_buffer(self.rt, a), np.int64(a.offset // a.dtype.itemsize)]
            args += [np.int64(st[d]) for d in order]
        local = [cl.LocalMemory(size * lsize) for size in acc_items]
        queue = self.rt.queue
        if groups == 1:
            launch(self.fns["final"], queue, (m * lsize,), (lsize,), *args,
                   *[o.base_data for o in outs], *local)
            return outs
        parts = [empty(self.rt, (m * groups,), "uint8" if renderer.acc_dtype(j) == "bool"
                       else renderer.acc_dtype(j)) for j in range(len(outs))]
        launch(self.fns["part"], queue, (m * groups * lsize,), (lsize,), *args,
               *[p.base_data for p in parts], *local)
        csize = min(self.wg, 1 << max(0, (groups - 1).bit_length()))
        local = [cl.LocalMemory(size * csize) for size in acc_items]
        launch(self.fns["combine"], queue, (m * csize,), (csize,), np.int64(groups),
               *[p.base_data for p in parts], *[o.base_data for o in outs], *local)
        return outs


class GemmRunner:
    """alpha * a @ b + beta * c on the device (Gemm, 1-d or 2-d, float), or numpy's dot
    (Dot, any rank, float or integer)."""

    def __init__(self, dtype: str, with_c: bool, rt: Runtime, labels: Sequence[str],
                 who: str) -> None:
        if dtype == "float64":
            check_fp64(rt, who)
        self.dtype = np.dtype(dtype)
        self.with_c = with_c
        self.rt = rt
        self.labels = list(labels)
        self.who = who
        self.tile = 16 if rt.device.max_work_group_size >= 256 else 8
        self.source = gemm_source(dtype, self.tile, with_c)
        self.fn = build.kernel(rt.context, self.source, rt.info.name, "td_gemm")

    def operand(self, j: int, value: Any) -> Any:
        if not is_device_array(value):
            value = np.asarray(value)
        if value.dtype != self.dtype:
            raise ValueError(f"{self.who}: input {self.labels[j]} must have dtype "
                             f"{self.dtype.name}, got {value.dtype}")
        return to_device(self.rt, value, self.who, self.labels[j])

    def call(self, values: list[Any]) -> list[Any]:
        """[result] as a device array."""
        if not self.with_c:
            return [self.dot(*(self.operand(j, v) for j, v in enumerate(values)))]
        c, alpha, a, b, beta = values
        alpha, beta = (np.asarray(to_host(v), self.dtype).reshape(()) for v in (alpha, beta))
        a, b, c = self.operand(2, a), self.operand(3, b), self.operand(0, c)
        ka, kb = a.shape[-1], (b.shape[-2] if b.ndim >= 2 else b.shape[0])
        if ka != kb:
            first = self.labels[2 if self.with_c else 0]
            raise ValueError(f"{self.who}: shapes {a.shape} ({first}) and {b.shape} are not "
                             f"aligned: {ka} != {kb}")
        sa = elem_strides(a, a.shape)
        sb = elem_strides(b, b.shape)
        m, sam, sak = (a.shape[0], sa[0], sa[1]) if a.ndim == 2 else (1, 0, sa[0])
        n, sbk, sbn = (b.shape[1], sb[0], sb[1]) if b.ndim == 2 else (1, sb[0], 0)
        shape = (a.shape[:-1]) + (b.shape[-1:] if b.ndim == 2 else ())
        args: list[Any] = [np.int64(m), np.int64(n), np.int64(ka)]
        out = empty(self.rt, shape, self.dtype)
        if self.with_c:
            try:
                np.broadcast_shapes(c.shape, shape)
            except ValueError:
                raise ValueError(f"{self.who}: c of shape {c.shape} does not broadcast "
                                 f"against the product's {shape}") from None
            if np.broadcast_shapes(c.shape, shape) != shape:
                raise ValueError(f"{self.who}: c of shape {c.shape} would enlarge the "
                                 f"product's shape {shape}")
            sc = elem_strides(c, shape)
            if len(shape) == 2:
                scm, scn = sc
            elif a.ndim == 2:  # (M,)
                scm, scn = sc[0], 0
            elif b.ndim == 2:  # (N,)
                scm, scn = 0, sc[0]
            else:
                scm = scn = 0
        if m * n == 0:
            return [out]
        for x, (s1, s2) in ((a, (sam, sak)), (b, (sbk, sbn))):
            args += [_buffer(self.rt, x), np.int64(x.offset // x.dtype.itemsize),
                     np.int64(s1), np.int64(s2)]
        args += [out.base_data, np.int64(0), np.int64(n)]
        if self.with_c:
            args += [c.base_data, np.int64(c.offset // c.dtype.itemsize), np.int64(scm),
                     np.int64(scn), alpha.astype(self.dtype)[()], beta.astype(self.dtype)[()]]
        t = self.tile
        gsize = (-(-n // t) * t, -(-m // t) * t)
        launch(self.fn, self.rt.queue, gsize, (t, t), *args)
        return [out]

    def dot(self, a: Any, b: Any) -> Any:
        """numpy's dot of device arrays of any rank: a's leading dims flattened into the
        rows of one matrix (a device copy first when its strides do not allow that), one
        launch per index of b's leading dims, each writing its columns of the result
        (shape a.shape[:-1] + b.shape[:-2] + b.shape[-1:])."""
        ka, kb = a.shape[-1], (b.shape[-2] if b.ndim >= 2 else b.shape[0])
        if ka != kb:
            raise ValueError(f"{self.who}: shapes {a.shape} ({self.labels[0]}) and {b.shape} "
                             f"are not aligned: {ka} != {kb}")
        batch = tuple(b.shape[:-2])
        n = b.shape[-1] if b.ndim >= 2 else 1
        shape = tuple(a.shape[:-1]) + batch + (tuple(b.shape[-1:]) if b.ndim >= 2 else ())
        out = empty(self.rt, shape, self.dtype)
        rows = _row_stride(a)
        if rows is None:  # leading dims that no single stride walks: a contiguous copy
            a = contiguous(a)
            rows = _row_stride(a)
        m, nb = math.prod(a.shape[:-1]), math.prod(batch)
        if m * n * nb == 0:
            return out
        sak = elem_strides(a, a.shape)[-1]
        sb = elem_strides(b, b.shape)
        sbk, sbn = (sb[-2], sb[-1]) if b.ndim >= 2 else (sb[0], 0)
        t = self.tile
        gsize = (-(-n // t) * t, -(-m // t) * t)
        b_off = b.offset // b.dtype.itemsize
        for k, index in enumerate(np.ndindex(*batch)):
            off = b_off + sum(i * st for i, st in zip(index, sb[:-2]))
            launch(self.fn, self.rt.queue, gsize, (t, t), np.int64(m), np.int64(n),
                   np.int64(ka), _buffer(self.rt, a), np.int64(a.offset // a.dtype.itemsize),
                   np.int64(rows), np.int64(sak), _buffer(self.rt, b), np.int64(off),
                   np.int64(sbk), np.int64(sbn), out.base_data, np.int64(k * n),
                   np.int64(nb * n))
        return out


def _row_stride(a: Any) -> int | None:
    """The element stride between consecutive rows of `a` seen as a matrix of its
    leading dims flattened by its last (0 for one row), or None when no single stride
    does that (e.g. a transposed 3-d view)."""
    lead = [(n, st // a.dtype.itemsize) for n, st in zip(a.shape[:-1], a.strides[:-1])
            if n != 1]
    if any(outer != inner * n for (_, outer), (n, inner) in zip(lead, lead[1:])):
        return None
    return lead[-1][1] if lead else 0


def _buffer(rt: Runtime, x: Any) -> Any:
    """x's buffer; an empty operand (K == 0) has none, so a 1-element dummy stands in."""
    if x.base_data is not None:
        return x.base_data
    return empty(rt, (1,), x.dtype).base_data


__all__ = ["TRANSFERS", "GemmRunner", "KernelRunner", "host_backed", "import_pyopencl",
           "to_device", "to_host"]
