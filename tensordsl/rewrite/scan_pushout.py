"""Scan pushout: step computations that do not depend on the recurrent states leave the loop.

Theano's/PyTensor's scan_opt `PushOutNonSeqScan` and `PushOutSeqScan`, for the ops
whose stacked form is simple:

* an *invariant* value (computed from non-sequences and constants only) is computed once
  outside and fed to the Scan as a new non-sequence;
* a *sequence-valued* value (computed from sequence slices, invariants and constants) is
  computed for all steps at once outside, stacked along a new leading dim, and fed as a
  new sequence (tap 0). An elementwise op runs on the stacked operands (invariants get a
  leading broadcast dim), a DimShuffle keeps the leading dim in front, and a matrix
  product `x_t @ W` of a slice by an invariant becomes one product of every step's rows:
  `dot(x.reshape(T*B, n), W).reshape(T, B, m)` (what JAX and PyTorch do with an LSTM's
  input products: one GEMM instead of one per step).

Only Elemwise, DimShuffle and Dot are moved (pure, no state, no in-place), and a value is
moved only when what computes it is more than views; a fill of a sequence-valued shape
(`second`, a gradient's zeros) stays inside. A while loop (`until`) keeps its
sequence-valued computations inside: rows past the stopping step would be computed for
nothing. Sequences and non-sequences the step no longer reads are dropped, and a small
constant non-sequence becomes a constant of the step (its rewrites then see it).
Two rewrites, on the graph being compiled (so they see the gradient's Scan nodes too: grad
is taken before compiling):

* `scan_pushout` (FAST_RUN, canonicalize stage): invariants and constant non-sequences;
* `scan_pushout_seq` (its own stage, opt-in: `Mode("FAST_RUN").including("scan_pushout_seq")`):
  sequence-valued values too. Not in FAST_RUN because, measured on the 2-core development
  host (docs/benchmarks.md, issue 15), computing the stacked values outside lost more than
  the per-step products it saved: the stacked product writes and re-reads T*B rows through
  memory where the per-step product of a small batch stays in cache (an RNN of hidden 64:
  19.1 ms instead of 11.6 ms forward, 54.3 instead of 31.9 ms BPTT; an LSTM of hidden 128:
  47.0 vs 46.7 ms forward, 216 vs 205 ms BPTT, in one process, interleaved).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant, Variable, clone_graph
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.blas import Dot
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.rewrite.engine import register, scalar_name
from tensordsl.scan.op import Scan, span
from tensordsl.scan.rows import SequenceRows
from tensordsl.tensor import basic as tb
from tensordsl.tensor import math as tm

MOVABLE = (Elemwise, DimShuffle, Dot)
# A fill (`second(x, c)`, zeros_like in a gradient) reads only x's shape: stacked, it would
# be T rows of constants written outside and copied in row by row, for nothing.
KEEP_INSIDE = ("second",)
INLINE_MAX_SIZE = 1 << 12  # elements; larger constant non-sequences stay inputs


class _Outer:
    """The outer counterparts of the step's values: `inv` (an invariant's value, computed
    once) and `seq` (a sequence-valued value stacked over the steps)."""

    def __init__(self, node: Apply, op: Scan) -> None:
        n_steps, seqs, _, nonseqs = op.split_inputs(list(node.inputs))
        self.n_steps = n_steps
        self.inv: dict[Variable, Variable] = {}
        self.seq: dict[Variable, Variable] = {}
        inner_in = iter(op.inner.inputs)
        for i, (outer, taps) in enumerate(zip(seqs, op.seq_taps)):
            for tap in taps:
                # the rows step t reads (Scan's layout): seq[t + tap - min(taps)], with
                # the Scan's check of the sequence's length
                rows = SequenceRows(tap - min(taps), span(taps), str(op), i, taps)
                self.seq[next(inner_in)] = rows(outer, n_steps)
        for _ in range(sum(map(len, op.rec_taps))):
            next(inner_in)
        for outer in nonseqs:
            self.inv[next(inner_in)] = outer

    def invariant(self, var: Variable) -> Variable | None:
        """The outer value of an invariant (constants are their own), else None."""
        if isinstance(var, Constant):
            return var
        return self.inv.get(var)

    def visit(self, node: Apply, sequences: bool) -> None:
        """Record the outer form of `node`'s outputs when it can leave the loop
        (`sequences`: sequence-valued ones too, else only invariants)."""
        if not isinstance(node.op, MOVABLE) or node.op.destroy_map:
            return
        invs = [self.invariant(v) for v in node.inputs]
        if all(v is not None for v in invs):
            outs = node.op.make_node(*invs).outputs
            self.inv.update(zip(node.outputs, outs))
            return
        if not sequences or scalar_name(node) in KEEP_INSIDE or not all(
                v is not None or i in self.seq for v, i in zip(invs, node.inputs)):
            return
        stacked = _stacked(node, [self.seq.get(i) for i in node.inputs], invs)
        if stacked is not None:
            self.seq.update(zip(node.outputs, stacked))


def _stacked(node: Apply, seqs: list[Variable | None], invs: list[Variable | None]
             ) -> list[Variable] | None:
    """`node` applied to every step at once (operands: stacked `seqs` or `invs`), or None."""
    op = node.op
    if isinstance(op, DimShuffle):
        order = (0, *("x" if o == "x" else int(o) + 1 for o in op.new_order))
        return [tb.dimshuffle(seqs[0], order)]
    if isinstance(op, Elemwise):
        nd = node.outputs[0].ndim
        if any(v.ndim != nd for v in node.inputs):
            return None  # only equal-rank operands line up with a new leading dim
        args = [s if s is not None else tb.dimshuffle(i, ("x", *range(i.ndim)))
                for s, i in zip(seqs, invs)]
        return list(op.make_node(*args).outputs)
    return _stacked_dot(node, seqs, invs)


def _stacked_dot(node: Apply, seqs: list[Variable | None], invs: list[Variable | None]
                 ) -> list[Variable] | None:
    (sa, sb), (ia, ib) = seqs, invs
    a, b = node.inputs
    if a.ndim > 2 or b.ndim > 2:  # numpy's dot of stacks: not worth the bookkeeping
        return None
    if sa is not None and ib is not None:  # x_t @ W
        if a.ndim == 1:  # rows of a matrix of steps: one product
            return [tm.dot(sa, ib)]
        lead = [sa.shape[d] for d in range(a.ndim)]  # T, then a slice's leading dims
        rows = lead[0]
        for d in lead[1:]:
            rows = rows * d
        flat = tb.reshape(sa, (rows, sa.shape[a.ndim]), ndim=2)
        prod = tm.dot(flat, ib)
        tail = [ib.shape[1]] if b.ndim == 2 else []
        return [tb.reshape(prod, (*lead, *tail), ndim=a.ndim + len(tail))]
    if ia is not None and sb is not None and b.ndim == 1:  # W @ x_t, x_t a vector
        w_t = tb.dimshuffle(ia, (1, 0)) if ia.ndim == 2 else ia
        return [tm.dot(sb, w_t)]
    return None


def _worth_moving(var: Variable, moved: set[Variable]) -> bool:
    """Whether computing `var` outside saves more than views (a DimShuffle chain)."""
    stack, seen = [var], set()
    while stack:
        v = stack.pop()
        if v in seen or v not in moved or v.owner is None:
            continue
        seen.add(v)
        if not isinstance(v.owner.op, DimShuffle):
            return True
        stack.extend(v.owner.inputs)
    return False


@register("canonicalize", "fast_run", tracks=(Scan,))
def scan_pushout(fgraph: FunctionGraph, node: Apply) -> Any:
    """Move a Scan's invariant step computations out of its loop, and inline its small
    constant non-sequences (FAST_RUN; see above)."""
    return _push_out(node, sequences=False)


@register("scan_pushout_seq", tracks=(Scan,))
def scan_pushout_seq(fgraph: FunctionGraph, node: Apply) -> Any:
    """Also move a Scan's sequence-valued step computations out of its loop, stacked over
    the steps (opt-in: `Mode.including("scan_pushout_seq")`; see above)."""
    return _push_out(node, sequences=True)


def _push_out(node: Apply, sequences: bool) -> list[Variable] | None:
    op = node.op
    if not isinstance(op, Scan):
        return None
    inner = op.inner
    outer = _Outer(node, op)
    for n in inner.toposort():
        outer.visit(n, sequences and not op.as_while)
    moved = {v for n in inner.toposort() for v in n.outputs if v in outer.inv or v in outer.seq}
    consts = _constant_nonseqs(node, op)
    # the moved values something left inside (or an inner output) reads
    frontier: list[Variable] = []
    for n in inner.toposort():
        if all(o in moved for o in n.outputs):
            continue
        frontier += [v for v in n.inputs if v in moved and v not in frontier]
    frontier += [v for v in inner.outputs if v in moved and v not in frontier]
    frontier = [v for v in frontier if _worth_moving(v, moved)]
    if not frontier and not consts:
        return None
    return _rebuild(node, op, outer, frontier, consts)


def _constant_nonseqs(node: Apply, op: Scan) -> dict[Variable, Constant]:
    """Non-sequences that are small constants outside, by their inner input: the step
    gets the constant itself, so its own rewrites see it (a gradient's zeros and ones
    arrive this way)."""
    inner_nonseqs = op.inner.inputs[len(op.inner.inputs) - op.n_nonseq:]
    _, _, _, nonseqs = op.split_inputs(list(node.inputs))
    return {i: o for i, o in zip(inner_nonseqs, nonseqs)
            if isinstance(o, Constant) and np.size(o.data) <= INLINE_MAX_SIZE}


def _rebuild(node: Apply, op: Scan, outer: _Outer, frontier: list[Variable],
             consts: dict[Variable, Constant]) -> list[Variable]:
    """A new Scan reading the moved values as new sequences / non-sequences, and the
    constant non-sequences as constants of the step."""
    new_seq = [v for v in frontier if v in outer.seq]
    new_inv = [v for v in frontier if v in outer.inv]
    holders = {v: v.type(name=v.name) for v in new_seq + new_inv}
    fresh: dict[Variable, Variable] = {v: consts[v] if v in consts else v.type(name=v.name)
                                       for v in op.inner.inputs}
    memo = clone_graph(list(op.inner.outputs), replace={**fresh, **holders})
    outputs = [memo.get(o, o) for o in op.inner.outputs]
    used = _reachable_inputs(outputs)

    n_steps, seqs, inits, nonseqs = op.split_inputs(list(node.inputs))
    inner_in = iter(op.inner.inputs)
    seq_in, seq_taps, seq_outer = [], [], []
    for s, taps in zip(seqs, op.seq_taps):
        slots = [fresh[next(inner_in)] for _ in taps]
        if any(x in used for x in slots):
            seq_in += slots
            seq_taps.append(taps)
            seq_outer.append(s)
    state_in = [fresh[next(inner_in)] for _ in range(sum(map(len, op.rec_taps)))]
    inv_in, inv_outer = [], []
    for s in nonseqs:
        slot = fresh[next(inner_in)]
        if slot in used and not isinstance(slot, Constant):  # a constant is in the step
            inv_in.append(slot)
            inv_outer.append(s)
    seq_in += [holders[v] for v in new_seq]
    seq_taps += [(0,)] * len(new_seq)
    seq_outer += [outer.seq[v] for v in new_seq]
    inv_in += [holders[v] for v in new_inv]
    inv_outer += [outer.inv[v] for v in new_inv]
    graph = FunctionGraph(seq_in + state_in + inv_in, outputs, clone=False)
    new_op = Scan(graph, tuple(seq_taps), op.rec_taps, op.n_nit, len(inv_in), op.name,
                  op.labels, op.truncate_gradient, op.as_while)
    new_node = new_op.make_node(n_steps, *seq_outer, *inits, *inv_outer)
    return list(new_node.outputs)


def _reachable_inputs(outputs: list[Variable]) -> set[Variable]:
    """The ownerless variables the outputs' graph reads."""
    found: set[Variable] = set()
    stack, seen = list(outputs), set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v.owner is None:
            found.add(v)
        else:
            stack.extend(v.owner.inputs)
    return found
