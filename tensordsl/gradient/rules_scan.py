"""Backpropagation through time: the gradient of a Scan is another Scan.

The backward scan walks the forward steps in reverse. Its sequences are the forward
step inputs (sequence slices and state taps, reversed) and the incoming gradients of
the outputs at each step; its recurrent states are, per recurrent output k, a window
of L_k pending cotangents (W[j] holds what later steps sent to the state written j
steps before the current one) and, per non-sequence, a running sum of its gradient.
Step t: the cotangent of the state written at t is G[L+t] + W[0]; the inner graph's
vector-Jacobian product sends gradients to the state taps (shifted into the next
window), the sequence slices (per-step outputs) and the non-sequences (summed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.gradient.core import register_connection, register_grad
from tensordsl.gradient.rules_control import inner_vjp
from tensordsl.graph.basic import Apply, Constant, Variable, ancestors
from tensordsl.graph.convert import constant
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.subtensor import IncSubtensor, Subtensor
from tensordsl.scan.op import Scan, lag
from tensordsl.tensor import basic as tb
from tensordsl.tensor import math as tm
from tensordsl.tensor.subtensor import inc_subtensor


def _window(v: Variable, start: Any, n: Variable) -> Variable:
    """v[start : start + n], reversed in time."""
    start = constant(start, dtype="int64") if isinstance(start, int) else start
    return v[start:tm.add(start, n)][::-1]


def _shift_in(window: Variable, taps: tuple[int, ...], grads: list[Any]) -> Variable:
    """The next step's window: drop W[0], append zeros, add this step's tap gradients."""
    if taps == (-1,) and window.type.shape[0] == 1:  # one-step recurrence: W' = [g]
        (g,) = grads
        return tm.zeros_like(window) if g is None else tb.dimshuffle(g, ("x", *range(g.ndim)))
    nxt = tm.zeros_like(window) if window.type.shape[0] == 1 else \
        tb.concatenate([window[1:], tm.zeros_like(window[:1])])
    for tap, g in zip(taps, grads):
        if g is not None:
            nxt = inc_subtensor(nxt[-tap - 1], g)
    return nxt


register_connection(Scan, lambda node: [False] + [True] * (len(node.inputs) - 1))


@register_grad(Scan)
def scan_grad(node: Apply, out_grads: list) -> list:
    """Gradients of a Scan's sequences, initial states and non-sequences."""
    from tensordsl.scan.basic import build_scan

    op: Scan = node.op
    n_fwd, seqs, inits, nonseqs = op.split_inputs(node.inputs)
    if op.as_while:  # the steps actually run
        n_fwd = node.outputs[-1]
    n, skip = _backward_steps(n_fwd, op.truncate_gradient)
    lags = [lag(t) for t in op.rec_taps]
    g_bufs, g_nits = out_grads[:op.n_rec], out_grads[op.n_rec:op.n_rec + op.n_nit]
    seq_slices = [_window(s, _at(tap - min(taps), skip), n) for s, taps in
                  zip(seqs, op.seq_taps) for tap in taps]
    state_slices = [_window(b, _at(L + tap, skip), n) for b, L, taps in
                    zip(node.outputs[:op.n_rec], lags, op.rec_taps) for tap in taps]
    g_state_seqs = [_state_grad_window(g, b, L, skip, n) for g, b, L in
                    zip(g_bufs, node.outputs[:op.n_rec], lags) if g is not None]
    g_nit_seqs = [_window(g, _at(0, skip), n) for g in g_nits if g is not None]
    recs = [k for k in range(op.n_rec) if dtypes.is_float(inits[k].dtype)]
    wsum = [i for i, v in enumerate(nonseqs) if dtypes.is_float(v.dtype)]
    float_slices = [i for i, v in enumerate(seq_slices) if dtypes.is_float(v.dtype)]
    cot_given = [g is not None or k in recs for k, g in enumerate(g_bufs)] + \
        [g is not None for g in g_nits]
    reused = _reused_outputs(op, cot_given)
    out_seqs = [_window(node.outputs[i], _at(lags[i] if i < op.n_rec else 0, skip), n)
                for i in reused]
    sizes = (len(seq_slices), len(state_slices), len(g_state_seqs), len(g_nit_seqs),
             len(out_seqs), len(recs), len(wsum))

    def step(*args: Any) -> list[Variable]:
        sl, st, gs, gy, outs, windows, sums, outer = _unpack(args, sizes)
        given: list[Any] = [None] * (op.n_rec + op.n_nit)
        for i, v in zip(reused, outs):
            given[i] = v
        gs_it, gy_it = iter(gs), iter(gy)
        cots: list[Any] = []
        win = dict(zip(recs, windows))
        for k, g in enumerate(g_bufs):
            direct = next(gs_it) if g is not None else None
            pending = win[k][0] if k in win else None
            cots.append(direct if pending is None else
                        pending if direct is None else tm.add(direct, pending))
        cots += [next(gy_it) if g is not None else None for g in g_nits]
        vjp = inner_vjp(op.inner, list(sl) + list(st) + list(outer), cots, given)
        g_sl, g_st, g_w = vjp[:len(sl)], vjp[len(sl):len(sl) + len(st)], vjp[len(sl) + len(st):]
        tap_grads = _group(g_st, op.rec_taps)
        new_windows = [_shift_in(w, op.rec_taps[k], tap_grads[k]) for k, w in zip(recs, windows)]
        new_sums = [s if g_w[i] is None else tm.add(s, g_w[i]) for i, s in zip(wsum, sums)]
        slice_grads = [tm.zeros_like(sl[i]) if g_sl[i] is None else g_sl[i]
                       for i in float_slices]
        return new_windows + new_sums + slice_grads

    window_inits = [tm.zeros_like(inits[k][:lags[k]]) for k in recs]
    sum_inits = [tm.zeros_like(nonseqs[i]) for i in wsum]
    bnode, bouts, _, _ = build_scan(
        step, sequences=seq_slices + state_slices + g_state_seqs + g_nit_seqs + out_seqs,
        outputs_info=window_inits + sum_inits + [None] * len(float_slices),
        non_sequences=nonseqs, n_steps=n, name=f"grad_of_{op.name or 'scan'}")
    finals = [bnode.outputs[j][-1] for j in range(len(recs) + len(wsum))]
    result: list[Any] = [None] * len(node.inputs)
    for j, k in enumerate(recs):
        reached = finals[j] if skip is None else tm.switch(tm.eq(skip, 0), finals[j],
                                                           tm.zeros_like(finals[j]))
        g_buf = g_bufs[k]
        if g_buf is not None and _rows_from(g_buf, node.outputs[k], lags[k]) is not None:
            g_buf = None  # zeros in the initial rows: only the steps' rows were given
        result[1 + op.n_seqs + k] = _init_grad(inits[k], lags[k], g_buf, reached)
    for j, i in enumerate(wsum):
        result[1 + op.n_seqs + op.n_rec + i] = finals[len(recs) + j]
    slice_grads = dict(zip(float_slices, bouts[len(recs) + len(wsum):]))
    _sequence_grads(result, seqs, op.seq_taps, slice_grads, n, skip)
    return result


def _state_grad_window(g: Variable, buf: Variable, lag_: int, skip: Variable | None,
                       n: Variable) -> Variable:
    """The rows of the state buffer's gradient `g` that the steps wrote, reversed.

    The usual `g` is the gradient of `buf[lag:]` (the states the user reads) placed into
    zeros of the buffer's shape: IncSubtensor(zeros_like(buf), y, lag:). When y is an
    elementwise result of that same `buf[lag:]` (so of its shape exactly: a loss's fill
    or `2 * (h - target)`), the rows are y's own: no zero buffer, no copy into it."""
    y = _rows_from(g, buf, lag_)
    if y is None:
        return _window(g, _at(lag_, skip), n)
    return _window(y, _at(0, skip), n)


def _rows_from(g: Variable, buf: Variable, lag_: int) -> Variable | None:
    """y when g = IncSubtensor[lag:](zeros_like(buf), y), y an Elemwise output with
    `buf[lag:]` among its inputs and of its rank; else None."""
    node = g.owner
    if node is None or not isinstance(node.op, IncSubtensor) or \
            node.op.spec != (("s", True, False, False),) or not _is_lag(node.inputs[2], lag_):
        return None
    x, y = node.inputs[0], node.inputs[1]
    fill = x.owner
    if fill is None or not isinstance(fill.op, Elemwise) or \
            getattr(fill.op.scalar_op, "name", None) != "second" or \
            fill.inputs[0] is not buf or not _is_zero(fill.inputs[1]):
        return None
    if y.owner is None or not isinstance(y.owner.op, Elemwise) or y.dtype != g.dtype:
        return None
    for s in y.owner.inputs:
        own = s.owner
        if own is not None and isinstance(own.op, Subtensor) and own.inputs[0] is buf and \
                own.op.spec == node.op.spec and _is_lag(own.inputs[1], lag_) and \
                s.ndim == y.ndim:
            return y
    return None


def _is_lag(v: Variable, lag_: int) -> bool:
    return isinstance(v, Constant) and np.ndim(v.data) == 0 and int(v.data) == lag_


def _is_zero(v: Variable) -> bool:
    while v.owner is not None and isinstance(v.owner.op, DimShuffle):  # a broadcast constant
        v = v.owner.inputs[0]
    return isinstance(v, Constant) and np.size(v.data) == 1 and float(np.ravel(v.data)[0]) == 0


def _reused_outputs(op: Scan, cot_given: list[bool]) -> list[int]:
    """The inner outputs (recurrent, then per-step) whose values the step's gradient reads:
    the backward scan gets them as sequences (the forward's stored rows) instead of
    computing them again (tanh's gradient reads tanh(x): without this an RNN's backward
    step repeats the forward step's two products). Found by taking the vector-Jacobian
    product once over the inner graph itself, every output's value given."""
    outs = op.inner.outputs[:op.n_rec + op.n_nit]
    given = [o.type() if o.owner is not None and dtypes.is_float(o.dtype) else None
             for o in outs]
    if not any(given):
        return []
    cots = [o.type() if c else None for o, c in zip(outs, cot_given)]
    with config.change_flags(compute_test_value="off"):
        vjp = inner_vjp(op.inner, list(op.inner.inputs), cots, given)
    read = set(ancestors([v for v in vjp if v is not None]))
    return [i for i, g in enumerate(given) if g is not None and g in read]


def _backward_steps(n: Variable, truncate: int) -> tuple[Variable, Variable | None]:
    """(steps the backward scan runs, forward steps it skips; None when it skips none)."""
    if truncate == -1:
        return n, None
    steps = tm.minimum(n, constant(truncate, dtype="int64"))
    return steps, tm.sub(n, steps)


def _at(start: int, skip: Variable | None) -> Any:
    return start if skip is None else tm.add(constant(start, dtype="int64"), skip)


def _unpack(args: tuple, sizes: tuple[int, ...]) -> list[list[Any]]:
    parts, pos = [], 0
    for size in sizes:
        parts.append(list(args[pos:pos + size]))
        pos += size
    parts.append(list(args[pos:]))
    return parts


def _group(flat: list[Any], taps: tuple[tuple[int, ...], ...]) -> list[list[Any]]:
    out, pos = [], 0
    for t in taps:
        out.append(flat[pos:pos + len(t)])
        pos += len(t)
    return out


def _init_grad(init: Variable, rows: int, g_buf: Variable | None, final_window: Variable
               ) -> Variable:
    """Gradient of an initial buffer: direct uses plus what step 0.. sent back."""
    g = final_window[::-1]
    if g_buf is not None:
        g = tm.add(g_buf[:rows], g)
    if init.type.shape[0] == rows:
        return g
    return inc_subtensor(tm.zeros_like(init)[:rows], g)


def _sequence_grads(result: list[Any], seqs: list[Variable], seq_taps: tuple, slice_grads: dict,
                    n: Variable, skip: Variable | None) -> None:
    pos = 0
    for i, (seq, taps) in enumerate(zip(seqs, seq_taps)):
        total = None
        for tap in taps:
            g = slice_grads.get(pos)
            pos += 1
            if g is None:
                continue
            start = _at(tap - min(taps), skip)
            start = constant(start, dtype="int64") if isinstance(start, int) else start
            total = tm.zeros_like(seq) if total is None else total
            stop = tm.add(start, n)
            total = inc_subtensor(total[start:stop], g[::-1])
        result[1 + i] = total
