"""The C backend's rule for Scan: the whole loop in one generated C function.

The step graph is rewritten with FAST_RUN's rewrites on the C backend (fused, no
in-place: its inputs are views of the caller's arrays), described (`scan_graph`), rendered
with its kernels into one unit (`scan_codegen`), validated, built through the disk cache
and loaded. A call sizes the buffers once (`scan_plan`), then makes ONE foreign call that
runs every step: kernels through their entries, matrix products through the BLAS scipy
already loaded (`blas_ptrs`), each new state copied into its buffer row.

What the loop does not handle raises Unsupported here and the Scan runs its Python loop
(`Scan.perform_with`, with the step compiled by the C backend): a step with nodes
other than kernels, 2-d matrix products and views (an ifelse, a random draw...). An
`until` condition ends the C loop after the step that computes it true, as there. A
call whose layouts the loop does not handle (a SumToShape that must sum, say) runs that
Python loop too, for that call only.
"""

from __future__ import annotations

import ctypes
import functools
import sys
import threading
from dataclasses import replace
from typing import Any

import numpy as np

from tensordsl.backends.c import blas_ptrs, cache, runtime, validate
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.scan_codegen import ENTRY, render_loop
from tensordsl.backends.c.scan_graph import KernelNode, StepGraph, describe
from tensordsl.backends.c.scan_plan import NeedsFallback, Plan, contiguous_strides, make_plan
from tensordsl.backends.c.schedule import Lowered, lowers, unit_of
from tensordsl.graph.basic import Apply
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerCompiler
from tensordsl.scan.op import Scan, lag, span

MAX_DIMS = 16  # td_copy's index counter
PLANS_KEPT = 8


def step_graph(op: Scan, inner: InnerCompiler | None = None) -> FunctionGraph:
    """The step graph rewritten as the function's mode rewrites inner graphs (`inner`),
    or, for a Scan compiled on its own, with FAST_RUN's rewrites (no in-place ones)."""
    if inner is not None:
        return inner.rewrite(op.inner)
    from tensordsl.runtime.mode import get_mode, rewritten_inner

    return rewritten_inner(op.inner, replace(get_mode("FAST_RUN"), backend="c"))


def _describe(node: Apply, inner: InnerCompiler | None) -> tuple[FunctionGraph, StepGraph]:
    """The rewritten step graph and its description, or Unsupported."""
    op = node.op  # truncate_gradient only shapes the gradient's graph: same loop here
    graph = step_graph(op, inner)
    described = describe(op, graph)
    if any(v.ndim > MAX_DIMS for v in described.vars):
        raise Unsupported(f"a step value of more than {MAX_DIMS} dims")
    for k, out in enumerate(graph.outputs[:op.n_rec]):
        if out.dtype != node.outputs[k].dtype:
            raise Unsupported(f"state {k} is {node.outputs[k].dtype} but its step gives "
                              f"{out.dtype}")
    return graph, described


# what `_scan_unit` rendered for the function's bundle build, taken by `_scan` right
# after (`make_thunk` prebuilds, then lowers): the step graph is rewritten once
_PREPARED: dict[tuple[Apply, int], tuple[FunctionGraph, StepGraph, str] | Unsupported] = {}
PREPARED_KEPT = 64


@unit_of(Scan)
def _scan_unit(node: Apply, inner: InnerCompiler | None) -> cache.Unit:
    """The loop's unit, for `schedule.prebuild` (raises Unsupported as `_scan` does)."""
    if len(_PREPARED) >= PREPARED_KEPT:  # a build that failed before lowering its nodes
        _PREPARED.clear()
    try:
        graph, described = _describe(node, inner)
    except Unsupported as why:  # `_scan` raises it again without a second rewrite
        _PREPARED[node, id(inner)] = why
        raise
    source = render_loop(node.op, described)
    _PREPARED[node, id(inner)] = (graph, described, source)
    return cache.Unit(source, ENTRY, private=private_names(described))


def private_names(described: StepGraph) -> tuple[str, ...]:
    """The global names of a rendered loop unit besides its entry: each inner kernel's
    entry `td_k<i>` (set by `render_loop`) and its `_raw` variant."""
    return tuple(name for n in described.nodes if isinstance(n, KernelNode)
                 for name in (n.entry, n.entry + "_raw"))


@lowers(Scan)
def _scan(node: Apply, inner: InnerCompiler | None) -> Lowered:
    """The compiled loop of a Scan node, or Unsupported (then its Python loop runs)."""
    prepared = _PREPARED.pop((node, id(inner)), None)
    if isinstance(prepared, Unsupported):
        raise prepared
    if prepared is None:
        graph, described = _describe(node, inner)
        source = None
    else:
        graph, described, source = prepared
    return (ScanLoopRunner(node, graph, described, source),
            list(range(len(node.inputs))))


class ScanLoopRunner:
    """Runs a Scan node's loop in one foreign call (`call(inputs) -> outputs`); its
    unit is `source`, entry `entry`.

    `foreign_calls` counts the C calls made, `python_loops` the calls that took the
    Python loop instead (tests read both)."""

    def __init__(self, node: Apply, graph: FunctionGraph, described: StepGraph,
                 source: str | None = None) -> None:
        self.node, self.op, self.graph, self.step = node, node.op, graph, described
        self.entry = ENTRY
        self.source = render_loop(self.op, described) if source is None else source
        # pycparser checks the unit before it is built (a cached library was checked
        # when it was built: parsing it again would cost ~0.2 s per scan); a unit the
        # function's bundle built is found by its key
        self.library, symbol = cache.get_entry(self.source, ENTRY, validate.check_source)
        self.fn = _load(self.library, symbol)
        self.blas = (ctypes.c_void_p * 2)(*blas_ptrs.gemm_pointers())
        self.kernels = {pos: runtime.KernelRunner(n.kernel, None, n.labels, str(n.node.op))
                        for pos, n in enumerate(described.nodes) if isinstance(n, KernelNode)}
        self.plans: dict[tuple, Plan | NeedsFallback] = {}
        self.lock = threading.Lock()
        self.foreign_calls = 0
        self.python_loops = 0
        self.spare: dict[int, np.ndarray] = {}  # large outputs of the last call
        self.in_dtypes = [np.dtype(v.dtype) for v in node.inputs]
        self.who = str(self.op)
        self._python_step: Any = None

    # -- the fallback --------------------------------------------------------------------
    def step_schedule(self) -> Any:
        """The C backend's Schedule of the (rewritten) step graph, made on first use: what
        the Python loop calls once per step."""
        if self._python_step is None:
            from tensordsl.backends.c.schedule import make_thunk

            self._python_step = make_thunk(self.graph)
        return self._python_step

    def python_loop(self, inputs: list[Any], counted: bool = True) -> list[Any]:
        """The Scan's own loop with the step compiled by the C backend (`counted`: in
        `python_loops`; zero steps are not a loop)."""
        self.python_loops += int(counted)
        return self.op.perform_with(self.node, [self.step_schedule()], inputs)

    # -- the call ------------------------------------------------------------------------
    def call(self, inputs: list[Any]) -> list[Any]:
        """Check the inputs, size the outputs, run every step in one foreign call."""
        op, node = self.op, self.node
        inputs = [v if type(v) is np.ndarray and v.dtype is dt  # the common case: as is
                  else runtime.as_operand(v, dt, self.who, repr(var))
                  for v, dt, var in zip(inputs, self.in_dtypes, node.inputs)]
        n_steps, seqs, inits, nonseqs = op.split_inputs(inputs)
        n = int(n_steps)
        if n <= 0:  # nothing to run (n < 0: the Python loop raises the error)
            return self.python_loop(inputs, counted=False)
        for seq, taps in zip(seqs, op.seq_taps):
            if seq.shape[0] < n + span(taps):
                return self.python_loop(inputs)  # raises its error naming the sequence
        for init, taps in zip(inits, op.rec_taps):
            if init.shape[0] < lag(taps):
                return self.python_loop(inputs)
        for value, var in zip(inputs[1:], node.inputs[1:]):
            if value.ndim != var.ndim:
                raise ValueError(f"{op}: input {var!r} must be {var.ndim}-d, got shape "
                                 f"{value.shape}")
        plan = self.plan(seqs, inits, nonseqs)
        if isinstance(plan, NeedsFallback):
            return self.python_loop(inputs)
        buffers = []
        for k, (init, taps) in enumerate(zip(inits, op.rec_taps)):
            rows = lag(taps)
            buf = self.buffer(k, (rows + n,) + init.shape[1:], node.outputs[k].dtype)
            buf[:rows] = init[:rows]
            buffers.append(buf)
        nits = [self.buffer(op.n_rec + j, (n,) + shape, node.outputs[op.n_rec + j].dtype)
                for j, shape in enumerate(plan.nit_shapes[op.n_rec:op.n_rec + op.n_nit])]
        meta = plan.meta.copy()
        for k, buf in enumerate(buffers):
            meta[self.step.rows_at[("state", k)]] = buf.strides[0]
        for i, seq in enumerate(seqs):
            meta[self.step.rows_at[("seq", i)]] = seq.strides[0]
        for j, out in enumerate(nits):
            meta[self.step.rows_at[("nit", j)]] = out.strides[0]
        workspace = np.empty(max(plan.workspace, 1) + 64, np.uint8)
        arrays = [*seqs, *buffers, *nonseqs, *self.step.consts, *nits]
        ptrs = np.array([a.__array_interface__["data"][0] for a in arrays]
                        + [_aligned(workspace)], np.uintp)
        done = self.fn(n, ptrs.ctypes.data, meta.ctypes.data, self.blas)
        self.foreign_calls += 1
        outs = [*buffers, *nits]
        if op.as_while:  # the rows of the steps run (Scan.perform_with's outputs)
            if done < n:
                outs = [b[:lag(taps) + done].copy() for b, taps in zip(buffers, op.rec_taps)]
                outs += [o[:done].copy() for o in nits]
            return outs + [np.asarray(done, dtype="int64")]
        for o, out in enumerate(outs):
            if out.nbytes >= runtime.RECYCLE_BYTES:
                self.spare[o] = out
        return outs

    def buffer(self, o: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
        """Output o's buffer: the last call's when nobody but this runner holds it any
        more (no caller, view or shared variable sees it: reusing it is unobservable),
        else a new one. A fresh buffer of many megabytes (a 64x64 state over 1000
        steps: 16 MB) costs a page fault per 4 KiB on every call."""
        spare = self.spare.pop(o, None)  # atomic under the GIL: one thread gets it
        if spare is not None and sys.getrefcount(spare) == 2 and spare.shape == shape \
                and spare.dtype == dtype:
            return spare
        return np.empty(shape, dtype)

    def plan(self, seqs: list[np.ndarray], inits: list[np.ndarray],
             nonseqs: list[np.ndarray]) -> Plan | NeedsFallback:
        """The layouts of this call's step inputs (cached by their shapes and strides)."""
        layouts = []
        for seq, taps in zip(seqs, self.op.seq_taps):
            layouts += [(seq.shape[1:], seq.strides[1:])] * len(taps)
        for init, taps in zip(inits, self.op.rec_taps):
            row = init.shape[1:]
            layouts += [(row, contiguous_strides(row, init.itemsize))] * len(taps)
        layouts += [(v.shape, v.strides) for v in nonseqs]
        key = tuple(layouts)
        found = self.plans.get(key)
        if found is None:
            try:
                found = make_plan(self.step, self.kernels, layouts)
                self._check_states(found, inits)
            except NeedsFallback as why:
                found = why
            with self.lock:
                if len(self.plans) >= PLANS_KEPT:
                    self.plans.pop(next(iter(self.plans)))
                self.plans[key] = found
        return found

    def _check_states(self, plan: Plan, inits: list[np.ndarray]) -> None:
        """A state keeps its initial value's shape (Scan.perform_with's message)."""
        for k, init in enumerate(inits):
            got = plan.nit_shapes[k]
            if got != init.shape[1:]:
                raise ValueError(
                    f"{self.op}: step 0 of {self.op._label(k)} has shape {got}, but its "
                    f"initial state (outputs_info) has shape {init.shape[1:]}; a recurrent "
                    f"output must keep the shape of its initial state")


def _aligned(workspace: np.ndarray) -> int:
    address = workspace.__array_interface__["data"][0]
    return address + (-address % 64)


@functools.cache
def _load(path: str, symbol: str = ENTRY) -> Any:
    fn = ctypes.CDLL(path)[symbol]  # releases the GIL: the loop may run long
    fn.argtypes = [ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    fn.restype = ctypes.c_longlong  # the number of steps run
    return fn
