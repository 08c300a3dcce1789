"""The accumulator pushout (tensordsl/rewrite/scan_pushout_acc.py): a state summing
`a_t @ b_t`, read outside only as its last row, becomes one GEMM after the loop; per-step
outputs nothing reads are dropped. FAST_RUN (C backend) equals the reference (FAST_COMPILE:
numpy, no pushout) over drawn lengths (0 and 1 step included), shapes (size 1 included),
dtypes and taps; gradients of a scan (whose weight sums take this form) against finite
differences; the compiled gradient scan still runs in one foreign call."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.gradient import verify_grad
from tensordsl.ops.blas import Dot
from tensordsl.runtime.mode import get_mode
from tensordsl.scan import Scan, scan

TOL = {"float32": dict(rtol=3e-4, atol=3e-5), "float64": dict(rtol=1e-9, atol=1e-11)}
TAPS = [(0,), (-1, 0), (0, 2)]


def scan_nodes(fn: tensordsl.Function) -> list:
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def runners(fn: tensordsl.Function) -> list[ScanLoopRunner]:
    found = []
    for step in fn.thunk.steps:
        for obj in (step, getattr(step, "call", None), getattr(step.call, "__self__", None)):
            if isinstance(obj, ScanLoopRunner) and obj not in found:
                found.append(obj)
    return found


def assert_close(got: list, want: list, dtype: str) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])


def rnn_step(n_state: int, *args: T.TensorVariable) -> list:
    """h' = tanh(sum over taps of x_tap @ W + sum over state taps of h_tap @ U + b), and a
    per-step output nobody reads."""
    *rest, W, U, b = args  # noqa: N806
    n_x = len(rest) - n_state
    z = b + 0
    for k, xs in enumerate(rest[:n_x]):
        z = z + T.dot(xs, W) * (1 + 0.5 * k)
    for k, h in enumerate(rest[n_x:]):
        z = z + T.dot(h, U) * (1 - 0.25 * k)
    h_new = T.tanh(z)
    return [h_new, T.exp(h_new)]


@functools.cache
def rnn_graph(dtype: str, taps: tuple[int, ...], state_taps: tuple[int, ...]) -> tuple:
    """(inputs, outputs): the tapped RNN's states and gradients wrt W, U, b, h0."""
    x, h0 = T.tensor3("x", dtype), T.tensor3("h0", dtype)
    W, U, b = T.matrix("W", dtype), T.matrix("U", dtype), T.vector("b", dtype)  # noqa: N806
    n = T.iscalar("n")
    step = functools.partial(rnn_step, len(state_taps))
    (hs, _unused), _ = scan(step, sequences=[dict(input=x, taps=list(taps))],
                            outputs_info=[dict(initial=h0, taps=list(state_taps)), None],
                            non_sequences=[W, U, b], n_steps=n)
    loss = T.sum(hs ** 2) + T.mean(hs)
    outs = [hs, *tensordsl.grad(loss, [W, U, b, h0])]
    return [x, h0, W, U, b, n], outs


@functools.cache
def tapped_rnn(dtype: str, taps: tuple[int, ...], state_taps: tuple[int, ...]) -> tuple:
    inputs, outs = rnn_graph(dtype, taps, state_taps)
    return (tensordsl.function(inputs, outs, mode="FAST_RUN"),
            tensordsl.function(inputs, outs, mode="FAST_COMPILE"))


def test_weight_sums_leave_the_gradient_loop() -> None:
    fast, _ = tapped_rnn("float64", (0,), (-1,))
    fwd, grad = scan_nodes(fast)
    assert fwd.op.n_nit == 0  # exp(h') is read by nobody: dropped
    # the gradient's running sums of W's and U's gradients are gone (b's sum is a
    # reduction, not a product: it stays)
    without = tensordsl.function(*rnn_graph("float64", (0,), (-1,)),
                                 mode=get_mode("FAST_RUN").excluding("scan_pushout_acc"))
    _, grad_before = scan_nodes(without)
    assert len(grad.op.rec_taps) == len(grad_before.op.rec_taps) - 2
    assert not any(isinstance(m.op, Dot) and m.inputs[0].owner is not None
                   and "DimShuffle" in str(m.inputs[0].owner.op)
                   for m in grad.op.inner.toposort())


@settings(max_examples=40, deadline=None)
@given(steps=st.sampled_from([0, 1, 2, 5]), batch=st.integers(1, 4),
       hidden=st.integers(1, 5), n_in=st.integers(1, 4),
       dtype=st.sampled_from(["float32", "float64"]), taps=st.sampled_from(TAPS),
       state_taps=st.sampled_from([(-1,), (-2, -1)]), seed=st.integers(0, 99))
def test_equals_reference(steps: int, batch: int, hidden: int, n_in: int, dtype: str,
                          taps: tuple[int, ...], state_taps: tuple[int, ...],
                          seed: int) -> None:
    fast, ref = tapped_rnn(dtype, taps, state_taps)
    rng = np.random.default_rng(seed)
    rows = steps + max(taps) - min(taps)
    values = [rng.standard_normal((rows, batch, n_in)).astype(dtype),
              rng.standard_normal((-min(state_taps), batch, hidden)).astype(dtype),
              (rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)).astype(dtype),
              (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(dtype),
              rng.standard_normal(hidden).astype(dtype), np.int32(steps)]
    assert_close(fast(*values), ref(*values), dtype)


def test_non_contiguous_sequence() -> None:
    fast, ref = tapped_rnn("float64", (0,), (-1,))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5, 3))[::2, :, ::-1]  # strided both ways
    values = [x, rng.standard_normal((1, 5, 4)), rng.standard_normal((3, 4)) / 2,
              rng.standard_normal((4, 4)) / 2, rng.standard_normal(4), np.int32(3)]
    assert_close(fast(*values), ref(*values), "float64")


def test_sum_read_whole_stays_a_state() -> None:
    """A sum whose every row is read (not only the last) keeps its loop; so does one read
    as `out[-1]` of scan's result (`buf[1:][-1]`: zero steps must raise IndexError)."""
    x, s0 = T.tensor3("x"), T.tensor3("s0")
    ss, _ = scan(lambda xt, s: s + T.dot(xt.T, xt), sequences=[x],
                 outputs_info=[dict(initial=s0, taps=[-1])])
    fast = tensordsl.function([x, s0], [ss, ss[-1]], mode="FAST_RUN")
    ref = tensordsl.function([x, s0], [ss, ss[-1]], mode="FAST_COMPILE")
    assert [n.op.rec_taps for n in scan_nodes(fast)] == [((-1,),)]
    rng = np.random.default_rng(1)
    values = [rng.standard_normal((4, 3, 2)), rng.standard_normal((1, 2, 2))]
    assert_close(fast(*values), ref(*values), "float64")
    last = tensordsl.function([x, s0], ss[-1], mode="FAST_RUN")
    assert [n.op.rec_taps for n in scan_nodes(last)] == [((-1,),)]
    with pytest.raises(IndexError):
        last(values[0][:0], values[1])


def lstm_like(dtype: str) -> tuple:
    x, h0 = T.tensor3("x", dtype), T.matrix("h0", dtype)
    Wx, Wh = T.matrix("Wx", dtype), T.matrix("Wh", dtype)  # noqa: N806
    hid = 3

    def step(xt, h, c, Wx, Wh):  # noqa: N803
        z = T.dot(xt, Wx) + T.dot(h, Wh)
        i, f = T.sigmoid(z[:, :hid]), T.sigmoid(z[:, hid:2 * hid])
        g, o = T.tanh(z[:, 2 * hid:3 * hid]), T.sigmoid(z[:, 3 * hid:])
        c = f * c + i * g
        return o * T.tanh(c), c

    (hs, _), _ = scan(step, sequences=[x], outputs_info=[h0, T.zeros_like(h0)],
                      non_sequences=[Wx, Wh])
    cost = T.mean(hs)
    outs = [cost, *tensordsl.grad(cost, [Wx, Wh])]
    inputs = [x, h0, Wx, Wh]
    return (tensordsl.function(inputs, outs, mode="FAST_RUN"),
            tensordsl.function(inputs, outs, mode="FAST_COMPILE"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("steps", [0, 1, 7])
def test_lstm_gradient_equals_reference_in_one_call(dtype: str, steps: int) -> None:
    fast, ref = lstm_like(dtype)
    grad_scan = [n for n in scan_nodes(fast) if "grad" in str(n.op)]
    assert len(grad_scan) == 1  # its weight sums left the loop: only dh, dc remain
    assert grad_scan[0].op.rec_taps == ((-1,), (-1,))
    rng = np.random.default_rng(steps)
    values = [rng.standard_normal((steps, 2, 4)).astype(dtype),
              rng.standard_normal((2, 3)).astype(dtype),
              (rng.standard_normal((4, 12)) / 2).astype(dtype),
              (rng.standard_normal((3, 12)) / 2).astype(dtype)]
    compiled = runners(fast)
    before = [r.foreign_calls for r in compiled]
    assert_close(fast(*values), ref(*values), dtype)
    if steps:
        assert [r.foreign_calls - b for r, b in zip(compiled, before)] == [1] * len(compiled)
        assert all(r.python_loops == 0 for r in compiled)


def test_lstm_gradient_against_finite_differences() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((2, 2))

    def loss(Wx, Wh):  # noqa: N803
        def step(xt, h, c, Wx, Wh):  # noqa: N803
            z = T.dot(xt, Wx) + T.dot(h, Wh)
            i, f, g = T.sigmoid(z[:, :2]), T.sigmoid(z[:, 2:4]), T.tanh(z[:, 4:6])
            c = f * c + i * g
            return T.sigmoid(z[:, 6:]) * T.tanh(c), c

        (hs, _), _ = scan(step, sequences=[T.constant(x)],
                          outputs_info=[T.constant(h0), T.constant(np.zeros_like(h0))],
                          non_sequences=[Wx, Wh])
        return T.sum(hs * hs) + T.mean(hs[-1])

    verify_grad(loss, [rng.standard_normal((3, 8)) / 2, rng.standard_normal((2, 8)) / 2],
                mode="FAST_RUN")
