"""The OpenCL backend's thunk: a FunctionGraph run step by step, values on the device.

Each graph node becomes one step:
* kernel-shaped nodes (elementwise, fused, reductions: `lower_node`) and float matrix
  products (Dot, Gemm of 1-d/2-d float32/float64 operands) run compiled on the device;
* DimShuffle (transpose, broadcast dims) is a view of the device array, no copy;
* every other node runs on the host through its numpy `perform`, with ONE log line
  per node (logger "tensordsl.backends.opencl") naming it and the copies it costs.

Values stay device arrays between compiled steps. A numpy value (an input, a constant)
is copied to the device once per call when a device step first needs it (constants
once per thunk); a device value is copied back once when a host step needs it.
Outputs are numpy arrays, or the device arrays themselves with `device_outputs`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tensordsl.backends.cfamily.dialect import Unsupported
from tensordsl.backends.numpy.vm import Storage, with_context
from tensordsl.backends.opencl import device as devices
from tensordsl.backends.opencl import runtime
from tensordsl.config import config
from tensordsl.graph.basic import Apply
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.kernel.ir import Kernel
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import DimShuffle
from tensordsl.ops.shape import Shape

try:  # the seam moves node -> Kernel lowering next to the kernel IR
    from tensordsl.kernel.lower import lower_node
except ImportError:  # pragma: no cover - before the seam
    from tensordsl.backends.c.lower import lower_node

log = logging.getLogger("tensordsl.backends.opencl")
_CONTEXT_ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, FloatingPointError)


@dataclass(frozen=True)
class DeviceStep:
    """One step of an OpenCL schedule."""

    node: Apply
    call: Callable[[list], list]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    where: str  # "device" (compiled), "view" (device view, no copy), "shape" (reads
    # only the shape, wherever the value is) or "host" (numpy perform)
    kernel: Kernel | None = None
    runner: Any = None
    # a 0-d kernel whose inputs all happen to be on the host (shape arithmetic) runs
    # its numpy perform there, over these slots (every node input): no launch, no copy
    host_inputs: tuple[int, ...] | None = None

    @property
    def compiled(self) -> bool:
        return self.where != "host"


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


def _lower(node: Apply, rt: devices.Runtime) -> tuple[str, Any, list[int], Kernel | None] | str:
    """(where, runner or call, kernel input positions, kernel), or why it runs on the host."""
    op = node.op
    labels = [repr(v) for v in node.inputs]
    if isinstance(op, Shape):
        return "shape", (lambda args: [np.asarray(args[0].shape, dtype="int64")]), [0], None
    if isinstance(op, DimShuffle):
        order = op.new_order
        return "view", (lambda args: [dimshuffle_view(args[0], order)]), [0], None
    if isinstance(op, (Dot, Gemm)):
        dtype = node.outputs[0].dtype
        matrices = node.inputs[2:4] if isinstance(op, Gemm) else node.inputs
        if dtype not in ("float32", "float64") or any(v.ndim > 2 for v in matrices) \
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


def make_thunk(fgraph: FunctionGraph, device_outputs: bool = False) -> Any:
    """A callable running `fgraph` on the OpenCL device of config.device: list of input
    values (numpy or pyopencl arrays) -> list of outputs (numpy, or device arrays with
    `device_outputs`)."""
    rt = current_device()
    storage = Storage()
    slot = storage.slot
    input_slots = [slot(v) for v in fgraph.inputs]
    steps: list[DeviceStep] = []
    for node in fgraph.toposort():
        outs = tuple(slot(v) for v in node.outputs)
        lowered = _lower(node, rt)
        if isinstance(lowered, str):
            # runner: why it is not lowered (for the log line)
            steps.append(DeviceStep(node, node.op.perform, tuple(slot(v) for v in node.inputs),
                                    outs, "host", runner=lowered))
            continue
        where, runner, loaded, kernel = lowered
        call = runner.call if hasattr(runner, "call") else runner
        scalar = kernel is not None and kernel.ndim == 0 and not kernel.is_reduction
        steps.append(DeviceStep(node, call, tuple(slot(node.inputs[i]) for i in loaded), outs,
                                where, kernel, runner,
                                tuple(slot(v) for v in node.inputs) if scalar else None))
    output_slots = [slot(v) for v in fgraph.outputs]
    _log_host_steps(steps, output_slots)
    constants = {i: v for i, v in enumerate(storage.template) if v is not None}
    run = _Run(rt, steps, input_slots, output_slots, constants, device_outputs)
    produced = {o for s in steps if s.where == "device" for o in s.outputs}
    run.fresh_outputs = tuple(  # a fresh device result is copied back: nobody else holds it
        s in produced and s not in input_slots and output_slots.count(s) == 1
        for s in output_slots)
    return run


def _log_host_steps(steps: list[DeviceStep], output_slots: list[int]) -> None:
    """One line per host step: the node, why, and the copies it costs per call."""
    on_device: set[int] = set()
    for k, step in enumerate(steps):
        if step.where in ("device", "view"):
            on_device.update(step.outputs)
        if step.where != "host":
            continue
        down = sum(1 for s in set(step.inputs) if s in on_device)
        later = [s for t in steps[k + 1:] if t.where in ("device", "view") for s in t.inputs]
        up = sum(1 for s in step.outputs if s in later)
        log.info("opencl: %s runs on the host (numpy perform; %s): %d device->host and "
                 "%d host->device copies per call", step.node.op, step.runner, down, up)


class _Run:
    """The thunk: runs the steps, moving values between host and device on demand."""

    def __init__(self, rt: devices.Runtime, steps: list[DeviceStep], input_slots: list[int],
                 output_slots: list[int], constants: dict[int, Any],
                 device_outputs: bool) -> None:
        self.rt = rt
        self.steps = tuple(steps)
        self.input_slots = input_slots
        self.output_slots = output_slots
        self.constants = constants
        self.constants_on_device: dict[int, Any] = {}
        self.device_outputs = device_outputs
        self.fresh_outputs: tuple[bool, ...] = ()

    def __call__(self, values: list[Any]) -> list[Any]:
        return self.run(values, self.device_outputs)

    def run_device(self, values: list[Any]) -> list[Any]:
        """Run and return device arrays for outputs computed on the device."""
        return self.run(values, True)

    def run(self, values: list[Any], device_outputs: bool) -> list[Any]:
        host: dict[int, Any] = dict(self.constants)
        dev: dict[int, Any] = dict(self.constants_on_device)
        for s, value in zip(self.input_slots, values):
            if runtime.is_device_array(value):
                dev[s] = runtime.to_device(self.rt, value, "opencl function",
                                           f"#{self.input_slots.index(s)}")
                host.pop(s, None)
            else:
                host[s] = value
                dev.pop(s, None)

        def on_device(s: int) -> Any:
            value = dev.get(s)
            if value is None:
                value = dev[s] = runtime.to_device(self.rt, np.asarray(host[s]),
                                                   "opencl function", f"slot {s}")
                if s in self.constants:
                    self.constants_on_device[s] = value
            return value

        def on_host(s: int) -> Any:
            if s not in host:
                host[s] = runtime.to_host(dev[s])
            return host[s]

        for step in self.steps:
            where = step.where
            if step.host_inputs is not None and all(s in host for s in step.host_inputs):
                where, args = "host", [host[s] for s in step.host_inputs]
                call = step.node.op.perform
            elif where == "host":
                args, call = [on_host(s) for s in step.inputs], step.call
            elif where == "shape":
                args, call = [dev[s] if s in dev else host[s] for s in step.inputs], step.call
            else:
                args, call = [on_device(s) for s in step.inputs], step.call
            try:
                results = call(step.node, args) if where == "host" else call(args)
            except _CONTEXT_ERRORS as err:
                message = with_context(str(err), step.node, args)
                try:
                    new = type(err)(message)
                except Exception:
                    new = ValueError(message)
                raise new from None
            target = host if where in ("host", "shape") else dev
            other = dev if target is host else host
            for o, r in zip(step.outputs, results):
                target[o] = r
                other.pop(o, None)
        out = []
        for s in self.output_slots:
            if device_outputs and s in dev:
                out.append(dev[s])
            else:
                out.append(on_host(s))
        return out
