"""numpy LSTM sentiment model (masked scan, mean pooling, softmax) with the tutorial's
adadelta, as lstm.py does; backpropagation through time by hand."""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import sigmoid
from tests.tutorials.reference_logreg import softmax


def init_params(rng, n_words, dim, ydim):
    """The tutorial's initialisation, same draws in the same order."""
    def ortho():
        u, _, _ = np.linalg.svd(rng.randn(dim, dim))
        return u
    p = {'Wemb': 0.01 * rng.rand(n_words, dim)}
    p['lstm_W'] = np.concatenate([ortho() for _ in range(4)], axis=1)
    p['lstm_U'] = np.concatenate([ortho() for _ in range(4)], axis=1)
    p['lstm_b'] = np.zeros(4 * dim)
    p['U'] = 0.01 * rng.randn(dim, ydim)
    p['b'] = np.zeros(ydim)
    return p


def cost_and_grads(p, x, mask, y, off=1e-8):
    """Cost of a padded minibatch (x, mask: (T, n)) and its gradients, by hand."""
    d = p['lstm_U'].shape[0]
    steps, n = x.shape
    emb = p['Wemb'][x]                      # (T, n, d)
    xb = emb @ p['lstm_W'] + p['lstm_b']    # (T, n, 4d)
    h, c = np.zeros((n, d)), np.zeros((n, d))
    cache = []
    for t in range(steps):
        m = mask[t][:, None]
        a = h @ p['lstm_U'] + xb[t]
        i, f, o = sigmoid(a[:, :d]), sigmoid(a[:, d:2 * d]), sigmoid(a[:, 2 * d:3 * d])
        g = np.tanh(a[:, 3 * d:])
        c_new = m * (f * c + i * g) + (1 - m) * c
        tc = np.tanh(c_new)
        h_new = m * (o * tc) + (1 - m) * h
        cache.append((h, c, i, f, o, g, tc))
        h, c = h_new, c_new
        cache[-1] += (h,)
    hs = np.array([cc[7] for cc in cache])
    msum = mask.sum(axis=0)[:, None]
    proj = (hs * mask[:, :, None]).sum(axis=0) / msum
    pred = softmax(proj @ p['U'] + p['b'])
    rows = np.arange(n)
    py = pred[rows, y]
    cost = -np.mean(np.log(py + off))
    gy = -1.0 / (n * (py + off))            # d cost / d pred[rows, y]
    dz = -pred * (gy * py)[:, None]
    dz[rows, y] += gy * py
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    grads['U'], grads['b'] = proj.T @ dz, dz.sum(axis=0)
    dproj = dz @ p['U'].T
    dh_next, dc_next = np.zeros((n, d)), np.zeros((n, d))
    dxb = np.zeros_like(xb)
    for t in range(steps - 1, -1, -1):
        h_prev, c_prev, i, f, o, g, tc, _ = cache[t]
        m = mask[t][:, None]
        dh = dproj * m / msum + dh_next
        dht = m * dh
        dh_prev = (1 - m) * dh
        do = dht * tc
        dc = dc_next + dht * o * (1 - tc ** 2)
        dct = m * dc
        dc_prev = (1 - m) * dc + dct * f
        da = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f),
                             do * o * (1 - o), dct * i * (1 - g ** 2)], axis=1)
        grads['lstm_U'] += h_prev.T @ da
        dh_prev += da @ p['lstm_U'].T
        dxb[t] = da
        dh_next, dc_next = dh_prev, dc_prev
    grads['lstm_W'] = np.einsum('tnd,tne->de', emb, dxb)
    grads['lstm_b'] = dxb.sum(axis=(0, 1))
    np.add.at(grads['Wemb'], x.ravel(), (dxb @ p['lstm_W'].T).reshape(-1, d))
    return cost, grads


def run(seqs, labels, batches, prepare_data, seed, n_words, dim, ydim):
    """{'costs': cost per minibatch step, 'first_grads': gradients of the first step,
    'params': final parameters, 'predictions': labels for every sentence}."""
    p = init_params(np.random.RandomState(seed), n_words, dim, ydim)
    rg2 = {k: np.zeros_like(v) for k, v in p.items()}
    ru2 = {k: np.zeros_like(v) for k, v in p.items()}
    costs = []
    for epoch in batches:
        for index in epoch:
            x, mask, y = prepare_data([seqs[t] for t in index],
                                      np.array([labels[t] for t in index]))
            cost, g = cost_and_grads(p, x, mask, y)
            if not costs:
                first_grads = g
            costs.append(cost)
            for k in p:  # adadelta, as f_grad_shared then f_update apply it
                rg2[k] = 0.95 * rg2[k] + 0.05 * g[k] ** 2
                updir = -np.sqrt(ru2[k] + 1e-6) / np.sqrt(rg2[k] + 1e-6) * g[k]
                ru2[k] = 0.95 * ru2[k] + 0.05 * updir ** 2
                p[k] = p[k] + updir
    # predictions: the forward pass of cost_and_grads, argmax of the softmax
    x, mask, _ = prepare_data(seqs, labels)
    return {'costs': costs, 'first_grads': first_grads, 'params': p,
            'predictions': _predict(p, x, mask)}


def _predict(p, x, mask):
    d = p['lstm_U'].shape[0]
    xb = p['Wemb'][x] @ p['lstm_W'] + p['lstm_b']
    h, c = np.zeros((x.shape[1], d)), np.zeros((x.shape[1], d))
    total = np.zeros_like(h)
    for t in range(x.shape[0]):
        m = mask[t][:, None]
        a = h @ p['lstm_U'] + xb[t]
        i, f, o = sigmoid(a[:, :d]), sigmoid(a[:, d:2 * d]), sigmoid(a[:, 2 * d:3 * d])
        c = m * (f * c + i * np.tanh(a[:, 3 * d:])) + (1 - m) * c
        h = m * (o * np.tanh(c)) + (1 - m) * h
        total += h * m
    proj = total / mask.sum(axis=0)[:, None]
    return softmax(proj @ p['U'] + p['b']).argmax(axis=1)
