"""mlp512_step: one SGD step of the 784-512-512-10 MLP of issue 15, float32, batch 128 and 16.

ReLU hidden layers, softmax cross-entropy (one-hot targets), lr 0.01 updates of W1, b1,
W2, b2, W3, b3. Each implementation keeps its own parameters and advances them one step
per call; the first call, from the same parameters everywhere, is checked on the loss and
every updated parameter. Every column, and the GEMM floor, runs in a process of its own
(`isolated.py`). Peers: JAX (jit of a value_and_grad step), PyTorch eager (autograd, in-place
SGD updates), PyTensor (shared updates).

The GEMM floor is the step's eight matrix products alone (3 forward, 5 backward: no
gradient for the data) through numpy's BLAS into preallocated outputs.
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
    Run,
    noted,
    stepper,
)
from benchsuite.env import jax_modules, require
from benchsuite.isolated import isolated
from benchsuite.peers import jax_stepper
from benchsuite.train_columns import fixed_threads, one_thread

SIZES = (784, 512, 512, 10)
BATCHES = (128, 16)
DATA, STATE = ("X", "Y"), ("W1", "b1", "W2", "b2", "W3", "b3")
LR = 0.01


def mlp_inputs(batch: int, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Random data, one-hot targets, He-scaled weights, zero biases (float32)."""
    rng = np.random.default_rng(17)
    f32 = np.float32
    inputs = {"X": rng.standard_normal((batch, sizes[0])).astype(f32),
              "Y": np.eye(sizes[-1], dtype=f32)[rng.integers(0, sizes[-1], batch)]}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        inputs[f"W{k}"] = (rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(f32)
        inputs[f"b{k}"] = np.zeros(n_out, f32)
    return inputs


def mlp_loss(ns: Any, X: Any, Y: Any, W1: Any, b1: Any, W2: Any, b2: Any, W3: Any,  # noqa: N803
             b3: Any) -> Any:
    """Mean softmax cross-entropy of relu(relu(X@W1+b1)@W2+b2)@W3+b3 over a namespace."""
    h1 = ns.maximum(ns.dot(X, W1) + b1, 0)
    h2 = ns.maximum(ns.dot(h1, W2) + b2, 0)
    z = ns.dot(h2, W3) + b3
    zmax = ns.max(z, axis=1, keepdims=True)
    lse = ns.log(ns.sum(ns.exp(z - zmax), axis=1, keepdims=True))
    return -ns.mean(ns.sum(Y * (z - zmax - lse), axis=1))


def numpy_step(X, Y, W1, b1, W2, b2, W3, b3) -> tuple:  # noqa: N803
    """(loss, *updated parameters): forward and hand-derived backward in numpy."""
    a1 = X @ W1 + b1
    h1 = np.maximum(a1, 0)
    a2 = h1 @ W2 + b2
    h2 = np.maximum(a2, 0)
    z = h2 @ W3 + b3
    zmax = z.max(axis=1, keepdims=True)
    e = np.exp(z - zmax)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * (z - zmax - np.log(s)), axis=1))
    dz = (e / s - Y) / X.shape[0]
    dh2 = (dz @ W3.T) * (a2 > 0)
    dh1 = (dh2 @ W2.T) * (a1 > 0)
    return (loss, W1 - LR * (X.T @ dh1), b1 - LR * dh1.sum(0), W2 - LR * (h1.T @ dh2),
            b2 - LR * dh2.sum(0), W3 - LR * (h2.T @ dz), b3 - LR * dz.sum(0))


def gemm_floor(i: dict[str, Any]) -> Run:
    """The step's eight products alone, into preallocated outputs."""
    X, W1, W2, W3 = i["X"], i["W1"], i["W2"], i["W3"]  # noqa: N806
    batch, f32 = X.shape[0], np.float32
    h1 = np.full((batch, W1.shape[1]), 0.5, f32)
    h2 = np.full((batch, W2.shape[1]), 0.5, f32)
    z = np.empty((batch, W3.shape[1]), f32)
    dz = np.full_like(z, 1e-3)
    d1, d2 = np.empty_like(h1), np.empty_like(h2)
    g1, g2, g3 = np.empty_like(W1), np.empty_like(W2), np.empty_like(W3)
    a1, a2 = np.empty_like(h1), np.empty_like(h2)

    def run() -> float:
        np.matmul(X, W1, out=a1)
        np.matmul(h1, W2, out=a2)
        np.matmul(h2, W3, out=z)
        np.matmul(dz, W3.T, out=d2)
        np.matmul(h2.T, dz, out=g3)
        np.matmul(d2, W2.T, out=d1)
        np.matmul(h1.T, d2, out=g2)
        np.matmul(X.T, d1, out=g1)
        return 0.0

    return noted(run, "numpy matmul into preallocated outputs, 8 products")


# ---------------------------------------------------------------- peers


def _numpy(i: dict[str, Any]) -> Run:
    return noted(stepper(numpy_step, tuple(i[n] for n in DATA), tuple(i[n] for n in STATE)),
                 "hand-derived backward")


def _jax(i: dict[str, Any]) -> Run:
    jax, jnp = jax_modules()
    value_and_grad = jax.value_and_grad(lambda params, X, Y: mlp_loss(jnp, X, Y, *params))

    def step(X: Any, Y: Any, *params: Any) -> tuple:  # noqa: N803
        value, grads = value_and_grad(params, X, Y)
        return (value, *[p - LR * g for p, g in zip(params, grads)])

    run = jax_stepper(step, tuple(i[n] for n in DATA), tuple(i[n] for n in STATE))
    return noted(run, "jit(value_and_grad) step, data and parameters on device")


def _torch(i: dict[str, Any]) -> Run:
    torch = require("torch")
    X, Y = (torch.from_numpy(i[n].copy()) for n in DATA)  # noqa: N806
    params = [torch.from_numpy(i[n].copy()).requires_grad_(True) for n in STATE]

    def run() -> tuple:
        for p in params:
            p.grad = None
        loss = mlp_loss(_TorchNS(torch), X, Y, *params)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(LR * p.grad)
        return (loss.detach().numpy(), *[p.detach().numpy() for p in params])

    return noted(run, f"eager autograd, in-place SGD, {torch.get_num_threads()} threads")


class _TorchNS:
    """The few numpy-style names mlp_loss uses, on torch."""

    def __init__(self, torch: Any) -> None:
        self.t = torch

    def dot(self, a: Any, b: Any) -> Any:
        return a @ b

    def maximum(self, a: Any, v: float) -> Any:
        return self.t.clamp_min(a, v)

    def max(self, a: Any, axis: int, keepdims: bool) -> Any:
        return self.t.amax(a, dim=axis, keepdim=keepdims)

    def sum(self, a: Any, axis: int, keepdims: bool = False) -> Any:
        return self.t.sum(a, dim=axis, keepdim=keepdims)

    def exp(self, a: Any) -> Any:
        return self.t.exp(a)

    def log(self, a: Any) -> Any:
        return self.t.log(a)

    def mean(self, a: Any) -> Any:
        return self.t.mean(a)


def _pytensor(i: dict[str, Any]) -> Run:
    pytensor, pt = require("pytensor"), require("pytensor.tensor")
    with pytensor.config.change_flags(floatX="float32"):
        X, Y = pt.fmatrix("X"), pt.fmatrix("Y")  # noqa: N806
        params = [pytensor.shared(i[n].copy()) for n in STATE]
        loss = mlp_loss(pt, X, Y, *params)
        grads = pytensor.grad(loss, params)
        fn = pytensor.function([X, Y], loss,
                               updates=[(p, p - LR * g) for p, g in zip(params, grads)])
    args = [i[n] for n in DATA]

    def run() -> tuple:
        return (fn(*args), *[p.get_value(borrow=True) for p in params])

    return noted(run, "pytensor.grad, shared updates")


def _tdsl_program(i: dict[str, Any]) -> tdsl.Program:
    import tensordsl
    from tensordsl import tensor as T

    with tensordsl.config.change_flags(floatX="float32"):
        X, Y = T.fmatrix("X"), T.fmatrix("Y")  # noqa: N806
        params = [tensordsl.shared(i[n].copy(), name=n) for n in STATE]
        loss = mlp_loss(T, X, Y, *params)
        grads = tdsl.grad()(loss, params)
        updates = [(p, p - LR * g) for p, g in zip(params, grads)]
    return tdsl.Program([X, Y], loss, [i[n] for n in DATA], updates=updates,
                        note="gradients from tensordsl.grad, shared updates")


def step_impls() -> dict[str, Any]:
    """Every column's in-process factory (the child processes read this)."""
    impls: dict[str, Any] = {"numpy": _numpy, "pytensor": _pytensor, "jax": _jax,
                             "torch": _torch}
    impls.update(tdsl.symbolic_factories(_tdsl_program))
    impls[tdsl.DECORATOR] = tdsl.decorator_factory(numpy_step, DATA, STATE)
    impls[FIXED_THREADS_COLUMN] = fixed_threads(_tdsl_program)
    impls[FLOOR_COLUMN] = gemm_floor
    impls[FLOOR_1T_COLUMN] = one_thread(gemm_floor)
    return impls


def step_cases(quick: bool) -> list[Case]:
    """Batch 128 and 16 (with --quick: batch 16 only)."""
    cases = []
    n_in, n_h1, n_h2, n_out = SIZES
    for batch in BATCHES[1:] if quick else BATCHES:
        impls = {column: isolated(__name__, "step_impls", column) for column in step_impls()}
        # layer 1: forward and weight gradient (none for the data); layers 2, 3: three each
        flops = 2.0 * batch * (2 * n_in * n_h1 + 3 * n_h1 * n_h2 + 3 * n_h2 * n_out)
        cases.append(Case("mlp512_step", f"float32, {n_in}-{n_h1}-{n_h2}-{n_out}, "
                          f"batch {batch}", lambda batch=batch: mlp_inputs(batch), impls,
                          rtol=1e-4, atol=1e-5, work=flops))
    return cases
