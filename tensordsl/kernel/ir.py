"""The kernel IR: one fused loop nest with a scalar expression DAG per element.

A `Kernel` is what fusion produces and what the C and OpenCL renderers consume; they
never look at the high-level graph. It describes:

* `inputs`: tensors broadcast against one iteration space of rank `ndim` (fusion aligns
  every input to that rank, so input dim d is iteration dim d; a size-1 dim broadcasts);
* `body`: a topologically ordered tuple of `ScalarNode`s (loads, constants, scalar ops);
* `outputs`: body indices whose values are written out, each with its dtype;
* `reduce_axes` / `reduce_kinds`: when set, every output is reduced over those iteration
  axes with its kind ("add", "mul", "maximum", "minimum"), accumulating in `acc_dtypes`;
  otherwise every output has the full iteration shape.

Kernels are immutable, hashable and compare by value, so equal kernels share a
compiled artefact, and `key()` is stable across processes (used by disk caches). Float
constants compare by their bits: -0.0 and 0.0 are different kernels (x / -0.0 is -inf),
where Python's == would have let one reuse the other's compiled code.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tensordsl.ops.scalar import ScalarOp


def constant_key(value: Any) -> Any:
    """What a constant compares by: floats by their bits (-0.0 is not 0.0, and a NaN
    equals itself), complex numbers by both parts' bits, anything else by value."""
    if isinstance(value, (float, np.floating)):
        return "float", struct.pack("<d", float(value))
    if isinstance(value, (complex, np.complexfloating)):
        return "complex", struct.pack("<dd", value.real, value.imag)
    return "value", value


@dataclass(frozen=True)
class KernelInput:
    """One input tensor: dtype and which iteration dims it broadcasts (static size 1)."""

    dtype: str
    broadcastable: tuple[bool, ...]


@dataclass(frozen=True)
class ScalarNode:
    """A node of the scalar DAG: a load of input `input`, a constant `value`, or `op(args)`."""

    dtype: str
    op: ScalarOp | None = None
    args: tuple[int, ...] = ()
    input: int | None = None
    value: Any = field(default=None, compare=False)
    # the value's equality key (`constant_key`): nodes, kernels and every cache keyed by
    # them tell -0.0 from 0.0
    value_key: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value_key", constant_key(self.value))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # pickles made before `value_key` existed get it too
        for name, item in state.items():
            object.__setattr__(self, name, item)
        object.__setattr__(self, "value_key", constant_key(self.value))

    @property
    def kind(self) -> str:
        """'load', 'const' or 'op'."""
        if self.input is not None:
            return "load"
        if self.op is None:
            return "const"
        return "op"


@dataclass(frozen=True)
class Kernel:
    """A fused elementwise (optionally reducing) kernel over an `ndim`-d iteration space."""

    ndim: int
    inputs: tuple[KernelInput, ...]
    body: tuple[ScalarNode, ...]
    outputs: tuple[int, ...]
    output_dtypes: tuple[str, ...]
    reduce_axes: tuple[int, ...] = ()
    reduce_kinds: tuple[str, ...] = ()
    acc_dtypes: tuple[str, ...] = ()
    name: str = field(default="kernel", compare=False)

    def __post_init__(self) -> None:
        for i, node in enumerate(self.body):
            if node.kind == "op" and any(a >= i for a in node.args):
                raise ValueError(f"kernel body is not topologically ordered at node {i}")
            if node.kind == "load" and not 0 <= node.input < len(self.inputs):  # type: ignore
                raise ValueError(f"kernel node {i} loads missing input {node.input}")
        for inp in self.inputs:
            if len(inp.broadcastable) != self.ndim:
                raise ValueError(f"kernel input of rank {len(inp.broadcastable)} in a "
                                 f"{self.ndim}-d iteration space")
        if len(self.outputs) != len(self.output_dtypes):
            raise ValueError("one dtype per kernel output is required")
        if self.reduce_axes and len(self.reduce_kinds) != len(self.outputs):
            raise ValueError("a reducing kernel needs one reduce kind per output")

    @property
    def is_reduction(self) -> bool:
        """True when the outputs are reduced over `reduce_axes`."""
        return bool(self.reduce_axes)

    def key(self) -> str:
        """A deterministic text key describing the kernel (for caches and dumps)."""
        parts = [f"ndim={self.ndim}"]
        parts += [f"in{i}:{x.dtype}:{''.join('1' if b else 'n' for b in x.broadcastable)}"
                  for i, x in enumerate(self.inputs)]
        for i, node in enumerate(self.body):
            if node.kind == "load":
                parts.append(f"%{i}={node.dtype}:load({node.input})")
            elif node.kind == "const":
                parts.append(f"%{i}={node.dtype}:const({node.value!r})")
            else:
                args = ",".join(f"%{a}" for a in node.args)
                parts.append(f"%{i}={node.dtype}:{node.op.name}({args})")  # type: ignore
        parts.append("out=" + ",".join(f"%{o}:{d}" for o, d in
                                       zip(self.outputs, self.output_dtypes)))
        if self.reduce_axes:
            parts.append(f"reduce={self.reduce_axes}:{self.reduce_kinds}:{self.acc_dtypes}")
        return ";".join(parts)
