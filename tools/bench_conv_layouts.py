"""Time im2col layouts for the two LeNet conv layers (batch 500, float32, 5x5, 'valid').

    python tools/bench_conv_layouts.py

Forward, filter gradient and input gradient, each as tensordsl computes it (forward:
per-sample GEMMs for short columns, else channel-major columns and one GEMM; the
gradients: one GEMM) against the alternatives: per-sample GEMMs on
(batch, K, pixels) columns via np.matmul broadcasting, np.tensordot on the window view,
np.einsum(optimize=True) on it, and 25 shifted GEMMs (one per filter tap); "C" is the
same arithmetic with the C backend's compiled window copies in ~1 MB batch slices
(backends/c/nnet.py). Prints the best of 4 calls in ms; docs/nnet.md quotes a run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import as_strided

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tensordsl.ops import conv_kernels as conv_ops  # noqa: E402
from tensordsl.ops.conv_kernels import (  # noqa: E402
    conv2d_forward,
    conv2d_grad_inputs,
    conv2d_grad_weights,
)

LAYERS = {"conv0 500x1x28x28 * 20x1x5x5": ((500, 1, 28, 28), (20, 1, 5, 5)),
          "conv1 500x20x12x12 * 50x20x5x5": ((500, 20, 12, 12), (50, 20, 5, 5))}


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    n, c, h, w = x.shape
    s = x.strides
    return as_strided(x, (n, c, h - k + 1, w - k + 1, k, k), s + s[2:], writeable=False)


def per_sample(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    o, c, k, _ = w.shape
    win = _windows(x, k)
    n, _, oh, ow = win.shape[:4]
    cols = np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * k * k, -1)
    return np.matmul(w.reshape(o, -1), cols).reshape(n, o, oh, ow)


def tensordot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.tensordot(_windows(x, w.shape[-1]), w, axes=([1, 4, 5], [1, 2, 3]))
    return out.transpose(0, 3, 1, 2)


def einsum(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("nchwuv,ocuv->nohw", _windows(x, w.shape[-1]), w, optimize=True)


def shifted(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    o, c, k, _ = w.shape
    n, oh, ow = x.shape[0], x.shape[2] - k + 1, x.shape[3] - k + 1
    out = np.zeros((o, n, oh, ow), x.dtype)
    xt = x.transpose(1, 0, 2, 3)
    for u in range(k):
        for v in range(k):
            patch = np.ascontiguousarray(xt[:, :, u:u + oh, v:v + ow]).reshape(c, -1)
            out += (w[:, :, u, v] @ patch).reshape(o, n, oh, ow)
    return out.transpose(1, 0, 2, 3)


def channel_major(x: np.ndarray, w: np.ndarray, args: tuple) -> np.ndarray:
    """tensordsl's forward forced onto its one-GEMM path (whatever the column length)."""
    saved, conv_ops.PER_SAMPLE_MAX_K = conv_ops.PER_SAMPLE_MAX_K, 0
    try:
        return conv2d_forward(x, w, *args)
    finally:
        conv_ops.PER_SAMPLE_MAX_K = saved


def per_sample_grad_inputs(w: np.ndarray, gz: np.ndarray) -> np.ndarray:
    o = w.shape[0]
    return np.matmul(w.reshape(o, -1).T, gz.reshape(gz.shape[0], o, -1))  # columns only


def best_ms(fn: Callable[[], object]) -> float:
    fn()
    times = []
    for _ in range(4):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def time_layer(name: str, x: np.ndarray, w: np.ndarray) -> None:
    """Print the forward, filter-gradient and input-gradient timings of one layer."""
    args = ("valid", (1, 1), (1, 1), False, 1, "float32")
    ref = conv2d_forward(x, w, *args)
    gz = np.random.default_rng(1).standard_normal(ref.shape).astype(np.float32)
    from tensordsl.backends.c import nnet

    c_impl = nnet.CColumns(nnet.library("float32"))
    row = {"tensordsl": partial(conv2d_forward, x, w, *args),
           "C": partial(conv2d_forward, x, w, *args, impl=c_impl),
           "channel-major 1 GEMM": partial(channel_major, x, w, args)}
    for fn in (per_sample, tensordot, einsum, shifted):
        np.testing.assert_allclose(fn(x, w), ref, rtol=1e-3, atol=1e-3)
        row[fn.__name__] = partial(fn, x, w)
    print(f"{name} forward: " + ", ".join(f"{k} {best_ms(f):.1f}" for k, f in row.items()))
    ours = best_ms(partial(conv2d_grad_weights, x, gz, w.shape[2:], *args))
    in_c = best_ms(partial(conv2d_grad_weights, x, gz, w.shape[2:], *args, impl=c_impl))
    theirs = best_ms(partial(np.tensordot, gz, _windows(x, w.shape[-1]), ([0, 2, 3], [0, 2, 3])))
    print(f"{name} filter grad: tensordsl {ours:.1f}, C {in_c:.1f}, tensordot {theirs:.1f}")
    ours = best_ms(partial(conv2d_grad_inputs, w, gz, x.shape[2:], *args))
    in_c = best_ms(partial(conv2d_grad_inputs, w, gz, x.shape[2:], *args, impl=c_impl))
    theirs = best_ms(partial(per_sample_grad_inputs, w, gz))
    print(f"{name} input grad: tensordsl {ours:.1f}, C {in_c:.1f}, per-sample column GEMMs "
          f"alone {theirs:.1f}", flush=True)


def main() -> None:
    rng = np.random.default_rng(0)
    for name, (xs, ws) in LAYERS.items():
        time_layer(name, rng.standard_normal(xs).astype(np.float32),
                   rng.standard_normal(ws).astype(np.float32))


if __name__ == "__main__":
    main()
