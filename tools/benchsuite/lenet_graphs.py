"""The LeNet training step (Theano's deep-learning tutorial) written once per library.

Two conv(5x5, true convolution, 'valid') + maxpool(2x2) + tanh layers with 20 and 50
filters, a tanh hidden layer of 500, a softmax output of 10, mean cross-entropy on
one-hot labels, SGD (lr 0.1) on all eight parameters, float32. The numpy step (the
reference every column is checked against) is written out by hand, forward and
backward, on strided windows; the others take gradients with their own autodiff.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

PARAMS = ("W0", "b0", "W1", "b1", "W2", "b2", "W3", "b3")
DATA = ("X", "Y")
LR = 0.1


def lenet_inputs(batch: int) -> dict[str, Any]:
    """MNIST-shaped random data and the tutorial's initialisation (float32)."""
    rng = np.random.default_rng(17)
    f32 = np.float32

    def uniform(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape).astype(f32)

    return {"X": rng.standard_normal((batch, 1, 28, 28)).astype(f32),
            "Y": np.eye(10, dtype=f32)[rng.integers(0, 10, batch)],
            "W0": uniform((20, 1, 5, 5), 25, 20 * 25 // 4), "b0": np.zeros(20, f32),
            "W1": uniform((50, 20, 5, 5), 20 * 25, 50 * 25 // 4), "b1": np.zeros(50, f32),
            "W2": uniform((800, 500), 800, 500), "b2": np.zeros(500, f32),
            "W3": uniform((500, 10), 500, 10), "b3": np.zeros(10, f32)}


def step_flops(batch: int) -> float:
    """Multiply-adds x 2 of the forward and backward GEMM-like work (no input gradient)."""
    conv0 = 2.0 * batch * 20 * 24 * 24 * 25
    conv1 = 2.0 * batch * 50 * 8 * 8 * 20 * 25
    dense = 2.0 * batch * (800 * 500 + 500 * 10)
    return conv0 * 2 + conv1 * 3 + dense * 3


# ---------------------------------------------------------------- numpy (the reference)


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    n, c, h, w = x.shape
    s = x.strides
    return as_strided(x, (n, c, h - k + 1, w - k + 1, k, k), s + s[2:], writeable=False)


def _conv(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """True 'valid' convolution: correlation with the flipped filters."""
    return np.einsum("nchwuv,ocuv->nohw", _windows(x, W.shape[-1]), W[:, :, ::-1, ::-1],
                     optimize=True)


def _conv_grad_w(x: np.ndarray, W: np.ndarray, gy: np.ndarray) -> np.ndarray:
    g_flipped = np.einsum("nohw,nchwuv->ocuv", gy, _windows(x, W.shape[-1]), optimize=True)
    return g_flipped[:, :, ::-1, ::-1]


def _conv_grad_x(W: np.ndarray, gy: np.ndarray) -> np.ndarray:
    k = W.shape[-1]
    padded = np.pad(gy, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    return np.einsum("nohwuv,ocuv->nchw", _windows(padded, k), W, optimize=True)


def _pool(a: np.ndarray) -> np.ndarray:
    n, c, h, w = a.shape
    return a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def _pool_grad(a: np.ndarray, out: np.ndarray, g: np.ndarray) -> np.ndarray:
    n, c, h, w = a.shape
    mask = a.reshape(n, c, h // 2, 2, w // 2, 2) == out[:, :, :, None, :, None]
    return (mask * g[:, :, :, None, :, None]).reshape(a.shape)


def numpy_step(X: np.ndarray, Y: np.ndarray, W0: np.ndarray, b0: np.ndarray, W1: np.ndarray,
               b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, W3: np.ndarray, b3: np.ndarray
               ) -> tuple:
    """One SGD step; returns (loss, *updated parameters)."""
    n = X.shape[0]
    c0 = _conv(X, W0)
    p0 = _pool(c0)
    h0 = np.tanh(p0 + b0[None, :, None, None])
    c1 = _conv(h0, W1)
    p1 = _pool(c1)
    h1 = np.tanh(p1 + b1[None, :, None, None])
    flat = h1.reshape(n, -1)
    h2 = np.tanh(flat @ W2 + b2)
    z = h2 @ W3 + b3
    zmax = z.max(axis=1, keepdims=True)
    e = np.exp(z - zmax)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * (z - zmax - np.log(s)), axis=1))
    dz = (e / s - Y) / n
    da2 = (dz @ W3.T) * (1 - h2 * h2)
    dp1 = (da2 @ W2.T).reshape(h1.shape) * (1 - h1 * h1)
    dc1 = _pool_grad(c1, p1, dp1)
    dp0 = _conv_grad_x(W1, dc1) * (1 - h0 * h0)
    dc0 = _pool_grad(c0, p0, dp0)
    grads = (_conv_grad_w(X, W0, dc0), dp0.sum(axis=(0, 2, 3)), _conv_grad_w(h0, W1, dc1),
             dp1.sum(axis=(0, 2, 3)), flat.T @ da2, da2.sum(axis=0), h2.T @ dz, dz.sum(axis=0))
    params = (W0, b0, W1, b1, W2, b2, W3, b3)
    lr = np.float32(LR)
    return (loss, *[(p - lr * g).astype(np.float32) for p, g in zip(params, grads)])


# ---------------------------------------------------------------- symbolic (tensordsl, pytensor)


def symbolic_loss(T: Any, conv2d: Any, pool_2d: Any, X: Any, Y: Any, params: list[Any],
                  batch: int) -> Any:
    """The loss graph with Theano's API: `conv2d(x, W)` and `pool_2d(x, ws, ignore_border)`."""
    W0, b0, W1, b1, W2, b2, W3, b3 = params
    h0 = T.tanh(pool_2d(conv2d(X, W0), (2, 2), ignore_border=True)
                + b0.dimshuffle("x", 0, "x", "x"))
    h1 = T.tanh(pool_2d(conv2d(h0, W1), (2, 2), ignore_border=True)
                + b1.dimshuffle("x", 0, "x", "x"))
    h2 = T.tanh(T.dot(h1.reshape((batch, 800)), W2) + b2)
    z = T.dot(h2, W3) + b3
    zmax = T.max(z, axis=1, keepdims=True)
    log_s = T.log(T.sum(T.exp(z - zmax), axis=1, keepdims=True))
    return -T.mean(T.sum(Y * (z - zmax - log_s), axis=1))


# ---------------------------------------------------------------- jax


def jax_step(jax: Any, jnp: Any) -> Any:
    """A pure step(X, Y, *params) -> (loss, *params) with jax.value_and_grad."""
    lax = jax.lax

    def conv(x: Any, W: Any) -> Any:
        return lax.conv_general_dilated(x, W[:, :, ::-1, ::-1], (1, 1), "VALID",
                                        dimension_numbers=("NCHW", "OIHW", "NCHW"))

    def pool(x: Any) -> Any:
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss(params: tuple, X: Any, Y: Any) -> Any:
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        h0 = jnp.tanh(pool(conv(X, W0)) + b0[None, :, None, None])
        h1 = jnp.tanh(pool(conv(h0, W1)) + b1[None, :, None, None])
        h2 = jnp.tanh(h1.reshape(X.shape[0], -1) @ W2 + b2)
        z = h2 @ W3 + b3
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z, axis=1), axis=1))

    value_and_grad = jax.value_and_grad(loss)

    def step(X: Any, Y: Any, *params: Any) -> tuple:
        value, grads = value_and_grad(params, X, Y)
        return (value, *[p - LR * g for p, g in zip(params, grads)])

    return step


# ---------------------------------------------------------------- torch


def torch_step(torch: Any, inputs: dict[str, Any]) -> Any:
    """A run() doing one eager step on torch tensors held between calls."""
    F = torch.nn.functional
    X, Y = (torch.from_numpy(inputs[n].copy()) for n in DATA)
    params = [torch.from_numpy(inputs[n].copy()).requires_grad_() for n in PARAMS]

    def run() -> tuple:
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        h0 = torch.tanh(F.max_pool2d(F.conv2d(X, W0.flip((2, 3))), 2) + b0[None, :, None, None])
        h1 = torch.tanh(F.max_pool2d(F.conv2d(h0, W1.flip((2, 3))), 2)
                        + b1[None, :, None, None])
        h2 = torch.tanh(h1.reshape(X.shape[0], -1) @ W2 + b2)
        z = h2 @ W3 + b3
        loss = -torch.mean(torch.sum(Y * torch.log_softmax(z, dim=1), dim=1))
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= LR * g
        # copies: the parameters change in place at the next call
        return (loss.detach().numpy(), *[p.detach().clone().numpy() for p in params])

    return run
