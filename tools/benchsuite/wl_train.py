"""Training steps: logistic regression (float64) and a 784-512-10 MLP (float32).

Each implementation keeps its own parameters and advances them one SGD step per call:
shared variables with updates (tensordsl, pytensor), a jitted pure step (jax), or a pure
step held by `stepper` (numpy, numba, the decorator). The first call, from the same
initial parameters everywhere, is checked on the cost and on every updated parameter.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from benchsuite import tdsl
from benchsuite.cases import Case, Run, noted, stepper
from benchsuite.env import jax_modules, require
from benchsuite.peers import jax_stepper, numba_jit
from benchsuite.train_graphs import (
    jax_logreg_step,
    jax_mlp_step,
    logreg_program,
    mlp_program,
    pytensor_logreg,
    pytensor_mlp,
)

LOGREG_DATA, LOGREG_STATE = ("X", "y"), ("w", "b")
MLP_DATA, MLP_STATE = ("X", "Y"), ("W1", "b1", "W2", "b2")


def logreg_step(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: Any) -> tuple:
    """One step: cost = mean cross-entropy + 0.01*||w||², then w, b -= 0.1 * gradient."""
    p = 1 / (1 + np.exp(-(X @ w + b)))
    cost = np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)) + 0.01 * np.sum(w * w)
    err = p - y
    gw = X.T @ err / X.shape[0] + 0.02 * w
    gb = np.mean(err)
    return cost, w - 0.1 * gw, b - 0.1 * gb


def mlp_step(X: np.ndarray, Y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
             b2: np.ndarray) -> tuple:
    """One SGD step (lr 0.01) of relu(X@W1+b1)@W2+b2 under softmax cross-entropy."""
    h_pre = X @ W1 + b1
    h = np.maximum(h_pre, 0)
    z = h @ W2 + b2
    zmax = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - zmax)
    s = np.sum(e, axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * (z - zmax - np.log(s)), axis=1))
    dz = (e / s - Y) / X.shape[0]
    dh = (dz @ W2.T) * (h_pre > 0)
    return (loss, W1 - 0.01 * (X.T @ dh), b1 - 0.01 * np.sum(dh, axis=0),
            W2 - 0.01 * (h.T @ dz), b2 - 0.01 * np.sum(dz, axis=0))


# ---------------------------------------------------------------- numba


@cache
def _numba_logreg() -> Any:
    @numba_jit()
    def step(X, y, w, b):
        p = 1.0 / (1.0 + np.exp(-(np.dot(X, w) + b)))
        cost = np.mean(-y * np.log(p) - (1.0 - y) * np.log(1.0 - p)) + 0.01 * np.sum(w * w)
        err = p - y
        gw = np.dot(X.T, err) / X.shape[0] + 0.02 * w
        return cost, w - 0.1 * gw, b - 0.1 * np.mean(err)

    return step


@cache
def _numba_mlp() -> Any:
    import math

    from numba import prange

    @numba_jit()
    def step(X, Y, W1, b1, W2, b2):
        batch, classes = X.shape[0], W2.shape[1]
        h_pre = np.dot(X, W1) + b1
        h = np.maximum(h_pre, np.float32(0))
        z = np.dot(h, W2) + b2
        dz = np.empty_like(z)
        losses = np.empty(batch)
        for i in prange(batch):
            m = z[i].max()
            s = 0.0
            for j in range(classes):
                s += math.exp(z[i, j] - m)
            log_s = math.log(s)
            loss = 0.0
            for j in range(classes):
                logp = z[i, j] - m - log_s
                loss -= Y[i, j] * logp
                dz[i, j] = (math.exp(logp) - Y[i, j]) / batch
            losses[i] = loss
        dh = (np.dot(dz, W2.T) * (h_pre > 0)).astype(np.float32)
        f32, lr = np.float32, np.float32(0.01)  # keep every parameter float32
        return (f32(losses.mean()), (W1 - lr * np.dot(X.T, dh)).astype(f32),
                (b1 - lr * dh.sum(axis=0)).astype(f32), (W2 - lr * np.dot(h.T, dz)).astype(f32),
                (b2 - lr * dz.sum(axis=0)).astype(f32))

    return step


# ---------------------------------------------------------------- inputs and cases


def _logreg_inputs(n: int, features: int) -> dict[str, Any]:
    rng = np.random.default_rng(15)
    return {"X": rng.standard_normal((n, features)), "y": rng.integers(0, 2, n).astype(float),
            "w": 0.01 * rng.standard_normal(features), "b": np.float64(0.0)}


def _mlp_inputs(batch: int, sizes: tuple[int, int, int]) -> dict[str, Any]:
    rng = np.random.default_rng(16)
    n_in, n_hidden, n_out = sizes
    f32 = np.float32
    return {"X": rng.standard_normal((batch, n_in)).astype(f32),
            "Y": np.eye(n_out, dtype=f32)[rng.integers(0, n_out, batch)],
            "W1": (rng.standard_normal((n_in, n_hidden)) * np.sqrt(2 / n_in)).astype(f32),
            "b1": np.zeros(n_hidden, f32),
            "W2": (rng.standard_normal((n_hidden, n_out)) * 0.05).astype(f32),
            "b2": np.zeros(n_out, f32)}


def _pure(step: Any, data: tuple[str, ...], state: tuple[str, ...]) -> Any:
    return lambda i: stepper(step, tuple(i[n] for n in data), tuple(i[n] for n in state))


def _numba(kernel: Any, data: tuple[str, ...], state: tuple[str, ...]) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        require("numba")
        run = stepper(kernel(), tuple(i[n] for n in data), tuple(i[n] for n in state))
        return noted(run, "@njit(parallel=True), np.dot (BLAS) + array expressions")

    return factory


def _jax(step_fn: Any, data: tuple[str, ...], state: tuple[str, ...]) -> Any:
    def factory(i: dict[str, Any]) -> Run:
        jax_modules()
        run = jax_stepper(step_fn(), tuple(i[n] for n in data), tuple(i[n] for n in state))
        return noted(run, "jit(value_and_grad) step, data and parameters on device")

    return factory


def _no_numexpr(_i: dict[str, Any]) -> Run:
    from benchsuite.cases import NotApplicable

    raise NotApplicable("numexpr has no matrix product or gradients")


def logreg_cases(quick: bool) -> list[Case]:
    """Logistic regression step, N=4000 x 784 features float64 (400 x 784 with --quick)."""
    n, features = (400, 784) if quick else (4000, 784)
    impls = {
        "numpy": _pure(logreg_step, LOGREG_DATA, LOGREG_STATE),
        "numexpr": _no_numexpr,
        "numba": _numba(_numba_logreg, LOGREG_DATA, LOGREG_STATE),
        "pytensor": pytensor_logreg,
        "jax": _jax(jax_logreg_step, LOGREG_DATA, LOGREG_STATE),
    }
    impls.update(tdsl.all_factories(logreg_program, logreg_step, LOGREG_DATA, LOGREG_STATE))
    return [Case("logreg_step", f"float64, N={n}, {features} features",
                 lambda: _logreg_inputs(n, features), impls, rtol=1e-8, atol=1e-10,
                 work=8 * n * features, limit="triad")]  # one pass over X: the limit


def mlp_cases(quick: bool) -> list[Case]:
    """784-512-10 MLP SGD step, batch 256, float32 (batch 32 with --quick)."""
    batch, sizes = (32, (784, 512, 10)) if quick else (256, (784, 512, 10))
    impls = {
        "numpy": _pure(mlp_step, MLP_DATA, MLP_STATE),
        "numexpr": _no_numexpr,
        "numba": _numba(_numba_mlp, MLP_DATA, MLP_STATE),
        "pytensor": pytensor_mlp,
        "jax": _jax(jax_mlp_step, MLP_DATA, MLP_STATE),
    }
    impls.update(tdsl.all_factories(mlp_program, mlp_step, MLP_DATA, MLP_STATE))
    n_in, n_hidden, n_out = sizes
    flops = 4.0 * batch * n_in * n_hidden + 6.0 * batch * n_hidden * n_out
    return [Case("mlp_step", f"float32, {n_in}-{n_hidden}-{n_out}, batch {batch}",
                 lambda: _mlp_inputs(batch, sizes), impls, rtol=1e-4, atol=1e-5,
                 work=flops, limit="blas_float32")]
