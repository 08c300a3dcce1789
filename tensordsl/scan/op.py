"""The Scan op: a loop running an inner FunctionGraph once per step with the numpy VM.

Node inputs:  [n_steps, *sequences, *initial_buffers, *non_sequences]
Node outputs: [*state_buffers, *per_step_outputs]
Inner graph inputs: one slice per (sequence, tap), then one state per (recurrent
output, tap), then the non-sequences; inner outputs: the new value of each recurrent
state, then each per-step ("nit_sot") output, then (a while loop, `as_while`) the
condition that stops the loop after the step computing it; such a Scan has one more
output, the number of steps run, and its outputs keep only the rows of those steps.

A recurrent output k whose taps reach back L_k steps (taps -1 only: L_k = 1) lives in
a buffer of L_k + n_steps rows: the L_k initial rows, then one row per step. Step t
reads sequence i at row t + tap - min(taps_i) and state k at buffer row L_k + t + tap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerGraphOp
from tensordsl.graph.type import TensorType


def lag(taps: tuple[int, ...]) -> int:
    """How many initial rows a recurrent output with these (negative) taps needs."""
    return -min(taps)


def span(taps: tuple[int, ...]) -> int:
    """How many more rows than steps a sequence with these taps needs."""
    return max(taps) - min(taps)


class Scan(InnerGraphOp, Op):
    """Loop `inner` over n_steps (see the module docstring for the layout)."""

    __props__ = ()

    def __init__(self, inner: FunctionGraph, seq_taps: tuple[tuple[int, ...], ...],
                 rec_taps: tuple[tuple[int, ...], ...], n_nit: int, n_nonseq: int,
                 name: str | None = None, labels: tuple[str, ...] | None = None,
                 truncate_gradient: int = -1, as_while: bool = False) -> None:
        self.inner = inner
        self.as_while = as_while
        self.labels = labels  # how error messages name each output
        self.truncate_gradient = truncate_gradient  # BPTT over the last k steps (-1: all)
        self.seq_taps = tuple(tuple(t) for t in seq_taps)
        self.rec_taps = tuple(tuple(t) for t in rec_taps)
        self.n_nit = n_nit
        self.n_nonseq = n_nonseq
        self.name = name
        n_in = sum(map(len, self.seq_taps)) + sum(map(len, self.rec_taps)) + n_nonseq
        n_out = len(self.rec_taps) + n_nit + int(as_while)
        if len(inner.inputs) != n_in or len(inner.outputs) != n_out:
            raise ValueError("Scan: the inner graph does not match the taps and counts given")

    # Each Scan owns its inner graph: equal only to itself.
    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"Scan{{{self.name}}}" if self.name else "Scan"

    @property
    def n_seqs(self) -> int:
        """Number of sequences."""
        return len(self.seq_taps)

    @property
    def n_rec(self) -> int:
        """Number of recurrent outputs."""
        return len(self.rec_taps)

    def split_inputs(self, inputs: list[Any]) -> tuple[Any, list, list, list]:
        """(n_steps, sequences, initial buffers, non-sequences) of a node's inputs."""
        a, b = 1 + self.n_seqs, 1 + self.n_seqs + self.n_rec
        return inputs[0], list(inputs[1:a]), list(inputs[a:b]), list(inputs[b:])

    def make_node(self, n_steps: Any, *inputs: Any) -> Apply:
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or not n_steps.dtype.startswith(("int", "uint")):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n_steps.type}")
        inputs = [as_tensor_variable(v) for v in inputs]
        if len(inputs) != self.n_seqs + self.n_rec + self.n_nonseq:
            raise TypeError(f"{self}: expected {self.n_seqs + self.n_rec + self.n_nonseq} "
                            f"inputs after n_steps, got {len(inputs)}")
        _, seqs, inits, _ = self.split_inputs([n_steps, *inputs])
        for i, s in enumerate(seqs):
            if s.ndim == 0:
                raise TypeError(f"scan: sequence {i} ({s!r}) is a scalar; sequences are "
                                f"iterated over their first dim")
        outputs = [TensorType(init.dtype, (None,) + init.type.shape[1:])() for init in inits]
        for out in self.inner.outputs[self.n_rec:self.n_rec + self.n_nit]:
            outputs.append(TensorType(out.dtype, (None,) + out.type.shape)())
        if self.as_while:
            outputs.append(TensorType("int64", ())())  # the number of steps run
        return Apply(self, [n_steps, *inputs], outputs)

    def inner_graphs(self) -> list[FunctionGraph]:
        """The step's graph (run once per step by `perform_with`)."""
        return [self.inner]

    def perform_with(self, node: Apply, thunks: list[Any], inputs: list[np.ndarray]
                     ) -> list[np.ndarray]:
        """Run the loop, calling `thunks[0]` (the compiled step graph) once per step."""
        n_steps, seqs, inits, nonseqs = self.split_inputs(inputs)
        n = int(n_steps)
        if n < 0:
            raise ValueError(f"{self}: n_steps must be >= 0, got {n}")
        self._check_sequences(node, seqs, n)
        buffers = self._init_buffers(node, inits, n)
        nits: list[np.ndarray | None] = [None] * self.n_nit
        step = thunks[0]
        done = n
        for t in range(n):
            args = [seq[t + tap - min(taps)] for seq, taps in zip(seqs, self.seq_taps)
                    for tap in taps]
            args += [buf[lag(taps) + t + tap] for buf, taps in zip(buffers, self.rec_taps)
                     for tap in taps]
            results = step(args + list(nonseqs))
            self._store_states(node, buffers, results[:self.n_rec], t)
            self._store_nits(node, nits, results[self.n_rec:self.n_rec + self.n_nit], t, n)
            if self.as_while and bool(np.asarray(results[-1]).item()):
                done = t + 1
                break
        shapes = self._zero_step_shapes(step, seqs, buffers, nonseqs) if n == 0 else None
        for j, out in enumerate(nits):
            if out is None:  # zero steps: the shape a step would give, else the static
                inner = self.inner.outputs[self.n_rec + j]  # shape, unknown sizes as 0
                row = shapes[j] if shapes else tuple(s or 0 for s in inner.type.shape)
                nits[j] = np.zeros((0,) + row, inner.dtype)
        if not self.as_while:
            return buffers + nits  # type: ignore[operator]
        buffers = [b[:lag(taps) + done].copy() if done < n else b
                   for b, taps in zip(buffers, self.rec_taps)]
        nits = [o[:done].copy() if done < n else o for o in nits]  # type: ignore[index]
        return buffers + nits + [np.asarray(done, dtype="int64")]  # type: ignore[operator]

    def _zero_step_shapes(self, step: Any, seqs: list[np.ndarray], buffers: list[np.ndarray],
                          nonseqs: list[np.ndarray]) -> list[tuple[int, ...]] | None:
        """The per-step outputs' row shapes of a loop of zero steps: one step run on zeros
        of the rows' shapes (a sequence of no rows still has a row shape), so an empty
        output has the trailing dims a gradient or a later loop lines up with. None when
        there is nothing to learn or the step cannot run on zeros."""
        if not self.n_nit or all(None not in o.type.shape
                                 for o in self.inner.outputs[self.n_rec:]):
            return None
        args = [np.zeros(seq.shape[1:], seq.dtype) for seq, taps in zip(seqs, self.seq_taps)
                for _ in taps]
        args += [np.zeros(buf.shape[1:], buf.dtype) for buf, taps in zip(buffers, self.rec_taps)
                 for _ in taps]
        try:
            with np.errstate(all="ignore"):
                results = step(args + list(nonseqs))
        except Exception:  # noqa: BLE001 (a step that cannot run on zeros: the static guess)
            return None
        return [np.shape(r) for r in results[self.n_rec:self.n_rec + self.n_nit]]

    def _check_sequences(self, node: Apply, seqs: list[np.ndarray], n: int) -> None:
        for i, (seq, taps) in enumerate(zip(seqs, self.seq_taps)):
            need = n + span(taps)
            if seq.shape[0] < need:
                raise ValueError(f"{self}: sequence {i} ({node.inputs[1 + i]!r}) has "
                                 f"{seq.shape[0]} rows but {n} steps with taps {list(taps)} "
                                 f"need {need}")

    def _init_buffers(self, node: Apply, inits: list[np.ndarray], n: int) -> list[np.ndarray]:
        buffers = []
        for k, (init, taps) in enumerate(zip(inits, self.rec_taps)):
            rows = lag(taps)
            if init.shape[0] < rows:
                raise ValueError(f"{self}: the initial value of output {k} "
                                 f"({node.inputs[1 + self.n_seqs + k]!r}) has {init.shape[0]} "
                                 f"rows but taps {list(taps)} need {rows}")
            buf = np.empty((rows + n,) + init.shape[1:], dtype=node.outputs[k].dtype)
            buf[:rows] = init[:rows]
            buffers.append(buf)
        return buffers

    def _store_states(self, node: Apply, buffers: list[np.ndarray], values: list[Any], t: int
                      ) -> None:
        for k, (buf, value) in enumerate(zip(buffers, values)):
            value = np.asarray(value)
            if value.shape != buf.shape[1:]:
                raise ValueError(
                    f"{self}: step {t} of {self._label(k)} has shape "
                    f"{value.shape}, but its initial state (outputs_info) has shape "
                    f"{buf.shape[1:]}; a recurrent output must keep the shape of its "
                    f"initial state")
            buf[lag(self.rec_taps[k]) + t] = value

    def _store_nits(self, node: Apply, nits: list[Any], values: list[Any], t: int, n: int
                    ) -> None:
        for j, value in enumerate(values):
            value = np.asarray(value)
            if nits[j] is None:
                nits[j] = np.empty((n,) + value.shape, dtype=node.outputs[self.n_rec + j].dtype)
            elif value.shape != nits[j].shape[1:]:
                raise ValueError(
                    f"{self}: step {t} of {self._label(self.n_rec + j)} has shape "
                    f"{value.shape}, but step 0 "
                    f"had shape {nits[j].shape[1:]}; every step must return the same shape")
            nits[j][t] = value

    def _label(self, k: int) -> str:
        if self.labels is not None:
            return self.labels[k]
        return repr(self.inner.outputs[k])

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.ops.subtensor import shape_i
        from tensordsl.tensor import math as tm

        n_steps = node.outputs[-1] if self.as_while else node.inputs[0]
        shapes: list[tuple] = []
        for k, taps in enumerate(self.rec_taps):
            init_shape = input_shapes[1 + self.n_seqs + k]
            shapes.append((tm.add(n_steps, lag(taps)), *init_shape[1:]))
        for out in node.outputs[self.n_rec:self.n_rec + self.n_nit]:
            shapes.append((n_steps, *(shape_i(out, d) for d in range(1, out.ndim))))
        if self.as_while:
            shapes.append(())
        return shapes
