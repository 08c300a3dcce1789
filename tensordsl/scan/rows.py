"""SequenceRows: the rows of a sequence a Scan's steps read at one tap, as one view.

The scan pushout (tensordsl/rewrite/scan_pushout.py) computes a step's sequence-only values
for every step at once, outside the loop, from `seq[start:start + n_steps]`. A plain slice
of a too-short sequence would be short too, and an elementwise op on it would broadcast or
fail with a message about shapes; this op raises the Scan's own error instead (naming the
sequence and the rows its taps need), before anything reads the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType


class SequenceRows(Op):
    """seq[start:start + n_steps], after checking seq has n_steps + span rows (the Scan
    `who`'s sequence `index` with taps `taps`)."""

    __props__ = ("start", "span", "who", "index", "taps")

    def __init__(self, start: int, span: int, who: str, index: int,
                 taps: tuple[int, ...]) -> None:
        self.start, self.span, self.who = int(start), int(span), str(who)
        self.index, self.taps = int(index), tuple(int(t) for t in taps)
        self.view_map = {0: [0]}

    def __str__(self) -> str:
        return f"SequenceRows{{{self.start}}}"

    def make_node(self, seq: Any, n_steps: Any) -> Apply:
        seq, n_steps = as_tensor_variable(seq), as_tensor_variable(n_steps)
        if seq.ndim == 0 or n_steps.ndim != 0:
            raise TypeError(f"{self}: needs a sequence of >= 1 dims and a scalar step count, "
                            f"got {seq.type} and {n_steps.type}")
        out = TensorType(seq.dtype, (None,) + seq.type.shape[1:])()
        return Apply(self, [seq, n_steps], [out])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        seq, n_steps = inputs
        n = int(n_steps)
        need = max(n, 0) + self.span
        if n >= 0 and seq.shape[0] < need:  # n < 0: the Scan raises its own error
            raise ValueError(f"{self.who}: sequence {self.index} ({node.inputs[0]!r}) has "
                             f"{seq.shape[0]} rows but {n} steps with taps {list(self.taps)} "
                             f"need {need}")
        return [seq[self.start:self.start + max(n, 0)]]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.tensor import math as tm

        return [(tm.maximum(node.inputs[1], 0), *input_shapes[0][1:])]
