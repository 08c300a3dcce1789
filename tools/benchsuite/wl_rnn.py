"""Recurrent nets through scan: `h_t = tanh(h_{t-1} @ W + x_t @ U)`, float32.

rnn_forward: the last state h_T of T steps. rnn_bptt: loss = mean of every h_t, and its
gradient with respect to W and U (backpropagation through time). Peers: JAX
(`lax.scan` under `jit`), PyTorch eager (a Python loop, autograd), PyTensor (`scan`).
Every column runs in a process of its own (`isolated.py`): their thread pools would
otherwise disturb each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite import tdsl
from benchsuite.cases import Case, NotApplicable, Run, noted
from benchsuite.env import jax_modules, require
from benchsuite.isolated import isolated

STEPS, BATCH, HIDDEN = 1000, 16, 64
ARGS = ("x", "h0", "W", "U")


def rnn_inputs(steps: int, batch: int, hidden: int) -> dict[str, Any]:
    """x (steps, batch, hidden), h0 zeros, W and U scaled so tanh stays out of saturation."""
    rng = np.random.default_rng(21)
    f32 = np.float32
    scale = 1.0 / np.sqrt(hidden)
    return {"x": rng.standard_normal((steps, batch, hidden)).astype(f32),
            "h0": np.zeros((batch, hidden), f32),
            "W": (rng.standard_normal((hidden, hidden)) * scale).astype(f32),
            "U": (rng.standard_normal((hidden, hidden)) * scale).astype(f32)}


def numpy_forward(x: np.ndarray, h0: np.ndarray, W: np.ndarray, U: np.ndarray  # noqa: N803
                  ) -> np.ndarray:
    """h_T by a Python loop of numpy calls."""
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(h @ W + x[t] @ U)
    return h


def numpy_bptt(x: np.ndarray, h0: np.ndarray, W: np.ndarray, U: np.ndarray  # noqa: N803
               ) -> tuple:
    """(loss, dloss/dW, dloss/dU) with loss = mean(h_1..h_T), derived by hand."""
    steps = x.shape[0]
    hs = np.empty((steps + 1,) + h0.shape, h0.dtype)
    hs[0] = h0
    for t in range(steps):
        hs[t + 1] = np.tanh(hs[t] @ W + x[t] @ U)
    loss = hs[1:].mean(dtype=np.float64).astype(h0.dtype)
    seed = np.asarray(1.0 / hs[1:].size, h0.dtype)
    gW, gU = np.zeros_like(W), np.zeros_like(U)  # noqa: N806
    carry = np.zeros_like(h0)  # dloss/dh_t through the later steps
    for t in range(steps, 0, -1):
        dpre = (carry + seed) * (1 - hs[t] * hs[t])
        gW += hs[t - 1].T @ dpre
        gU += x[t - 1].T @ dpre
        carry = dpre @ W.T
    return loss, gW, gU


# ---------------------------------------------------------------- peers


def _jax(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        jax, jnp = jax_modules()

        def states(x, h0, W, U):  # noqa: N803
            def step(h, xt):
                h = jnp.tanh(h @ W + xt @ U)
                return h, h
            return jax.lax.scan(step, h0, x)

        if bptt:
            def loss(W, U, x, h0):  # noqa: N803
                return jnp.mean(states(x, h0, W, U)[1])
            grad = jax.value_and_grad(loss, argnums=(0, 1))

            def fn(x, h0, W, U):  # noqa: N803
                value, (gW, gU) = grad(W, U, x, h0)  # noqa: N806
                return value, gW, gU
        else:
            def fn(x, h0, W, U):  # noqa: N803
                return states(x, h0, W, U)[0]
        jitted = jax.jit(fn)
        args = [jax.device_put(i[n]) for n in ARGS]

        def run() -> Any:
            out = jax.block_until_ready(jitted(*args))
            return tuple(np.asarray(o) for o in out) if bptt else np.asarray(out)

        return noted(run, "jit(lax.scan), inputs device-resident")

    return factory


def _torch(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        torch = require("torch")
        x, h0, W, U = (torch.from_numpy(i[n].copy()) for n in ARGS)  # noqa: N806
        if bptt:
            W.requires_grad_(True)
            U.requires_grad_(True)

        def forward() -> Any:
            h, total = h0, 0
            for t in range(x.shape[0]):
                h = torch.tanh(h @ W + x[t] @ U)
                if bptt:
                    total = total + h.sum()
            return h, total

        def run() -> Any:
            if not bptt:
                with torch.no_grad():
                    return forward()[0].numpy()
            W.grad = U.grad = None
            _, total = forward()
            loss = total / (x.shape[0] * h0.numel())
            loss.backward()
            return loss.detach().numpy(), W.grad.numpy().copy(), U.grad.numpy().copy()

        return noted(run, f"eager, {torch.get_num_threads()} threads")

    return factory


def _pytensor(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        pytensor = require("pytensor")
        pt = require("pytensor.tensor")
        x, h0, W, U = (pt.tensor(n, dtype="float32", shape=(None,) * i[n].ndim)  # noqa: N806
                       for n in ARGS)
        hs, _ = pytensor.scan(lambda xt, h, W, U: pt.tanh(h @ W + xt @ U),  # noqa: N803
                              sequences=[x], outputs_info=[h0], non_sequences=[W, U])
        if bptt:
            loss = hs.mean()
            outs = [loss, *pytensor.grad(loss, [W, U])]
        else:
            outs = hs[-1]
        fn = pytensor.function([x, h0, W, U], outs)
        args = [i[n] for n in ARGS]
        return noted(lambda: fn(*args), "scan, default mode")

    return factory


def _tdsl_program(bptt: bool) -> Any:
    def build(i: dict[str, Any]) -> tdsl.Program:
        from tensordsl import tensor as T
        from tensordsl.scan import scan

        x, h0, W, U = T.tensor3("x", "float32"), T.matrix("h0", "float32"), \
            T.matrix("W", "float32"), T.matrix("U", "float32")  # noqa: N806
        hs, _ = scan(lambda xt, h, W, U: T.tanh(T.dot(h, W) + T.dot(xt, U)),  # noqa: N803
                     sequences=[x], outputs_info=[h0], non_sequences=[W, U])
        if bptt:
            loss = T.mean(hs)
            outputs = [loss, *tdsl.grad()(loss, [W, U])]
        else:
            outputs = hs[-1]
        return tdsl.Program([x, h0, W, U], outputs, [i[n] for n in ARGS],
                            note="scan; gradient by tensordsl.grad" if bptt else "scan")

    return build


def _numpy(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        args = [i[n] for n in ARGS]
        fn = numpy_bptt if bptt else numpy_forward
        return noted(lambda: fn(*args), "Python loop of numpy calls" +
                     ("; hand-derived backward loop" if bptt else ""))

    return factory


def _no_decorator(_i: dict[str, Any]) -> Run:
    raise NotApplicable("the decorator traces Python loops by unrolling them: use scan")


def _impls(bptt: bool) -> dict[str, Any]:
    impls: dict[str, Any] = {"numpy": _numpy(bptt), "pytensor": _pytensor(bptt),
                             "jax": _jax(bptt), "torch": _torch(bptt)}
    impls.update(tdsl.symbolic_factories(_tdsl_program(bptt)))
    impls[tdsl.DECORATOR] = _no_decorator
    return impls


def forward_impls() -> dict[str, Any]:
    """Every column's in-process factory of rnn_forward (the child processes read this)."""
    return _impls(False)


def bptt_impls() -> dict[str, Any]:
    """Every column's in-process factory of rnn_bptt."""
    return _impls(True)


def _cases(workload: str, table: str, quick: bool, bptt: bool) -> list[Case]:
    steps = 100 if quick else STEPS
    impls = {column: isolated(__name__, table, column) for column in _impls(bptt)}
    # float32 over a long recurrence: each library's summation order differs
    rtol, atol = (2e-3, 2e-5) if bptt else (1e-3, 1e-5)
    flops = 2.0 * 2 * BATCH * HIDDEN * HIDDEN * steps * (3 if bptt else 1)
    return [Case(workload, f"float32, {steps} steps, batch {BATCH}, hidden {HIDDEN}",
                 lambda: rnn_inputs(steps, BATCH, HIDDEN), impls, rtol=rtol, atol=atol,
                 work=flops)]


def forward_cases(quick: bool) -> list[Case]:
    """rnn_forward: h_T of 1000 steps (100 with --quick)."""
    return _cases("rnn_forward", "forward_impls", quick, False)


def bptt_cases(quick: bool) -> list[Case]:
    """rnn_bptt: mean of the states and its gradient wrt W and U."""
    return _cases("rnn_bptt", "bptt_impls", quick, True)
