"""numpy LeNet (conv + max-pool twice, tanh layer, softmax) trained as lenet.py does.

Convolution is Theano's conv2d: 'valid' mode with flipped filters (a true convolution).
Max pooling routes the gradient to every window element equal to the max, as Theano's
MaxPoolGrad does.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_logreg import softmax


def conv_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(b, c, h, w) * (f, c, kh, kw) -> (b, f, h-kh+1, w-kw+1), filters flipped."""
    wf = w[:, :, ::-1, ::-1]
    kh, kw = w.shape[2:]
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for u in range(kh):
        for v in range(kw):
            out += np.einsum('bcij,fc->bfij', x[:, :, u:u + oh, v:v + ow], wf[:, :, u, v])
    return out


def conv_valid_grads(x: np.ndarray, w: np.ndarray, d: np.ndarray):
    """Gradients of sum(d * conv_valid(x, w)) with respect to x and w."""
    wf = w[:, :, ::-1, ::-1]
    kh, kw = w.shape[2:]
    oh, ow = d.shape[2:]
    gx = np.zeros_like(x)
    gwf = np.zeros_like(w)
    for u in range(kh):
        for v in range(kw):
            gwf[:, :, u, v] = np.einsum('bfij,bcij->fc', d, x[:, :, u:u + oh, v:v + ow])
            gx[:, :, u:u + oh, v:v + ow] += np.einsum('bfij,fc->bcij', d, wf[:, :, u, v])
    return gx, gwf[:, :, ::-1, ::-1]


def maxpool2(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling, ignore_border=True."""
    h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    b = x[:, :, :h, :w].reshape(x.shape[0], x.shape[1], h // 2, 2, w // 2, 2)
    return b.max(axis=(3, 5))


def maxpool2_grad(x: np.ndarray, out: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Gradient of sum(d * maxpool2(x)) with respect to x."""
    up = np.repeat(np.repeat(out, 2, axis=2), 2, axis=3)
    dup = np.repeat(np.repeat(d, 2, axis=2), 2, axis=3)
    g = np.zeros_like(x)
    h, w = up.shape[2:]
    g[:, :, :h, :w] = (x[:, :, :h, :w] == up) * dup
    return g


def run(data_x, data_y, batch_size, n_epochs, side, nkerns, n_hidden, learning_rate,
        n_out=10) -> list[float]:
    """The cost of every minibatch step."""
    rng = np.random.RandomState(23455)
    b0 = np.sqrt(6.0 / (25 + nkerns[0] * 25 // 4))
    W0 = rng.uniform(-b0, b0, size=(nkerns[0], 1, 5, 5))
    b1 = np.sqrt(6.0 / (nkerns[0] * 9 + nkerns[1] * 9 // 4))
    W1 = rng.uniform(-b1, b1, size=(nkerns[1], nkerns[0], 3, 3))
    b2 = np.sqrt(6.0 / (nkerns[1] + n_hidden))
    W2 = rng.uniform(-b2, b2, size=(nkerns[1], n_hidden))
    c0, c1, c2 = np.zeros(nkerns[0]), np.zeros(nkerns[1]), np.zeros(n_hidden)
    W3, c3 = np.zeros((n_hidden, n_out)), np.zeros(n_out)
    costs = []
    for _ in range(n_epochs):
        for i in range(len(data_x) // batch_size):
            x = data_x[i * batch_size:(i + 1) * batch_size].reshape(batch_size, 1, side, side)
            y = data_y[i * batch_size:(i + 1) * batch_size]
            a0 = conv_valid(x, W0)
            p0 = maxpool2(a0)
            h0 = np.tanh(p0 + c0[None, :, None, None])
            a1 = conv_valid(h0, W1)
            p1 = maxpool2(a1)
            h1 = np.tanh(p1 + c1[None, :, None, None])
            f = h1.reshape(batch_size, -1)
            h2 = np.tanh(f @ W2 + c2)
            p = softmax(h2 @ W3 + c3)
            rows = np.arange(batch_size)
            costs.append(-np.mean(np.log(p[rows, y])))
            d = p.copy()
            d[rows, y] -= 1.0
            d /= batch_size
            gW3, gc3 = h2.T @ d, d.sum(axis=0)
            d2 = (d @ W3.T) * (1 - h2 ** 2)
            gW2, gc2 = f.T @ d2, d2.sum(axis=0)
            d1 = ((d2 @ W2.T).reshape(h1.shape)) * (1 - h1 ** 2)
            gc1 = d1.sum(axis=(0, 2, 3))
            dh0, gW1 = conv_valid_grads(h0, W1, maxpool2_grad(a1, p1, d1))
            dp0 = dh0 * (1 - h0 ** 2)
            gc0 = dp0.sum(axis=(0, 2, 3))
            _, gW0 = conv_valid_grads(x, W0, maxpool2_grad(a0, p0, dp0))
            W0, W1, W2, W3 = (W0 - learning_rate * gW0, W1 - learning_rate * gW1,
                              W2 - learning_rate * gW2, W3 - learning_rate * gW3)
            c0, c1, c2, c3 = (c0 - learning_rate * gc0, c1 - learning_rate * gc1,
                              c2 - learning_rate * gc2, c3 - learning_rate * gc3)
    return costs
