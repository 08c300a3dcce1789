"""Load compiled kernels and call them safely.

The exported entry of a unit takes the ndarrays themselves (ctypes `py_object`): it
reads data pointers, dims, strides and flags from the head of numpy's PyArrayObject
(`render.PRELUDE`), so a call costs one foreign call and no Python-side pointer
marshalling. `check_layout` verifies that head once per process.

Before any kernel runs, `KernelRunner` checks every operand in Python: it must be an
ndarray of the kernel's dtype and rank, broadcast against the others, and statically
broadcast dims must have size 1; a mismatch is a ValueError naming the input. Outputs
are new arrays, except that a large output of the previous call is reused when its
reference count shows nobody else holds it any more: a buffer is never handed to a
caller who can still see it.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl.errors import CompileError
from tensordsl.kernel.ir import Kernel

_ndarray = np.ndarray
RECYCLE_BYTES = 1 << 20  # outputs at least this big are recycled once their caller drops them


@functools.lru_cache(maxsize=1)
def check_layout() -> None:
    """Raise CompileError unless ndarrays have the head layout the C units read."""
    a = np.zeros((3, 5))[:, ::2]
    contiguous = np.zeros(2)  # held: the head of a freed temporary would be garbage
    base = id(a)

    def pointer(offset: int) -> int | None:
        return ctypes.c_void_p.from_address(base + offset).value

    dims = ctypes.cast(pointer(32), ctypes.POINTER(ctypes.c_longlong))
    strides = ctypes.cast(pointer(40), ctypes.POINTER(ctypes.c_longlong))
    flags = ctypes.c_int.from_address(base + 64).value
    ok = (ctypes.sizeof(ctypes.c_void_p) == 8 and pointer(16) == a.ctypes.data
          and ctypes.c_int.from_address(base + 24).value == a.ndim
          and (dims[0], dims[1]) == a.shape and (strides[0], strides[1]) == a.strides
          and (flags & 1) == int(a.flags.c_contiguous)
          and ctypes.c_int.from_address(id(contiguous) + 64).value & 1 == 1)
    if not ok:
        raise CompileError("the C backend does not recognise this numpy's array layout")


@functools.cache
def load_entry(path: str, name: str, nargs: int, release_gil: bool = True) -> Any:
    """The exported function `name` of library `path`, taking `nargs` ndarrays.

    With `release_gil=False` (0-d kernels: a few nanoseconds of work) the call keeps
    the GIL, which saves releasing and re-taking it on every call."""
    check_layout()
    loader = ctypes.CDLL if release_gil else ctypes.PyDLL
    fn = getattr(loader(path), name)
    fn.argtypes = [ctypes.py_object] * nargs
    fn.restype = None
    return fn


def as_operand(value: Any, expected: np.dtype, who: str, label: str) -> np.ndarray:
    """`value` as a plain ndarray of dtype `expected` (a non-native byte order is
    converted: same values), or a ValueError naming the input `label` of `who`."""
    if not isinstance(value, _ndarray):
        value = np.asarray(value)
    if value.dtype != expected:
        if value.dtype.name != expected.name:
            raise ValueError(f"{who}: input {label} must have dtype {expected.name}, "
                             f"got {value.dtype.name}")
        value = value.astype(expected)
    elif type(value) is not _ndarray:
        value = value.view(_ndarray)
    return value


class KernelRunner:
    """Calls one compiled kernel: checks operands, allocates outputs, one foreign call."""

    def __init__(self, kernel: Kernel, fn: Any, labels: Sequence[str], who: str,
                 inplace: Sequence[tuple[int, int]] = (), library: str = "",
                 entry: str = "") -> None:
        self.kernel = kernel
        # (output, kernel input) pairs: write the output into that input's buffer when
        # its shape and dtype allow (the graph's destroy_map says nobody reads it later)
        self.inplace = tuple(inplace) if not kernel.is_reduction else ()
        self.fn = fn
        self.labels = list(labels)
        self.who = who
        self.in_dtypes = [np.dtype(x.dtype) for x in kernel.inputs]
        self.out_dtypes = [np.dtype(d) for d in kernel.output_dtypes]
        self.ndim = kernel.ndim
        self.kept = [d for d in range(kernel.ndim) if d not in kernel.reduce_axes]
        self.no_identity = kernel.is_reduction and any(
            k in ("maximum", "minimum") for k in kernel.reduce_kinds)
        self.bcast = [tuple(d for d, b in enumerate(x.broadcastable) if b)
                      for x in kernel.inputs]
        self.spare: dict[int, np.ndarray] = {}  # large outputs of the last call
        self.library = library  # the kernel's library (its raw entry, for 0-d kernels)
        self.entry = entry  # the entry's symbol in `library` (`<entry>_raw`: the raw one)
        # the checked call: list of input arrays -> list of fresh output arrays
        self.call = self.scalar_call() if kernel.ndim == 0 and not self.inplace else self.run

    def operand(self, j: int, value: Any) -> np.ndarray:
        """`value` as an ndarray of input j's dtype and rank, or a ValueError naming it."""
        value = as_operand(value, self.in_dtypes[j], self.who, self.labels[j])
        if value.ndim != self.ndim:
            raise ValueError(f"{self.who}: input {self.labels[j]} must be {self.ndim}-d, "
                             f"got shape {value.shape}")
        return value

    def scalar_call(self) -> Any:
        """The call of a 0-d kernel: no shapes to check, so keep it to a few checks
        (unrolled for one and two inputs: a zip costs more than the checks)."""
        fn, in_dtypes, out_dtypes, operand = self.fn, self.in_dtypes, self.out_dtypes, \
            self.operand
        empty = np.empty

        def checked(arrays: list[Any]) -> list[Any]:
            return [operand(j, a) for j, a in enumerate(arrays)]

        if len(out_dtypes) == 1 and len(in_dtypes) in (1, 2):
            (out_dtype,) = out_dtypes
            d0 = in_dtypes[0]
            if len(in_dtypes) == 1:
                def call1(arrays: list[Any]) -> list[np.ndarray]:
                    (a0,) = arrays
                    if type(a0) is not _ndarray or a0.dtype is not d0:
                        (a0,) = checked(arrays)
                    out = empty((), out_dtype)
                    fn(a0, out)
                    return [out]
                return call1
            d1 = in_dtypes[1]

            def call2(arrays: list[Any]) -> list[np.ndarray]:
                a0, a1 = arrays
                if type(a0) is not _ndarray or a0.dtype is not d0 \
                        or type(a1) is not _ndarray or a1.dtype is not d1:
                    a0, a1 = checked(arrays)
                out = empty((), out_dtype)
                fn(a0, a1, out)
                return [out]
            return call2

        def call_many(arrays: list[Any]) -> list[np.ndarray]:
            if any(type(a) is not _ndarray or a.dtype is not dt
                   for a, dt in zip(arrays, in_dtypes)):
                arrays = checked(arrays)
            outs = [empty((), dt) for dt in out_dtypes]
            fn(*arrays, *outs)
            return outs
        return call_many

    def run(self, arrays: list[Any]) -> list[np.ndarray]:
        """Check, allocate, call."""
        ins = [a if type(a) is _ndarray and a.dtype is dt and a.ndim == self.ndim
               else self.operand(j, a)
               for j, (a, dt) in enumerate(zip(arrays, self.in_dtypes))]
        shape = self.broadcast(ins)
        if self.kernel.is_reduction:
            if self.no_identity and any(shape[d] == 0 for d in self.kernel.reduce_axes):
                raise ValueError(f"{self.who}: cannot reduce an empty dim (shape {shape}) with "
                                 f"maximum/minimum: it has no identity")
            shape = tuple(shape[d] for d in self.kept)
        outs = [self.buffer(o, shape, dt) for o, dt in enumerate(self.out_dtypes)]
        for o, i in self.inplace:
            target = ins[i]
            if target.shape == shape and target.dtype == outs[o].dtype \
                    and target.flags.writeable and not self.overlaps(target, ins, i):
                outs[o] = target
        self.fn(*ins, *outs)
        if outs[0].nbytes >= RECYCLE_BYTES:
            for o, out in enumerate(outs):
                if all(out is not a for a in ins):
                    self.spare[o] = out
        return outs

    def buffer(self, o: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A buffer for output `o`: last call's, if nobody but us holds it any more (no
        caller, view or shared variable can see it: writing it is unobservable), else a
        new one. Fresh multi-megabyte buffers cost page faults on every call."""
        spare = self.spare.pop(o, None)  # atomic under the GIL: one thread gets it
        if spare is not None and sys.getrefcount(spare) == 2 and spare.shape == shape \
                and spare.dtype == dtype:
            return spare
        return np.empty(shape, dtype)

    @staticmethod
    def overlaps(target: np.ndarray, ins: list[np.ndarray], i: int) -> bool:
        """True when another operand shares memory with `target` (writing it in place
        would change what that operand reads in a different element order)."""
        return any(j != i and np.may_share_memory(target, a) for j, a in enumerate(ins))

    def broadcast(self, ins: list[np.ndarray]) -> tuple[int, ...]:
        """The broadcast iteration shape, or a ValueError naming the inputs that clash."""
        shape = [1] * self.ndim
        owner = [-1] * self.ndim
        for j, a in enumerate(ins):
            for d in self.bcast[j]:
                if a.shape[d] != 1:
                    raise ValueError(f"{self.who}: input {self.labels[j]} must have size 1 in "
                                     f"dim {d} (it is broadcastable), got shape {a.shape}")
            for d, size in enumerate(a.shape):
                if size == 1 or size == shape[d]:
                    continue
                if shape[d] == 1:
                    shape[d], owner[d] = size, j
                    continue
                k = owner[d]
                raise ValueError(
                    f"{self.who}: shapes do not broadcast: input {self.labels[k]} has shape "
                    f"{ins[k].shape} but input {self.labels[j]} has shape {a.shape} "
                    f"(dim {d}: {shape[d]} vs {size})")
        return tuple(shape)
