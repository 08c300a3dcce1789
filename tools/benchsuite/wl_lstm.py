"""An LSTM through scan, float32: hidden 128, input 128, 200 steps, batch 32 (issue 15).

gates = x_t @ Wx + h @ Wh + b, split i, f, g, o (PyTorch's order); c = f*c + i*g,
h = o*tanh(c). lstm_forward: the last state h_T. lstm_bptt: loss = mean of every h_t and
its gradient wrt Wx, Wh, b. Peers: JAX (`lax.scan` under `jit`), PyTorch eager
(`torch.nn.LSTM`, its fused CPU cell: fair, it is what a PyTorch user writes), PyTensor
(`scan`). Every column, and the GEMM floor, runs in a process of its own (`isolated.py`).

The GEMM floor is the products no implementation can skip, alone, through numpy's BLAS:
the input products of all steps as one GEMM, then one h @ Wh per step (sequential); for
BPTT also one dG @ Wh.T per step and the two weight gradients as one GEMM each.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite import tdsl
from benchsuite.cases import (
    FIXED_THREADS_COLUMN,
    FLOOR_1T_COLUMN,
    FLOOR_COLUMN,
    Case,
    NotApplicable,
    Run,
    noted,
)
from benchsuite.env import jax_modules, require
from benchsuite.isolated import isolated
from benchsuite.train_columns import fixed_threads, one_thread

STEPS, BATCH, HIDDEN, INPUT = 200, 32, 128, 128
ARGS = ("x", "h0", "c0", "Wx", "Wh", "b")


def lstm_inputs(steps: int, batch: int, hidden: int, n_in: int) -> dict[str, Any]:
    """x (steps, batch, n_in), zero states, weights scaled so the gates stay unsaturated."""
    rng = np.random.default_rng(31)
    f32 = np.float32
    return {"x": rng.standard_normal((steps, batch, n_in)).astype(f32),
            "h0": np.zeros((batch, hidden), f32), "c0": np.zeros((batch, hidden), f32),
            "Wx": (rng.standard_normal((n_in, 4 * hidden)) / np.sqrt(n_in)).astype(f32),
            "Wh": (rng.standard_normal((hidden, 4 * hidden)) / np.sqrt(hidden)).astype(f32),
            "b": (0.1 * rng.standard_normal(4 * hidden)).astype(f32)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _numpy_states(x, h0, c0, Wx, Wh, b):  # noqa: N803
    """Every step's (h, c, i, f, g, o), the input products as one GEMM."""
    steps, hid = x.shape[0], h0.shape[1]
    xw = (x.reshape(-1, x.shape[2]) @ Wx).reshape(steps, x.shape[1], -1) + b
    h, c, saved = h0, c0, []
    for t in range(steps):
        z = xw[t] + h @ Wh
        i, f = _sigmoid(z[:, :hid]), _sigmoid(z[:, hid:2 * hid])
        g, o = np.tanh(z[:, 2 * hid:3 * hid]), _sigmoid(z[:, 3 * hid:])
        c_prev, h_prev = c, h
        c = f * c + i * g
        h = o * np.tanh(c)
        saved.append((h_prev, c_prev, c, i, f, g, o))
    return h, saved


def numpy_forward(x, h0, c0, Wx, Wh, b):  # noqa: N803
    """h_T by a Python loop of numpy calls."""
    return _numpy_states(x, h0, c0, Wx, Wh, b)[0]


def numpy_bptt(x, h0, c0, Wx, Wh, b):  # noqa: N803
    """(loss, dWx, dWh, db), loss = mean(h_1..h_T), backward derived by hand."""
    steps, batch, hid = x.shape[0], h0.shape[0], h0.shape[1]
    _, saved = _numpy_states(x, h0, c0, Wx, Wh, b)
    hs = np.stack([s[0] for s in saved[1:]] + [_h(saved[-1])])
    loss = hs.mean(dtype=np.float64).astype(h0.dtype)
    seed = np.asarray(1.0 / (steps * batch * hid), h0.dtype)
    dgates = np.empty((steps, batch, 4 * hid), h0.dtype)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(steps - 1, -1, -1):
        _h_prev, c_prev, c, i, f, g, o = saved[t]
        tc = np.tanh(c)
        dh = dh_next + seed
        dc = dc_next + dh * o * (1 - tc * tc)
        dz = dgates[t]
        dz[:, :hid] = dc * g * i * (1 - i)
        dz[:, hid:2 * hid] = dc * c_prev * f * (1 - f)
        dz[:, 2 * hid:3 * hid] = dc * i * (1 - g * g)
        dz[:, 3 * hid:] = dh * tc * o * (1 - o)
        dc_next = dc * f
        dh_next = dz @ Wh.T
    hprev = np.stack([s[0] for s in saved]).reshape(-1, hid)
    flat = dgates.reshape(-1, 4 * hid)
    return loss, x.reshape(-1, x.shape[2]).T @ flat, hprev.T @ flat, flat.sum(axis=0)


def _h(saved_step: tuple) -> np.ndarray:
    _h_prev, _c_prev, c, _i, _f, _g, o = saved_step
    return o * np.tanh(c)


# ---------------------------------------------------------------- the GEMM floor


def gemm_floor(x: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, bptt: bool) -> Run:  # noqa: N803
    """The unavoidable products alone, into preallocated outputs (see the module doc)."""
    steps, batch, n_in = x.shape
    hid = Wh.shape[0]
    flat_x = x.reshape(-1, n_in)
    xw = np.empty((steps * batch, 4 * hid), np.float32)
    h = np.zeros((batch, hid), np.float32)
    z = np.empty((batch, 4 * hid), np.float32)
    dz = np.full((steps * batch, 4 * hid), 1e-3, np.float32)
    dh = np.empty((batch, hid), np.float32)
    hs = np.full((steps * batch, hid), 0.5, np.float32)
    dwx, dwh = np.empty_like(Wx), np.empty_like(Wh)
    wh_t = Wh.T

    def run() -> float:
        np.matmul(flat_x, Wx, out=xw)
        for _ in range(steps):
            np.matmul(h, Wh, out=z)
        if bptt:
            for t in range(steps):
                np.matmul(dz[t * batch:(t + 1) * batch], wh_t, out=dh)
            np.matmul(flat_x.T, dz, out=dwx)
            np.matmul(hs.T, dz, out=dwh)
        return 0.0

    return run


def _floor(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        what = "2 GEMMs + 2 per step" if bptt else "1 GEMM + 1 per step"
        return noted(gemm_floor(i["x"], i["Wx"], i["Wh"], bptt),
                     f"numpy matmul into preallocated outputs, {what}")

    return factory


# ---------------------------------------------------------------- peers


def lstm_step(ns: Any, sigmoid: Any, xt: Any, h: Any, c: Any, Wx: Any, Wh: Any, b: Any,  # noqa: N803
              hid: int) -> tuple[Any, Any]:
    """One LSTM step written over a namespace (tensordsl.tensor, jax.numpy, pytensor)."""
    z = ns.dot(xt, Wx) + ns.dot(h, Wh) + b
    i, f = sigmoid(z[:, :hid]), sigmoid(z[:, hid:2 * hid])
    g, o = ns.tanh(z[:, 2 * hid:3 * hid]), sigmoid(z[:, 3 * hid:])
    c = f * c + i * g
    return o * ns.tanh(c), c


def _jax(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        jax, jnp = jax_modules()
        hid = i["h0"].shape[1]

        def states(x, h0, c0, Wx, Wh, b):  # noqa: N803
            def step(carry, xt):
                h, c = lstm_step(jnp, jax.nn.sigmoid, xt, *carry, Wx, Wh, b, hid)
                return (h, c), h
            return jax.lax.scan(step, (h0, c0), x)

        if bptt:
            def loss(Wx, Wh, b, x, h0, c0):  # noqa: N803
                return jnp.mean(states(x, h0, c0, Wx, Wh, b)[1])
            grad = jax.value_and_grad(loss, argnums=(0, 1, 2))

            def fn(x, h0, c0, Wx, Wh, b):  # noqa: N803
                value, grads = grad(Wx, Wh, b, x, h0, c0)
                return (value, *grads)
        else:
            def fn(x, h0, c0, Wx, Wh, b):  # noqa: N803
                return states(x, h0, c0, Wx, Wh, b)[0][0]
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
        n_in, hid = i["Wx"].shape[0], i["h0"].shape[1]
        lstm = torch.nn.LSTM(n_in, hid)
        with torch.no_grad():  # PyTorch keeps (4H, in) weights: ours transposed
            lstm.weight_ih_l0.copy_(torch.from_numpy(i["Wx"].T.copy()))
            lstm.weight_hh_l0.copy_(torch.from_numpy(i["Wh"].T.copy()))
            lstm.bias_ih_l0.copy_(torch.from_numpy(i["b"]))
            lstm.bias_hh_l0.zero_()
        x = torch.from_numpy(i["x"].copy())
        h0, c0 = torch.from_numpy(i["h0"][None].copy()), torch.from_numpy(i["c0"][None].copy())

        def run() -> Any:
            if not bptt:
                with torch.no_grad():
                    return lstm(x, (h0, c0))[1][0][0].numpy()
            lstm.zero_grad(set_to_none=True)
            loss = lstm(x, (h0, c0))[0].mean()
            loss.backward()
            return (loss.detach().numpy(), lstm.weight_ih_l0.grad.numpy().T.copy(),
                    lstm.weight_hh_l0.grad.numpy().T.copy(), lstm.bias_ih_l0.grad.numpy().copy())

        return noted(run, f"torch.nn.LSTM (fused CPU cell), eager, "
                          f"{torch.get_num_threads()} threads")

    return factory


def _pytensor(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        pytensor = require("pytensor")
        pt = require("pytensor.tensor")
        hid = i["h0"].shape[1]
        syms = [pt.tensor(n, dtype="float32", shape=(None,) * i[n].ndim) for n in ARGS]
        x, h0, c0, Wx, Wh, b = syms  # noqa: N806
        (hs, _), _ = pytensor.scan(
            lambda xt, h, c, Wx, Wh, b: lstm_step(pt, pt.sigmoid, xt, h, c, Wx, Wh, b, hid),
            sequences=[x], outputs_info=[h0, c0], non_sequences=[Wx, Wh, b])
        if bptt:
            loss = hs.mean()
            outs = [loss, *pytensor.grad(loss, [Wx, Wh, b])]
        else:
            outs = hs[-1]
        fn = pytensor.function(syms, outs)
        args = [i[n] for n in ARGS]
        return noted(lambda: fn(*args), "scan, default mode")

    return factory


def _tdsl_program(bptt: bool) -> Any:
    def build(i: dict[str, Any]) -> tdsl.Program:
        from tensordsl import tensor as T
        from tensordsl.scan import scan

        hid = i["h0"].shape[1]
        x = T.tensor3("x", "float32")
        h0, c0, Wx, Wh = (T.matrix(n, "float32") for n in ("h0", "c0", "Wx", "Wh"))  # noqa: N806
        b = T.vector("b", "float32")
        (hs, _), _ = scan(
            lambda xt, h, c, Wx, Wh, b: lstm_step(T, T.sigmoid, xt, h, c, Wx, Wh, b, hid),
            sequences=[x], outputs_info=[h0, c0], non_sequences=[Wx, Wh, b])
        if bptt:
            loss = T.mean(hs)
            outputs = [loss, *tdsl.grad()(loss, [Wx, Wh, b])]
        else:
            outputs = hs[-1]
        return tdsl.Program([x, h0, c0, Wx, Wh, b], outputs, [i[n] for n in ARGS],
                            note="scan; gradient by tensordsl.grad" if bptt else "scan")

    return build


def _numpy(bptt: bool) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        args = [i[n] for n in ARGS]
        fn = numpy_bptt if bptt else numpy_forward
        return noted(lambda: fn(*args), "Python loop of numpy calls, input products as one "
                     "GEMM" + ("; hand-derived backward loop" if bptt else ""))

    return factory


def _no_decorator(_i: dict[str, Any]) -> Run:
    raise NotApplicable("the decorator traces Python loops by unrolling them: use scan")


def _impls(bptt: bool) -> dict[str, Any]:
    impls: dict[str, Any] = {"numpy": _numpy(bptt), "pytensor": _pytensor(bptt),
                             "jax": _jax(bptt), "torch": _torch(bptt)}
    impls.update(tdsl.symbolic_factories(_tdsl_program(bptt)))
    impls[tdsl.DECORATOR] = _no_decorator
    impls[FIXED_THREADS_COLUMN] = fixed_threads(_tdsl_program(bptt))
    impls[FLOOR_COLUMN] = _floor(bptt)
    impls[FLOOR_1T_COLUMN] = one_thread(_floor(bptt))
    return impls


def forward_impls() -> dict[str, Any]:
    """Every column's in-process factory of lstm_forward (the child processes read this)."""
    return _impls(False)


def bptt_impls() -> dict[str, Any]:
    """Every column's in-process factory of lstm_bptt."""
    return _impls(True)


def _cases(workload: str, table: str, quick: bool, bptt: bool) -> list[Case]:
    steps = 20 if quick else STEPS
    impls = {column: isolated(__name__, table, column) for column in _impls(bptt)}
    rtol, atol = (2e-3, 2e-6) if bptt else (1e-3, 1e-5)
    per_step = 2.0 * BATCH * 4 * HIDDEN * (INPUT + HIDDEN)
    flops = per_step * steps * (3 if bptt else 1)
    return [Case(workload, f"float32, {steps} steps, batch {BATCH}, hidden {HIDDEN}, "
                           f"input {INPUT}",
                 lambda: lstm_inputs(steps, BATCH, HIDDEN, INPUT), impls, rtol=rtol, atol=atol,
                 work=flops)]


def forward_cases(quick: bool) -> list[Case]:
    """lstm_forward: h_T of 200 steps (20 with --quick)."""
    return _cases("lstm_forward", "forward_impls", quick, False)


def bptt_cases(quick: bool) -> list[Case]:
    """lstm_bptt: mean of the states and its gradient wrt Wx, Wh, b."""
    return _cases("lstm_bptt", "bptt_impls", quick, True)
