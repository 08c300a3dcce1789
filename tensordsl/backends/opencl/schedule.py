"""The OpenCL backend's thunk: a FunctionGraph run step by step, values on the device.

Each graph node becomes one step:
* kernel-shaped nodes (elementwise, fused, reductions: `lower_node`) and float matrix
  products (Dot, Gemm of 1-d/2-d float32/float64 operands) run compiled on the device;
* DimShuffle (transpose, broadcast dims) and Subtensor with constant basic indices
  (integers and slices) are views of the device array, no copy (a 0-d Subtensor of a
  value that is on the host, such as a shape vector's entry, is numpy's there);
* every other node runs on the host through its numpy `perform`, with ONE log line
  per node (logger "tensordsl.backends.opencl") naming it and the copies it costs.

Values stay device arrays between compiled steps. A numpy value (an input, a constant)
is copied to the device once per call when a device step first needs it (constants
once per thunk); a device value is copied back once when a host step needs it.
Outputs are numpy arrays, or the device arrays themselves with `device_outputs`.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np

from tensordsl.backends.cfamily.dialect import Unsupported
from tensordsl.backends.opencl import device as devices
from tensordsl.backends.opencl import runtime
from tensordsl.config import config
from tensordsl.gradient.sum_to import SumToShape
from tensordsl.graph.basic import Apply, Constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import (
    InnerCompiler,
    Resident,
    Schedule,
    Step,
    Storage,
    perform_step,
    rebuilt_error,
    with_context,
)
from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.lower import lower_node
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import DimShuffle
from tensordsl.ops.reduce import Argmax
from tensordsl.ops.shape import Join, Shape
from tensordsl.ops.subtensor import Subtensor, build_index
from tensordsl.sandbox.rng_mrg import MRGUniform

log = logging.getLogger("tensordsl.backends.opencl")
_CONTEXT_ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, FloatingPointError)
# where a step runs: "device" (compiled), "view" (a device view, no copy), "shape"
# (reads only the shape, wherever the value is) or "host" (numpy perform)
PLACES = ("device", "view", "shape", "host")


def current_device() -> devices.Runtime:
    """The runtime of config.device when it names an OpenCL device, else "opencl"."""
    spec = config.device if str(config.device).startswith("opencl") else "opencl"
    return devices.runtime(spec)


def dimshuffle_view(x: Any, new_order: tuple) -> Any:
    """Theano's dimshuffle of a device array as a strided view (no copy)."""
    import pyopencl.array as cla

    kept = [d for d in new_order if d != "x"]
    shape, strides = [], []
    for d in new_order:
        if d == "x":
            shape.append(1)
            strides.append(x.dtype.itemsize)
        else:
            shape.append(x.shape[d])
            strides.append(x.strides[d])
    if any(x.shape[d] != 1 for d in range(x.ndim) if d not in kept):
        raise ValueError(f"dimshuffle{new_order}: dropped dims of shape {x.shape} must "
                         f"have size 1")
    return cla.Array(x.queue, tuple(shape), x.dtype, strides=tuple(strides),
                     data=x.base_data, offset=x.offset, allocator=x.allocator)


def subtensor_view(x: Any, index: tuple, who: str) -> Any:
    """x[index] of a device array for a basic index (ints and slices, as numpy reads
    them) as a strided view: no copy. IndexError for an integer out of bounds."""
    import pyopencl.array as cla

    if len(index) > x.ndim:
        raise IndexError(f"{who}: {len(index)} indices for an array of shape {x.shape}")
    offset = x.offset  # bytes from the buffer's start, as pyopencl counts it
    shape: list[int] = []
    strides: list[int] = []
    for d, entry in enumerate(index):
        n, stride = x.shape[d], x.strides[d]
        if isinstance(entry, slice):
            start, stop, step = entry.indices(n)  # ValueError for step 0, as numpy
            length = len(range(start, stop, step))
            if length:  # an empty slice may start past the end: it reads nothing
                offset += start * stride
            shape.append(length)
            strides.append(stride * step)
        else:
            i = entry + n if entry < 0 else entry
            if not 0 <= i < n:
                raise IndexError(f"{who}: index {entry} is out of bounds for axis {d} "
                                 f"with size {n}")
            offset += i * stride
    shape += x.shape[len(index):]
    strides += x.strides[len(index):]
    return cla.Array(x.queue, tuple(shape), x.dtype, strides=tuple(strides),
                     data=x.base_data, offset=offset, allocator=x.allocator)


def _constant_index(node: Apply) -> tuple | None:
    """The numpy index of a Subtensor whose index inputs are all constants and basic
    (integers, slices); None otherwise (array indices, bounds computed at run time)."""
    spec = node.op.spec
    if "a" in spec or not all(isinstance(v, Constant) for v in node.inputs[1:]):
        return None
    return build_index(spec, [v.data for v in node.inputs[1:]])


def _lower(node: Apply, rt: devices.Runtime) -> tuple[str, Any, list[int], Kernel | None] | str:
    """(where, runner or call, kernel input positions, kernel), or why it runs on the host."""
    op = node.op
    labels = [repr(v) for v in node.inputs]
    if isinstance(op, Shape):
        return "shape", (lambda args: [np.asarray(args[0].shape, dtype="int64")]), [0], None
    if isinstance(op, DimShuffle):
        order = op.new_order
        return "view", (lambda args: [dimshuffle_view(args[0], order)]), [0], None
    if isinstance(op, Subtensor):
        index = _constant_index(node)
        if index is None:
            why = "an array index" if "a" in op.spec else "bounds computed at run time"
            return f"{op} ({why})"
        who = f"{node.inputs[0]!r}{op}"
        return "view", (lambda args: [subtensor_view(args[0], index, who)]), [0], None
    if isinstance(op, Argmax):
        from tensordsl.backends.opencl.argmax import ArgmaxRunner

        dtype = node.inputs[0].dtype
        try:
            runner = ArgmaxRunner(dtype, node.inputs[0].ndim, op.axis, op.kind, rt, str(op))
        except Unsupported as why:
            return f"{op} ({why})"
        return "device", runner, [0], None
    if isinstance(op, SumToShape):
        return "view", functools.partial(_sum_to_shape, node, rt), [0, 1], None
    if isinstance(op, MRGUniform):  # random draws on the device (opencl/mrg.py)
        from tensordsl.backends.opencl.mrg import lower_mrg

        return lower_mrg(node, rt)
    if isinstance(op, Join):  # one strided copy kernel per input (opencl/join.py)
        from tensordsl.backends.opencl.join import JoinRunner

        out = node.outputs[0]
        runner = JoinRunner(op.axis, [v.dtype for v in node.inputs], out.dtype, out.ndim, rt,
                            labels, str(op))
        return "device", runner, list(range(len(node.inputs))), None
    if isinstance(op, (Dot, Gemm)):
        dtype = node.outputs[0].dtype
        matrices = node.inputs[2:4] if isinstance(op, Gemm) else node.inputs
        # Dot: float or integer, any rank; Gemm: float, 1-d/2-d; one dtype throughout
        kind = np.dtype(dtype).kind
        gemm = isinstance(op, Gemm)
        if not (dtype in ("float32", "float64") or (kind in "iu" and not gemm)) \
                or (gemm and any(v.ndim > 2 for v in matrices)) \
                or any(v.dtype != dtype for v in node.inputs):
            return f"{op} ({dtype}, {'/'.join(str(v.ndim) for v in matrices)}-d)"
        runner = runtime.GemmRunner(dtype, isinstance(op, Gemm), rt, labels, str(op))
        return "device", runner, list(range(len(node.inputs))), None
    lowered = lower_node(node)
    if lowered is None:
        return type(op).__name__
    kernel, loaded = lowered
    try:
        runner = runtime.KernelRunner(kernel, rt, [labels[i] for i in loaded], str(op))
    except Unsupported as why:
        return f"{op} ({why})"
    return "device", runner, loaded, kernel


def _sum_to_shape(node: Apply, rt: devices.Runtime, args: list[Any]) -> list[Any]:
    """SumToShape on device values: the gradient itself when the shapes already agree
    (the usual case: only `like`'s shape is read, never its data), else the sum on the
    host (copied there and back, counted in TRANSFERS)."""
    g, like = args
    if tuple(g.shape) == tuple(like.shape):
        return [g]
    shape_only = np.broadcast_to(np.zeros((), g.dtype), like.shape)
    (out,) = node.op.perform(node, [runtime.to_host(g), shape_only])
    return [runtime.to_device(rt, out, str(node.op), "sum")]


def step_sources(step: Step) -> list[tuple[str, str, tuple[str, ...]]]:
    """(program text, entry kernel, argument layout) of each program a step runs."""
    runner = step.runner
    if isinstance(runner, runtime.KernelRunner):
        k = runner.kernel
        ins = [f"input {lbl} ({x.dtype}, {k.ndim}-d): pointer, element offset"
               for lbl, x in zip(runner.labels, k.inputs)]
        outs = [f"output ({d})" for d in k.output_dtypes]
        entry = "td_part" if k.is_reduction else "td_flat"
        found = [(runner.source, entry, tuple(ins + outs))]
        if runner.vector_source is not None:
            found.append((runner.vector_source, "td_vec", tuple(ins + outs)))
        return found
    if isinstance(runner, runtime.GemmRunner):
        return [(runner.source, "td_gemm", tuple(repr(v) for v in step.node.inputs))]
    if type(runner).__name__ == "ArgmaxRunner":
        return [(runner.source, "td_arg", (f"input {step.node.inputs[0]!r}",
                                           "output (int64)"))]
    if isinstance(getattr(runner, "source", None), str) and hasattr(runner, "entry"):
        return [(runner.source, runner.entry, tuple(repr(v) for v in step.node.inputs))]
    return []


def make_thunk(fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None,
               device_outputs: bool = False) -> Schedule:
    """A Schedule running `fgraph` on the OpenCL device of config.device: list of input
    values (numpy or pyopencl arrays) -> list of outputs (numpy, or device arrays with
    `device_outputs`). `schedule.notes["where"]` gives each step's place (PLACES) and
    `schedule.notes["run_device"]` runs it returning device arrays."""
    rt = current_device()
    storage = Storage()
    slots = storage.slots_of
    input_slots = slots(fgraph.inputs)
    steps: list[Step] = []
    where: list[str] = []
    host_inputs: list[tuple[int, ...] | None] = []
    for node in fgraph.toposort():
        outs = slots(node.outputs)
        lowered = _lower(node, rt)
        if isinstance(lowered, str):
            step = perform_step(node, slots(node.inputs), outs, compile_inner)
            steps.append(Step(node, step.call, step.inputs, outs, False, runner=lowered))
            where.append("host")
            host_inputs.append(None)
            continue
        place, runner, loaded, kernel = lowered
        call = runner.call if hasattr(runner, "call") else runner
        steps.append(Step(node, call, slots(node.inputs[i] for i in loaded), outs, True,
                          kernel, runner))
        where.append(place)
        # a 0-d kernel whose inputs all happen to be on the host (shape arithmetic) runs
        # its numpy perform there, over every node input: no launch, no copy; so does a
        # 0-d Subtensor of a host value (an entry of a shape vector)
        scalar = kernel is not None and kernel.ndim == 0 and not kernel.is_reduction
        entry = isinstance(node.op, Subtensor) and node.outputs[0].ndim == 0
        host_inputs.append(slots(node.inputs) if scalar or entry else None)
    output_slots = slots(fgraph.outputs)
    _log_host_steps(steps, where)
    constants = {i: v for i, v in enumerate(storage.template) if v is not None}
    run = _Run(rt, tuple(steps), tuple(where), tuple(host_inputs), input_slots, output_slots,
               constants)
    produced = {o for s, w in zip(steps, where) if w == "device" for o in s.outputs}
    fresh = tuple(  # a fresh device result is copied back: nobody else holds it
        s in produced and s not in input_slots and output_slots.count(s) == 1
        for s in output_slots)
    call = run.run_device if device_outputs else run.run_host
    resident = Resident(run.run_device,
                        lambda host: runtime.to_device(rt, np.asarray(host), "opencl",
                                                       "shared variable"),
                        runtime.to_host,
                        lambda value: runtime.is_device_array(value)
                        and value.context == rt.context)
    return Schedule(call, tuple(steps), input_slots, output_slots,
                    fresh if not device_outputs else (), backend="opencl",
                    notes={"where": tuple(where), "run_device": run.run_device,
                           "run_host": run.run_host, "device": rt.info},
                    resident=resident)


def _log_host_steps(steps: list[Step], where: list[str]) -> None:
    """One line per host step: the node, why, and the copies it costs per call."""
    on_device: set[int] = set()
    for k, (step, place) in enumerate(zip(steps, where)):
        if place in ("device", "view"):
            on_device.update(step.outputs)
        if place != "host":
            continue
        down = sum(1 for s in set(step.inputs) if s in on_device)
        later = [s for t, w in zip(steps[k + 1:], where[k + 1:]) if w in ("device", "view")
                 for s in t.inputs]
        up = sum(1 for s in step.outputs if s in later)
        log.info("opencl: %s runs on the host (numpy perform; %s): %d device->host and "
                 "%d host->device copies per call", step.node.op, step.runner, down, up)


class _Run:
    """Runs the steps, moving values between host and device on demand."""

    def __init__(self, rt: devices.Runtime, steps: tuple[Step, ...], where: tuple[str, ...],
                 host_inputs: tuple[tuple[int, ...] | None, ...], input_slots: tuple[int, ...],
                 output_slots: tuple[int, ...], constants: dict[int, Any]) -> None:
        self.rt = rt
        self.plan = [(s.node, s.call, s.inputs, s.outputs, w, h)
                     for s, w, h in zip(steps, where, host_inputs)]
        # steps whose outputs include a function output computed by that step alone: when
        # the outputs go to the host, their kernel writes into numpy memory directly
        # (runtime.host_backed: no copy back on PoCL)
        once = {s for s in output_slots if output_slots.count(s) == 1
                and s not in input_slots}
        self.host_calls = {k: functools.partial(s.runner.call, host_outputs=True)
                           for k, (s, w) in enumerate(zip(steps, where))
                           if isinstance(s.runner, runtime.KernelRunner) and w == "device"
                           and once.intersection(s.outputs)}
        self.input_slots = input_slots
        self.output_slots = output_slots
        self.constants = constants
        self.constants_on_device: dict[int, Any] = {}  # uploaded once, kept

    def run_host(self, values: list[Any]) -> list[Any]:
        """Outputs as numpy arrays."""
        return self.run(values, False)

    def run_device(self, values: list[Any]) -> list[Any]:
        """Outputs computed on the device as device arrays (the others as numpy)."""
        return self.run(values, True)

    def run(self, values: list[Any], device_outputs: bool) -> list[Any]:
        host: dict[int, Any] = dict(self.constants)
        dev: dict[int, Any] = dict(self.constants_on_device)
        for k, (s, value) in enumerate(zip(self.input_slots, values)):
            if runtime.is_device_array(value):
                dev[s] = runtime.to_device(self.rt, value, "opencl function", f"#{k}")
                host.pop(s, None)
            else:
                host[s] = value
                dev.pop(s, None)

        borrowed: list = []  # host arrays backing device buffers during this call

        def on_device(s: int) -> Any:
            value = dev.get(s)
            if value is None:
                constant = s in self.constants
                value = dev[s] = runtime.to_device(self.rt, np.asarray(host[s]),
                                                   "opencl function", f"slot {s}",
                                                   None if constant else borrowed)
                if constant:
                    self.constants_on_device[s] = value
            return value

        def on_host(s: int) -> Any:
            if s not in host:
                host[s] = runtime.to_host(dev[s])
            return host[s]

        try:
            return self._steps(host, dev, on_device, on_host, device_outputs)
        finally:
            if borrowed:  # kernels may still read the caller's arrays: wait for them
                self.rt.queue.finish()

    def _steps(self, host: dict, dev: dict, on_device: Any, on_host: Any,
               device_outputs: bool) -> list[Any]:
        for k, (node, call, ins, outs, place, host_ins) in enumerate(self.plan):
            if not device_outputs and k in self.host_calls:
                call = self.host_calls[k]
            if host_ins is not None and all(s in host for s in host_ins):
                place, args = "host", [host[s] for s in host_ins]
                call = functools.partial(node.op.perform, node)
            elif place == "host":
                args = [on_host(s) for s in ins]
            elif place == "shape":
                args = [dev[s] if s in dev else host[s] for s in ins]
            else:
                args = [on_device(s) for s in ins]
            try:
                results = call(args)
            except _CONTEXT_ERRORS as err:
                raise rebuilt_error(err, with_context(str(err), node, args)) from None
            target, other = (host, dev) if place in ("host", "shape") else (dev, host)
            for o, r in zip(outs, results):
                target[o] = r
                other.pop(o, None)
        if device_outputs:
            return [dev[s] if s in dev else host[s] for s in self.output_slots]
        return [on_host(s) for s in self.output_slots]
