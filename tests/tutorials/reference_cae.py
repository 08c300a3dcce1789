"""numpy contractive autoencoder trained as cae.py does (Jacobian penalty gradient by hand)."""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import dae_init, sigmoid


def run(data_x, batch_size, n_epochs, n_hidden, contraction, learning_rate):
    """[(mean reconstruction cost, jacobian penalty)] of every minibatch step.

    The penalty sum_{b,i,j} (s_bj W_ij)^2 / B, with s = h (1 - h), is
    sum_j (sum_b s_bj^2) |W_:j|^2 / B: its gradient reaches W directly and through h.
    """
    W, bh, bv = dae_init(np.random.RandomState(123), data_x.shape[1], n_hidden)
    out = []
    for _ in range(n_epochs):
        for i in range(len(data_x) // batch_size):
            x = data_x[i * batch_size:(i + 1) * batch_size]
            h = sigmoid(x @ W + bh)
            z = sigmoid(h @ W.T + bv)
            s = h * (1 - h)
            col = (W ** 2).sum(axis=0)
            rec = np.mean(-np.sum(x * np.log(z) + (1 - x) * np.log(1 - z), axis=1))
            jac = (s ** 2 * col).sum() / batch_size
            out.append((rec, jac))
            dz = (z - x) / batch_size
            dh = dz @ W + contraction * 2 * s * col / batch_size * (1 - 2 * h)
            dpre = dh * h * (1 - h)
            gW = x.T @ dpre + dz.T @ h + contraction * 2 * W * (s ** 2).sum(axis=0) / batch_size
            W, bh, bv = (W - learning_rate * gW, bh - learning_rate * dpre.sum(axis=0),
                         bv - learning_rate * dz.sum(axis=0))
    return out
