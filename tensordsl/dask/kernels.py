"""The callables dask runs on chunks: compiled once per process, pickled by graph.

`Kernel` holds a stage's symbolic graph as pickled bytes (ScalarOps pickle by name,
so the bytes are the graph's "source"), plus the compilation mode. Unpickling on a
worker is cheap; the first call in a process compiles the graph with
`tensordsl.function` (the C backend's disk cache makes that a lookup after the first
time on a machine) and every later call, from any task, reuses the compiled function
found under the kernel's digest. `ReduceStep` is the chunk/combine/aggregate step of
a tree reduction, compiled per (dtype, ndim, axes, keepdims).

`stats()` reports, for this process, how many kernels were compiled and how many
chunk calls ran: the tests read it on each worker.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl.dtypes import using_cast_policy
from tensordsl.graph.basic import Variable

_COMPILED: dict[Any, Any] = {}
_MAX_COMPILED = 512
_LOCK = threading.Lock()  # a worker may run several tasks (threads) at once
_STATS = {"compiles": 0, "calls": 0}


def stats() -> dict[str, int]:
    """This process's counts: kernels compiled, kernel and reduction-step calls."""
    return dict(_STATS)


def structure(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> str:
    """A text equal for structurally equal graphs (ops with their parameters, types,
    constants, wiring), whatever the variables' names and ids: the same stage built by
    another call (other shapes, another client) gets the same digest, so a worker
    reuses what it compiled."""
    from tensordsl.graph.basic import Constant, toposort

    ids: dict[int, str] = {id(v): f"i{n}:{v.type}" for n, v in enumerate(inputs)}
    lines = []

    def ref(var: Variable) -> str:
        name = ids.get(id(var))
        if name is None and isinstance(var, Constant):
            digest = hashlib.sha256(var.data.tobytes()).hexdigest()[:16]
            name = ids[id(var)] = f"c:{var.type}:{var.data.shape}:{digest}"
        return name if name is not None else "?"

    for n, node in enumerate(toposort(list(outputs), blockers=list(inputs))):
        op = node.op
        props = tuple(getattr(op, p) for p in op.__props__)
        lines.append(f"{type(op).__module__}.{type(op).__qualname__}{props!r}"
                     f"({', '.join(ref(i) for i in node.inputs)})")
        for k, out in enumerate(node.outputs):
            ids[id(out)] = f"n{n}.{k}:{out.type}"
    lines.append("-> " + ", ".join(ref(o) for o in outputs))
    return "\n".join(lines)


def _compiled(key: Any, make: Any) -> Any:
    fn = _COMPILED.get(key)
    if fn is None:
        with _LOCK:
            fn = _COMPILED.get(key)
            if fn is None:
                fn = make()
                if len(_COMPILED) >= _MAX_COMPILED:  # a long-lived worker: drop the oldest
                    _COMPILED.pop(next(iter(_COMPILED)))
                _COMPILED[key] = fn
                _STATS["compiles"] += 1
    return fn


def _compile(inputs: list[Variable], outputs: list[Variable], mode: Any, policy: str) -> Any:
    from tensordsl.runtime.function import function

    with using_cast_policy(policy):
        return function(inputs, list(outputs), mode=mode, on_unused_input="ignore")


class Kernel:
    """A blockwise stage: call it with one block per parameter, get the output block(s)."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], mode: Any,
                 policy: str, name: str) -> None:
        self.payload = pickle.dumps((list(inputs), list(outputs)), protocol=4)
        self.mode, self.policy, self.name = mode, policy, name
        self.n_outputs = len(outputs)
        text = structure(inputs, outputs) + repr((mode, policy))
        self.digest = hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"<tensordsl.dask.Kernel {self.name} {self.digest[:10]}>"

    def __dask_tokenize__(self) -> str:
        return self.digest

    def __reduce__(self) -> Any:
        return _kernel, (self.payload, self.mode, self.policy, self.name, self.n_outputs,
                         self.digest)

    def function(self) -> Any:
        """The compiled tensordsl Function (compiled on first use in this process)."""
        def make() -> Any:
            inputs, outputs = pickle.loads(self.payload)
            return _compile(inputs, outputs, self.mode, self.policy)

        return _compiled(self.digest, make)

    def __call__(self, *blocks: Any) -> Any:
        fn = self.function()
        _STATS["calls"] += 1
        result = fn(*blocks)
        if self.n_outputs == 1:
            return result[0]
        return tuple(result)


def _kernel(payload: bytes, mode: Any, policy: str, name: str, n_outputs: int,
            digest: str) -> Kernel:
    kernel = Kernel.__new__(Kernel)
    kernel.payload, kernel.mode, kernel.policy, kernel.name = payload, mode, policy, name
    kernel.n_outputs, kernel.digest = n_outputs, digest
    return kernel


class ReduceStep:
    """`Reduce(kind)` over `axis` of a block, as dask.array.reduction calls its steps."""

    def __init__(self, kind: str, dtype: str, mode: Any) -> None:
        self.kind, self.dtype, self.mode = kind, dtype, mode

    def __repr__(self) -> str:
        return f"<tensordsl.dask.ReduceStep {self.kind} -> {self.dtype}>"

    def __dask_tokenize__(self) -> tuple:
        return ("tensordsl.ReduceStep", self.kind, self.dtype, repr(self.mode))

    def __call__(self, x: Any, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
        x = np.asarray(x)
        axes = tuple(range(x.ndim)) if axis is None else \
            tuple(sorted(a % x.ndim for a in ((axis,) if np.ndim(axis) == 0 else axis)))
        key = ("reduce", self.kind, self.dtype, x.dtype.str, x.ndim, axes, bool(keepdims),
               self.mode)
        fn = _compiled(key, lambda: self._make(x.dtype, x.ndim, axes, keepdims))
        _STATS["calls"] += 1
        return fn(x)

    def _make(self, dtype: Any, ndim: int, axes: tuple[int, ...], keepdims: bool) -> Any:
        from tensordsl.graph.type import TensorType
        from tensordsl.ops.elemwise import DimShuffle
        from tensordsl.ops.reduce import Reduce

        x = TensorType(np.dtype(dtype).name, (None,) * ndim)("x")
        out = Reduce(self.kind, axes, self.dtype)(x)
        if keepdims:
            it = iter(range(out.ndim))
            out = DimShuffle(tuple("x" if d in axes else next(it) for d in range(ndim)))(out)
        fn = _compile([x], [out], self.mode, "theano")
        return lambda block: fn(block)[0]
