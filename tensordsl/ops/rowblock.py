"""RowBlock: `X @ w` -> a row-wise kernel -> `X.T @ g`, as one node (one pass over X).

The pattern is the step of a linear model trained by gradient descent: per row i of a
matrix X, `d_i = X_i . w`, then an elementwise kernel over the rows (the loss and its
derivative, reading row-aligned vectors such as targets and scalars such as 1/N) gives
`g_i`, and the gradient is `alpha * X.T @ g + beta * c`. Run as three nodes, X is read
twice from memory; a compiled backend can read each block of rows once, while it is in
cache (the C backend's lowering table has a rule for this op).

The node's inputs are `(X, w, c, alpha, beta, *leaves)` (`c, alpha, beta` only when the
second product is a Gemm); its outputs are `(X.T @ g [...], *row outputs, *sums)`: row
outputs are kernel values the rest of the graph reads (N-vectors), sums are kernel values
summed over the rows (0-d).

`kernel` is a 1-d `Kernel` whose input 0 is `d` (the row dot products) and whose other
inputs are the leaves, each a row vector or a scalar (broadcastable); its outputs are
`g`, the row outputs, then the summed values. It is exact only when every row vector has
X's row count (no run-time broadcasting between rows): compiled code checks that first.
`perform` runs the original subgraph (`inner`, kept by the rewrite) with numpy, so the
reference values are the unfused graph's, bit for bit, whatever the shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import reference_schedule
from tensordsl.kernel.ir import Kernel


class RowBlock(Op):
    """One pass over X: row dot products, a row-wise kernel, the transposed product."""

    __props__ = ("kernel", "n_rows_out", "n_sums", "gemm")

    def __init__(self, kernel: Kernel, n_rows_out: int, n_sums: int, gemm: bool,
                 inner: FunctionGraph | None = None, inner_inputs: tuple[int, ...] = ()
                 ) -> None:
        self.kernel = kernel
        self.n_rows_out = n_rows_out
        self.n_sums = n_sums
        self.gemm = gemm  # the second product has c, alpha, beta inputs
        self.inner = inner  # the original subgraph: the reference semantics
        self.inner_inputs = inner_inputs  # which node inputs it takes (they are unique)
        self._thunk: Any = None

    def __str__(self) -> str:
        ops = [n.op.name for n in self.kernel.body if n.kind == "op"]  # type: ignore
        return f"RowBlock{{{','.join(ops)}}}"

    @property
    def n_fixed(self) -> int:
        """Inputs before the kernel leaves: X, w (and c, alpha, beta for a Gemm)."""
        return 5 if self.gemm else 2

    def make_node(self, *inputs: Any) -> Apply:
        if self.inner is None:
            raise TypeError("RowBlock is built by the rowblock rewrite (it needs the "
                            "original subgraph)")
        outs = [v.type() for v in self.inner.outputs]  # the original graph's types
        return Apply(self, list(inputs), outs)

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if self._thunk is None:
            self._thunk = reference_schedule(self.inner)  # type: ignore[arg-type]
        return self._thunk([inputs[i] for i in self.inner_inputs])
