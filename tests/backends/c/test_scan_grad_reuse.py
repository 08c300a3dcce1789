"""The backward scan of an RNN reads what the forward stored instead of computing it again
(gradient/rules_scan.py, rules_control.inner_vjp `given`; backends/c/scan_graph.py
`_mark_shape_only`): tanh's gradient reads the stored states, the state gradient's rows
come straight from the loss's elementwise gradient, and the products that are then read
only for their shape (SumToShape's `like`) are not run. Compiled (C) results equal the
reference backend (numpy) and a hand-derived numpy BPTT for lengths 0, 1 and 3, size-1
batch and hidden dims, float32 and float64; float64 gradients agree with finite
differences; the loops still make one foreign call per execution."""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c.scan_graph import GemmNode, KernelNode
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.gradient import verify_grad
from tensordsl.scan import scan

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def runners(fn: tensordsl.Function) -> list[ScanLoopRunner]:
    return [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]


def rnn_states(x: T.TensorVariable, h0: T.TensorVariable, W: T.TensorVariable,  # noqa: N803
               U: T.TensorVariable, n: T.TensorVariable) -> T.TensorVariable:  # noqa: N803
    hs, _ = scan(lambda xt, h, W, U: T.tanh(T.dot(h, W) + T.dot(xt, U)),  # noqa: N803
                 sequences=[x], outputs_info=[h0], non_sequences=[W, U], n_steps=n)
    return hs


@functools.cache
def bptt(dtype: str, loss_kind: str) -> tuple:
    """(FAST_RUN, FAST_COMPILE) functions of (loss, dW, dU, dh0) for one kind of loss:
    `sum` (the states' fill gradient), `sq` (an elementwise gradient of the states and
    a target) or `last` (only h_T: an integer index, the general path)."""
    x, h0, target = T.tensor3("x", dtype), T.matrix("h0", dtype), T.tensor3("y", dtype)
    W, U, n = T.matrix("W", dtype), T.matrix("U", dtype), T.iscalar("n")  # noqa: N806
    hs = rnn_states(x, h0, W, U, n)
    if loss_kind == "sum":
        loss = T.sum(hs) * 0.5
    elif loss_kind == "sq":
        loss = T.sum((hs - target) ** 2)
    else:
        loss = T.sum(hs[-1] * hs[-1])
    outs = [loss, *tensordsl.grad(loss, [W, U, h0])]
    inputs = [x, h0, W, U, target, n]
    return (tensordsl.function(inputs, outs, mode="FAST_RUN", on_unused_input="ignore"),
            tensordsl.function(inputs, outs, mode="FAST_COMPILE", on_unused_input="ignore"))


def numpy_bptt(x: np.ndarray, h0: np.ndarray, W: np.ndarray, U: np.ndarray,  # noqa: N803
               target: np.ndarray, loss_kind: str) -> list[np.ndarray]:
    """The same losses and gradients derived by hand."""
    steps = x.shape[0]
    hs = [h0]
    for t in range(steps):
        hs.append(np.tanh(hs[-1] @ W + x[t] @ U))
    states = np.asarray(hs[1:]).reshape((steps,) + h0.shape)
    if loss_kind == "sum":
        loss, g = 0.5 * states.sum(), np.full_like(states, 0.5)
    elif loss_kind == "sq":
        loss, g = ((states - target) ** 2).sum(), 2 * (states - target)
    else:
        loss, g = (states[-1] ** 2).sum(), np.zeros_like(states)
        g[-1] = 2 * states[-1]
    gW, gU, carry = np.zeros_like(W), np.zeros_like(U), np.zeros_like(h0)  # noqa: N806
    for t in range(steps, 0, -1):
        dpre = (carry + g[t - 1]) * (1 - hs[t] * hs[t])
        gW += hs[t - 1].T @ dpre
        gU += x[t - 1].T @ dpre
        carry = dpre @ W.T
    return [np.asarray(loss), gW, gU, carry]


def values(rng: np.random.Generator, steps: int, batch: int, hidden: int, dtype: str
           ) -> list:
    scale = 1 / np.sqrt(hidden)
    return [rng.standard_normal((steps, batch, hidden)).astype(dtype),
            rng.standard_normal((batch, hidden)).astype(dtype),
            (rng.standard_normal((hidden, hidden)) * scale).astype(dtype),
            (rng.standard_normal((hidden, hidden)) * scale).astype(dtype),
            rng.standard_normal((steps, batch, hidden)).astype(dtype), np.int32(steps)]


@settings(max_examples=40, deadline=None)
@given(steps=st.sampled_from([0, 1, 3]), batch=st.sampled_from([1, 3, 16]),
       hidden=st.sampled_from([1, 5, 64]), dtype=st.sampled_from(["float32", "float64"]),
       loss_kind=st.sampled_from(["sum", "sq", "last"]), seed=st.integers(0, 99))
def test_equals_reference_and_numpy(steps: int, batch: int, hidden: int, dtype: str,
                                    loss_kind: str, seed: int) -> None:
    assume(steps or loss_kind != "last")  # h_T of no steps: an index error, as numpy's
    fast, ref = bptt(dtype, loss_kind)
    vals = values(np.random.default_rng(seed), steps, batch, hidden, dtype)
    loops = runners(fast)
    calls = [r.foreign_calls for r in loops]
    got, want = fast(*vals), ref(*vals)
    by_hand = numpy_bptt(*vals[:5], loss_kind)
    for g, w, h in zip(got, want, by_hand):
        assert g.shape == w.shape == h.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])
        np.testing.assert_allclose(g, h.astype(dtype), **TOL[dtype])
    assert len(loops) == 2  # forward and backward both compiled loops
    for r, before in zip(loops, calls):
        assert r.foreign_calls == before + (1 if steps else 0)
        assert r.python_loops == 0


def backward_step(loss_kind: str) -> tuple[list, list]:
    """The backward loop's products (computed, shape only) and kernels, after one call."""
    fast, _ = bptt("float32", loss_kind)
    fast(*values(np.random.default_rng(0), 3, 4, 8, "float32"))
    forward, runner = runners(fast)  # in schedule order: the backward loop comes second
    gemms = [n for n in runner.step.nodes if isinstance(n, GemmNode)]
    kernels = [n for n in runner.step.nodes if isinstance(n, KernelNode)]
    return gemms, kernels


def test_backward_step_runs_one_product() -> None:
    """The backward step computes dpre @ W.T alone: the forward's two products are read
    for their shape only and tanh is not evaluated again."""
    for loss_kind in ("sum", "sq"):
        gemms, kernels = backward_step(loss_kind)
        assert len([g for g in gemms if not g.shape_only]) == 1
        assert all("tanh" not in str(k.node.op) for k in kernels)


def test_state_gradient_rows_read_directly() -> None:
    """sum(hs)'s gradient reaches the backward scan without a zero buffer incremented."""
    from tensordsl.ops.subtensor import IncSubtensor

    fast, _ = bptt("float64", "sum")
    assert not any(isinstance(s.node.op, IncSubtensor) for s in fast.thunk.steps)
    fast_last, _ = bptt("float64", "last")  # h_T only: the general path keeps it
    assert any(isinstance(s.node.op, IncSubtensor) for s in fast_last.thunk.steps)


@settings(max_examples=6, deadline=None)
@given(steps=st.sampled_from([1, 3]), batch=st.sampled_from([1, 2]),
       hidden=st.sampled_from([1, 3]), seed=st.integers(0, 99))
def test_gradient_vs_finite_differences(steps: int, batch: int, hidden: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    target = rng.standard_normal((steps, batch, hidden))

    def loss(x: T.TensorVariable, h0: T.TensorVariable, W: T.TensorVariable,  # noqa: N803
             U: T.TensorVariable) -> T.TensorVariable:  # noqa: N803
        hs = rnn_states(x, h0, W, U, T.constant(np.int32(steps)))
        return T.sum((hs - target) ** 2) + T.mean(hs)

    vals = values(rng, steps, batch, hidden, "float64")[:4]
    verify_grad(loss, vals, rng=np.random.default_rng(seed), mode="FAST_RUN")


@settings(max_examples=6, deadline=None)
@given(steps=st.sampled_from([1, 2, 4]), batch=st.sampled_from([1, 2]),
       hidden=st.sampled_from([1, 3]), seed=st.integers(0, 99))
def test_taps_states_and_per_step_outputs_vs_finite_differences(steps: int, batch: int,
                                                                hidden: int, seed: int) -> None:
    """Given values of every kind: a two-tap state (buffer lag 2), a sigmoid state and a
    per-step output whose gradients read their own values; float64, compiled (C)."""
    rng = np.random.default_rng(seed)

    def loss(x: T.TensorVariable, h0: T.TensorVariable, c0: T.TensorVariable,
             W: T.TensorVariable) -> T.TensorVariable:  # noqa: N803
        def step(xt, h2, h1, c, W):  # noqa: N803
            h = T.tanh(T.dot(h1, W) + 0.5 * h2 + xt)
            c_new = T.nnet.sigmoid(c + h)
            return [h, c_new, T.nnet.sigmoid(T.dot(h, W))]
        (hs, cs, ys), _ = scan(step, sequences=[x],
                               outputs_info=[dict(initial=h0, taps=[-2, -1]), c0, None],
                               non_sequences=[W])
        return T.sum(ys ** 2) + T.sum(hs) + T.mean(cs * cs)

    vals = [rng.standard_normal((steps, batch, hidden)), rng.standard_normal((2, batch, hidden)),
            rng.standard_normal((batch, hidden)),
            rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)]
    verify_grad(loss, vals, rng=np.random.default_rng(seed), mode="FAST_RUN")
