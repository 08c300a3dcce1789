"""examples/lenet_tutorial.py (Theano's LeNet tutorial code) trains as numpy says it should.

The reference recomputes the same network in numpy, forward by plain sums over filter
taps, and takes its gradient by central differences (float64, 115 parameters), so every
printed cost and the final first-layer filters are checked against an independent
definition of the whole program.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from tests.test_examples_tutorial import EXAMPLES, check, run_example


def _load_example():
    spec = importlib.util.spec_from_file_location("lenet_tutorial",
                                                  EXAMPLES / "lenet_tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _conv_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """True 'valid' convolution: the flipped filters, summed tap by tap."""
    kh, kw = w.shape[2:]
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    flipped = w[:, :, ::-1, ::-1]
    return sum(np.einsum("nchw,oc->nohw", x[:, :, u:u + oh, v:v + ow], flipped[:, :, u, v])
               for u in range(kh) for v in range(kw))


def _pool2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(
        axis=(3, 5))


def _cost(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    W3, b3, W2, b2, W1, b1, W0, b0 = params
    h0 = np.tanh(_pool2(_conv_valid(x, W0)) + b0[None, :, None, None])
    h1 = np.tanh(_pool2(_conv_valid(h0, W1)) + b1[None, :, None, None])
    h2 = np.tanh(h1.reshape(len(x), -1) @ W2 + b2)
    z = h2 @ W3 + b3
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def _numeric_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                   eps: float = 1e-6) -> list[np.ndarray]:
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for pos in np.ndindex(*p.shape):
            keep = p[pos]
            p[pos] = keep + eps
            up = _cost(params, x, y)
            p[pos] = keep - eps
            down = _cost(params, x, y)
            p[pos] = keep
            g[pos] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def test_lenet_tutorial_matches_numpy(tmp_path):
    example = _load_example()
    rng = np.random.RandomState(23455)
    data_x, data_y = example.make_data(rng)
    params = [p.get_value().astype("float64") for p in example.build(rng)[3]]
    expected: list[tuple[str, object]] = []
    for step in range(example.STEPS):
        expected.append((f"cost_{step}", _cost(params, data_x, data_y)))
        grads = _numeric_grads(params, data_x, data_y)
        params = [p - example.LEARNING_RATE * g for p, g in zip(params, grads)]
    expected.append(("final_W0", params[-2]))
    check(run_example("lenet_tutorial.py", tmp_path), expected, rtol=1e-7)
