"""The C backend's function driver: a whole compiled function in ONE foreign call.

When every node of a rewritten function graph is something the compiled scan loop can
lower (kernels, 2-d matrix products through BLAS, views, SumToShape that only aliases)
or a `Shape`, the graph is described (`driver_graph`), rendered with all its kernels
into one unit (`driver_codegen`), validated, built through the disk cache and loaded.
A call then checks its arguments, looks up the plan of their shapes and strides
(`driver_plan`, made once per input signature: intermediate buffers are planned once
and reused across calls), allocates the outputs, and makes one foreign call.

Outputs are always new arrays (or a large one of an earlier call that `sys.getrefcount`
shows nobody holds any more): a caller never gets a buffer a later call writes. The one
exception is asked for: a caller that knows nobody else can see an input's buffer (a
shared variable's value that only its container holds, replaced by this call's update)
lends it for the call (`lend`), and the update's product accumulates into it in place
(`DriverGraph.donations`): the output returned is that buffer, now the new value.
Intermediates live in the driver's workspace, reused from call to call under a lock
(a call that finds it busy, from another thread, gets a workspace of its own; a driver
that may write a lent buffer waits for the lock instead).

A graph with another node keeps the per-node schedule (`schedule.make_thunk`), with one
log line saying why; calls whose layouts the driver does not handle (a SumToShape that
must sum) and calls whose shapes do not fit (the schedule raises the ops' errors with
their context) run that schedule too.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sys
import threading
from dataclasses import replace
from typing import Any

import numpy as np

from tensordsl.backends.c import blas_ptrs, cache, runtime, validate
from tensordsl.backends.c.driver_codegen import (
    ENTRY,
    kernel_nodes,
    pointer_layout,
    render_driver,
)
from tensordsl.backends.c.driver_graph import DriverGraph, describe_function
from tensordsl.backends.c.driver_plan import NeedsFallback, Plan, make_plan
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.scan_graph import KernelNode
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import Schedule

log = logging.getLogger("tensordsl.backends.c")
PLANS_KEPT = 8
GENERATIONS = 2  # large outputs kept per output for reuse (see DriverRunner.buffer)


class DriverRunner:
    """Runs a whole function graph in one foreign call (`run(values) -> outputs`).

    `foreign_calls` counts the driver's C calls, `schedule_calls` the calls that ran
    the per-node schedule instead, `recycled` the outputs given an earlier call's array
    nobody held any more (tests read them); `source` is the unit."""

    def __init__(self, fgraph: FunctionGraph, graph: DriverGraph, fallback: Schedule,
                 source: str | None = None) -> None:
        self.fgraph, self.graph, self.fallback = fgraph, graph, fallback
        self.blas = (ctypes.c_void_p * 2)(*blas_ptrs.gemm_pointers())
        # the schedule's compiled kernels: their checks plan the shapes, their entries
        # are what the driver calls (the runners keep the libraries loaded)
        compiled = {step.node: step.runner for step in fallback.steps
                    if step.compiled and isinstance(step.runner, runtime.KernelRunner)}
        self.kernels = {}
        for pos, n in enumerate(graph.nodes):
            if isinstance(n, KernelNode):
                if n.node not in compiled:
                    raise Unsupported(f"{n.node.op} is not compiled in the schedule")
                self.kernels[pos] = compiled[n.node]
        entries = [ctypes.cast(compiled[n.node].fn, ctypes.c_void_p).value
                   for n in kernel_nodes(graph)]
        self.kernel_ptrs = (ctypes.c_void_p * max(1, len(entries)))(*entries)
        self.entry = ENTRY
        self.source = render_driver(graph) if source is None else source
        # found by its key when `make_thunk` built it in the function's bundle
        self.library, symbol = cache.get_entry(self.source, ENTRY, validate.check_source)
        self.fn = _load(self.library, symbol)
        self.in_dtypes = [np.dtype(v.dtype) for v in fgraph.inputs]
        self.in_ndims = [v.ndim for v in fgraph.inputs]
        self.out_dtypes = [np.dtype(v.dtype) for v in fgraph.outputs]
        self.consts = [c.__array_interface__["data"][0] for c in graph.consts]
        self.n_ptrs = pointer_layout(graph)[3] + 1
        self.plans: dict[tuple, tuple[Plan, int, Any, Any] | NeedsFallback] = {}
        self.lock = threading.Lock()
        self.spare: dict[int, list[np.ndarray]] = {}  # large outputs of the last calls
        self.foreign_calls = 0
        self.schedule_calls = 0
        self.recycled = 0  # outputs written into an array of an earlier call
        self.lent = 0  # outputs computed in place in a lent input buffer
        self.loans = threading.local()  # `lend`'s flags, for the next call of this thread

    def lend(self, arrays: dict[int, np.ndarray]) -> None:
        """For the next call from this thread: input position -> the array it will be
        given, for inputs (among `graph.donations`' values) that nobody but the caller
        can see, whose contents the call may therefore replace by the output donated to.
        A loan applies only to that very array (a stale one to nothing)."""
        self.loans.arrays = arrays

    def run(self, values: list[Any]) -> list[Any]:
        """Check the arguments, find the plan of their layouts, one foreign call."""
        lent = getattr(self.loans, "arrays", None)
        if lent:
            self.loans.arrays = None
        vals = []
        for j, (v, dt, nd) in enumerate(zip(values, self.in_dtypes, self.in_ndims)):
            if type(v) is not np.ndarray or v.dtype is not dt:
                v = runtime.as_operand(v, dt, "function", repr(self.fgraph.inputs[j]))
            if v.ndim != nd:
                return self.run_schedule(values)  # its ops raise their own errors
            vals.append(v)
        key = tuple([(v.shape, v.strides) for v in vals])
        found = self.plans.get(key)
        if found is None:
            found = self.plan(key)
            if found is None:  # shapes the ops reject: the schedule raises their error
                return self.run_schedule(values)
        if isinstance(found, NeedsFallback):
            return self.run_schedule(values)
        plan, meta, ptrs, workspace = found
        outs = [self.buffer(j, s, dt)
                for j, (s, dt) in enumerate(zip(plan.out_shapes, self.out_dtypes))]
        for k, j in self.graph.donations.items() if lent else ():
            v = vals[j]
            if lent.get(j) is v and v.shape == plan.out_shapes[k] \
                    and v.flags.c_contiguous and v.flags.aligned and v.flags.writeable:
                outs[k] = v  # the product accumulates into the lent buffer
                self.lent += 1
        # a driver that may write a lent buffer runs one call at a time: another thread's
        # call could be reading that buffer (its own arguments) while it is overwritten
        mine = self.lock.acquire(blocking=bool(self.graph.donations))
        try:
            if not mine:  # another thread runs this driver: own pointers and workspace
                ptrs, workspace = self.pointers(plan)
            n_in = len(vals)
            for j, v in enumerate(vals):
                ptrs[j] = v.__array_interface__["data"][0]
            at_out = n_in + len(self.consts)
            for j, o in enumerate(outs):
                ptrs[at_out + j] = o.__array_interface__["data"][0]
            self.fn(ptrs, meta, self.blas, self.kernel_ptrs)
        finally:
            if mine:
                self.lock.release()
        self.foreign_calls += 1
        self.keep(outs)
        return outs

    def run_schedule(self, values: list[Any]) -> list[Any]:
        """The per-node schedule's call (counted in `schedule_calls`)."""
        self.schedule_calls += 1
        outs = self.fallback.run(values)
        fresh = self.fallback.fresh_outputs
        # the driver promises new arrays: copy what the schedule may share (an input)
        return [o if j < len(fresh) and fresh[j] else np.array(o, copy=True)
                for j, o in enumerate(outs)]

    def buffer(self, j: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Output j's array: one of the last calls' that nobody but this driver holds any
        more (no caller, view or shared variable sees it: writing it is unobservable),
        else a new one (a fresh multi-megabyte array costs a page fault per 4 KiB). Two
        generations are kept: an update's new value replaces the shared variable's
        value, which the call before returned."""
        pool = self.spare.pop(j, None)  # atomic under the GIL: one thread gets the pool
        if not pool:
            return np.empty(shape, dtype)
        found = None
        for k in range(len(pool)):  # (enumerate's reused tuple would hold a reference)
            old = pool[k]
            # references: the pool, `old`, getrefcount's argument; any other is a holder
            if sys.getrefcount(old) == 3 and old.shape == shape and old.dtype == dtype:
                found = pool.pop(k)
                self.recycled += 1
                break
        self.spare[j] = pool
        return found if found is not None else np.empty(shape, dtype)

    def keep(self, outs: list[np.ndarray]) -> None:
        """Remember this call's large outputs for `buffer` (at most two per output).
        Not those that may be computed in a lent buffer: they become a shared variable's
        value, which a reference held here would keep from being lent next time."""
        for j, o in enumerate(outs):
            if o.nbytes >= runtime.RECYCLE_BYTES and j not in self.graph.donations:
                pool = self.spare.pop(j, None) or []
                self.spare[j] = (pool + [o])[-GENERATIONS:]

    def pointers(self, plan: Plan) -> tuple[Any, np.ndarray]:
        """A pointer array (constants, workspace and plan data filled in) and the
        workspace it points to."""
        workspace = np.empty(max(plan.workspace, 1) + 64, np.uint8)
        ptrs = (ctypes.c_void_p * self.n_ptrs)()
        at_const, _, at_ws, at_data = pointer_layout(self.graph)
        for j, address in enumerate(self.consts):
            ptrs[at_const + j] = address
        address = workspace.__array_interface__["data"][0]
        ptrs[at_ws] = address + (-address % 64)
        ptrs[at_data] = plan.data.__array_interface__["data"][0]
        return ptrs, workspace

    def plan(self, key: tuple) -> tuple[Plan, int, Any, Any] | NeedsFallback | None:
        """The plan of these input layouts (kept: 8 signatures), or None when the ops
        reject the shapes (not kept: the schedule raises the error)."""
        try:
            plan = make_plan(self.graph, self.kernels, list(key))
        except NeedsFallback as why:
            found: Any = why
        except (ValueError, IndexError):
            return None
        else:
            found = (plan, plan.meta.ctypes.data, *self.pointers(plan))
        with self.lock:
            if len(self.plans) >= PLANS_KEPT:
                self.plans.pop(next(iter(self.plans)))
            self.plans[key] = found
        return found


def driver_unit(fgraph: FunctionGraph) -> tuple[DriverGraph, cache.Unit] | None:
    """(described graph, unit) of `fgraph`'s driver, or None when the graph has a node
    the driver cannot run (`make_driver` then logs why)."""
    try:
        graph = describe_function(fgraph)
    except Unsupported:
        return None
    return graph, cache.Unit(render_driver(graph), ENTRY)


def make_driver(fgraph: FunctionGraph, schedule: Schedule,
                prepared: tuple[DriverGraph, cache.Unit] | None = None) -> Schedule | None:
    """`schedule` with its `run` replaced by a driver of the whole graph, or None (one
    log line says why) when the graph has a node the driver cannot run. `prepared`:
    `driver_unit`'s answer (its unit was built with the function's kernels)."""
    try:
        graph, source = ((describe_function(fgraph), None) if prepared is None
                         else (prepared[0], prepared[1].source))
        blas_ptrs.gemm_pointers()
        runner = DriverRunner(fgraph, graph, schedule, source)  # a kernel may not be compiled
    except Unsupported as why:
        log.info("C backend: no function driver (%s): per-node schedule", why)
        return None
    notes = dict(schedule.notes, driver=runner)
    return replace(schedule, run=runner.run, notes=notes,
                   fresh_outputs=tuple(True for _ in fgraph.outputs), fast_call=None)


@functools.cache
def _load(path: str, symbol: str = ENTRY) -> Any:
    fn = ctypes.CDLL(path)[symbol]  # releases the GIL: products and kernels may run long
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    fn.restype = None
    return fn
