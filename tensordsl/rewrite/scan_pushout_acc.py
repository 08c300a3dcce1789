"""Scan accumulator pushout: a state that only sums matrix products leaves the loop.

Theano's/PyTensor's `PushOutScanOutput`. A recurrent state `s` (one tap, -1) whose step is
`s_new = s + a_t @ b_t`, where `s` is read by nothing else in the step, and whose outer
value is read only as its last row (`out[-1]`, what a gradient's weight sum is), equals

    init[0] + sum_t a_t @ b_t  =  init[0] + A @ B,

A the `a_t` side by side along their columns (m, T*k), B the `b_t` stacked along their rows
(T*k, n): ONE large GEMM after the loop instead of a small product and a full accumulator
row (m x n, 256 KB for an LSTM's 128x512 weight) written per step. The step returns
`a_t`, `b_t` as new per-step outputs instead, unless an operand is a sequence slice or its
transpose: then the product reads the sequence's rows outside (`x_t.T`: the rows of all
steps, `x.reshape(T*B, n).T`, a view). A BPTT gradient's weight sums (`acc + x_t.T @ dz_t`,
`acc + h_{t-1}.T @ dz_t`) take this form; both share `dz_t`, stored once.

The same rewrite drops the per-step outputs nothing reads (a gradient's unused gradient
with respect to an input sequence: a product per step for nothing). Only loops without an
`until` condition (a while loop's rows past its stop are not computed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant, Variable, clone_graph
from tensordsl.graph.fgraph import OUTPUT, FunctionGraph
from tensordsl.ops.blas import Dot
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.subtensor import Subtensor
from tensordsl.rewrite.engine import register, scalar_name
from tensordsl.rewrite.scan_pushout import _Outer
from tensordsl.scan.op import Scan
from tensordsl.tensor import basic as tb
from tensordsl.tensor import math as tm


class _Acc:
    """State k sums `a @ b`: its inner state input, the product's operands, the outer
    `[-1]` reads to replace."""

    def __init__(self, k: int, state_in: Variable, a: Variable, b: Variable,
                 finals: list[Variable]) -> None:
        self.k, self.state_in, self.a, self.b, self.finals = k, state_in, a, b, finals


def _last_row_reads(fgraph: FunctionGraph, out: Variable) -> list[Variable] | None:
    """The outputs of `out[-1]` nodes when every outer client of `out` is one, else None."""
    found = []
    for client, i in fgraph.clients.get(out, []):
        if client is OUTPUT or i != 0 or not isinstance(client.op, Subtensor):
            return None
        spec, index = client.op.spec, client.inputs[1:]
        if len(spec) != 1 or isinstance(spec[0], tuple) or len(index) != 1:
            return None
        if not isinstance(index[0], Constant) or np.ndim(index[0].data) != 0 \
                or int(index[0].data) != -1:
            return None
        found.append(client.outputs[0])
    return found or None


def _accumulator(fgraph: FunctionGraph, node: Apply, op: Scan, k: int,
                 state_in: Variable) -> _Acc | None:
    """State k as an `_Acc`, or None when it is not `s + a @ b` read only as `[-1]`."""
    if op.rec_taps[k] != (-1,):
        return None
    out = op.inner.outputs[k]
    add = out.owner
    if add is None or not isinstance(add.op, Elemwise) or scalar_name(add) != "add" \
            or len(add.inputs) != 2 or state_in not in add.inputs or out.ndim != 2:
        return None
    prod = add.inputs[1] if add.inputs[0] is state_in else add.inputs[0]
    if prod is state_in or prod.owner is None or not isinstance(prod.owner.op, Dot):
        return None
    a, b = prod.owner.inputs
    if a.ndim != 2 or b.ndim != 2 or prod.type != out.type or state_in.type != out.type:
        return None  # a broadcast add would change what is summed
    inner_clients = op.inner.clients
    if [c for c, _ in inner_clients.get(state_in, [])] != [add]:
        return None  # the step reads the running sum elsewhere
    if [c for c, _ in inner_clients.get(out, [])] != [OUTPUT]:
        return None
    finals = _last_row_reads(fgraph, node.outputs[k])
    return None if finals is None else _Acc(k, state_in, a, b, finals)


def _seq_transpose(v: Variable, outer: _Outer) -> Variable | None:
    """The outer rows (T, k, m) of sequence slice x_t when `v` is `x_t.T`, else None."""
    owner = v.owner
    if owner is not None and isinstance(owner.op, DimShuffle) \
            and tuple(owner.op.new_order) == (1, 0) and owner.inputs[0] in outer.seq:
        return outer.seq[owner.inputs[0]]
    return None


def _flat_left(v: Variable, stacked: Variable | None, rows_t: Variable | None) -> Variable:
    """(m, T*k): the step's `a_t` (m, k) side by side."""
    if rows_t is not None:  # a_t = x_t.T: x's rows of all steps, transposed (a view)
        flat = tb.reshape(rows_t, (rows_t.shape[0] * rows_t.shape[1], rows_t.shape[2]), ndim=2)
        return tb.dimshuffle(flat, (1, 0))
    assert stacked is not None
    moved = tb.dimshuffle(stacked, (1, 0, 2))
    return tb.reshape(moved, (moved.shape[0], moved.shape[1] * moved.shape[2]), ndim=2)


def _flat_right(stacked: Variable) -> Variable:
    """(T*k, n): the step's `b_t` (k, n) stacked along their rows."""
    return tb.reshape(stacked, (stacked.shape[0] * stacked.shape[1], stacked.shape[2]), ndim=2)


@register("canonicalize", "fast_run", tracks=(Scan,))
def scan_pushout_acc(fgraph: FunctionGraph, node: Apply) -> Any:
    """Move a Scan's product-summing states out of its loop as one GEMM each, and drop its
    per-step outputs nothing reads (FAST_RUN; see above)."""
    op = node.op
    if not isinstance(op, Scan) or op.as_while:
        return None
    n_seq_in = sum(map(len, op.seq_taps))
    starts, pos = [], n_seq_in
    for taps in op.rec_taps:
        starts.append(pos)
        pos += len(taps)
    accs = [a for k in range(op.n_rec)
            if (a := _accumulator(fgraph, node, op, k, op.inner.inputs[starts[k]])) is not None]
    unused = [j for j in range(op.n_nit) if not fgraph.clients.get(node.outputs[op.n_rec + j])]
    if not accs and not unused:
        return None
    return _rebuild(node, op, accs, unused)


def _rebuild(node: Apply, op: Scan, accs: list[_Acc], unused: list[int]
             ) -> dict[Variable, Variable]:
    """The new Scan (accumulators gone, their operands as per-step outputs, unused
    per-step outputs dropped) and the outer values replacing the old node's."""
    outer = _Outer(node, op)
    gone = {acc.k for acc in accs}
    kept_states = [k for k in range(op.n_rec) if k not in gone]
    kept_nits = [j for j in range(op.n_nit) if j not in unused]
    # operands the loop must store: those that are not a sequence slice's transpose
    stored: list[Variable] = []
    for acc in accs:
        if _seq_transpose(acc.a, outer) is None and acc.a not in stored:
            stored.append(acc.a)
        if acc.b not in stored:
            stored.append(acc.b)

    n_steps, seqs, inits, nonseqs = op.split_inputs(list(node.inputs))
    drop_in = {acc.state_in for acc in accs}
    fresh = {v: v.type(name=v.name) for v in op.inner.inputs if v not in drop_in}
    outs = ([op.inner.outputs[k] for k in kept_states]
            + [op.inner.outputs[op.n_rec + j] for j in kept_nits] + stored)
    memo = clone_graph(outs, replace=dict(fresh))
    new_outs = [memo.get(o, o) for o in outs]
    inner_in = []
    pos = 0
    for taps in op.seq_taps:
        inner_in += [fresh[v] for v in op.inner.inputs[pos:pos + len(taps)]]
        pos += len(taps)
    for k, taps in enumerate(op.rec_taps):
        if k not in gone:
            inner_in += [fresh[v] for v in op.inner.inputs[pos:pos + len(taps)]]
        pos += len(taps)
    inner_in += [fresh[v] for v in op.inner.inputs[pos:]]
    graph = FunctionGraph(inner_in, new_outs, clone=False)
    labels = None
    if op.labels is not None:
        labels = tuple([op.labels[k] for k in kept_states]
                       + [op.labels[op.n_rec + j] for j in kept_nits]
                       + [f"a summed product's operand {i}" for i in range(len(stored))])
    new_op = Scan(graph, op.seq_taps, tuple(op.rec_taps[k] for k in kept_states),
                  len(kept_nits) + len(stored), op.n_nonseq, op.name, labels,
                  op.truncate_gradient, False)
    new_node = new_op.make_node(n_steps, *seqs, *[inits[k] for k in kept_states], *nonseqs)
    result: dict[Variable, Variable] = {}
    for i, k in enumerate(kept_states):
        result[node.outputs[k]] = new_node.outputs[i]
    for i, j in enumerate(kept_nits):
        result[node.outputs[op.n_rec + j]] = new_node.outputs[len(kept_states) + i]
    stacks = dict(zip(stored, new_node.outputs[len(kept_states) + len(kept_nits):]))
    for acc in accs:
        rows_t = _seq_transpose(acc.a, outer)
        left = _flat_left(acc.a, stacks.get(acc.a), rows_t)
        total = tm.add(inits[acc.k][0], tm.dot(left, _flat_right(stacks[acc.b])))
        for final in acc.finals:
            result[final] = total
    return result
