"""numpy RNN-RBM training replayed on the Gibbs chains rnnrbm.py drew.

Given each step's final chain sample (drawn in tensordsl) and the monitor's visible
means, everything else is deterministic: the RNN's per-frame biases, the CD cost, the
monitor, and the gradient (backpropagated through the RNN by hand) of the SGD update.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import sigmoid


def xlogy0(x, y):
    """x * log(y), 0 where x == 0 (Theano's xlogx.xlogy0)."""
    return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def free_energy(x, W, bv_t, bh_t):
    """The RBM free energy of frames x summed over frames, with per-frame biases."""
    return -(x * bv_t).sum() - np.log(1 + np.exp(x @ W + bh_t)).sum()


def run(rolls, trace, n_visible, n_hidden, n_recurrent, slice_len, n_epochs,
        learning_rate, seed):
    """{'monitors', 'costs', 'bv_t', 'bh_t', 'params'} recomputed step by step."""
    rng = np.random.RandomState(seed)
    rng.randint(1 << 30)  # seeds the program's RandomStreams
    W = rng.normal(scale=0.01, size=(n_visible, n_hidden))
    Wuh = rng.normal(scale=0.0001, size=(n_recurrent, n_hidden))
    Wuv = rng.normal(scale=0.0001, size=(n_recurrent, n_visible))
    Wvu = rng.normal(scale=0.0001, size=(n_visible, n_recurrent))
    Wuu = rng.normal(scale=0.0001, size=(n_recurrent, n_recurrent))
    bv, bh, bu = np.zeros(n_visible), np.zeros(n_hidden), np.zeros(n_recurrent)
    slices = [s[i:i + slice_len] for _ in range(n_epochs) for s in rolls
              for i in range(0, len(s), slice_len)]
    out = {'monitors': [], 'costs': [], 'bv_t': [], 'bh_t': []}
    for v, (_, _, chain, mean_v, _, _) in zip(slices, trace):
        steps = len(v)
        us = []
        u = np.zeros(n_recurrent)
        for t in range(steps):
            us.append(u)  # u_{t-1}
            u = np.tanh(bu + v[t] @ Wvu + u @ Wuu)
        u_prev = np.array(us)
        u_all = np.array(us[1:] + [u])  # u_t
        bv_t = bv + u_prev @ Wuv
        bh_t = bh + u_prev @ Wuh
        out['bv_t'].append(bv_t)
        out['bh_t'].append(bh_t)
        vs = chain[-1]
        out['costs'].append((free_energy(v, W, bv_t, bh_t) - free_energy(vs, W, bv_t, bh_t))
                            / steps)
        out['monitors'].append((xlogy0(v, mean_v) + xlogy0(1 - v, 1 - mean_v)).sum() / steps)
        hv, hs = sigmoid(v @ W + bh_t), sigmoid(vs @ W + bh_t)
        gW = (vs.T @ hs - v.T @ hv) / steps
        dbv_t = (vs - v) / steps
        dbh_t = (hs - hv) / steps
        gWuv, gWuh = u_prev.T @ dbv_t, u_prev.T @ dbh_t
        gWvu, gWuu, gbu = np.zeros_like(Wvu), np.zeros_like(Wuu), np.zeros_like(bu)
        du = np.zeros(n_recurrent)  # d cost / d u_t, from later frames
        for t in range(steps - 1, -1, -1):
            da = du * (1 - u_all[t] ** 2)
            gbu += da
            gWvu += np.outer(v[t], da)
            gWuu += np.outer(u_prev[t], da)
            du = dbv_t[t] @ Wuv.T + dbh_t[t] @ Wuh.T + da @ Wuu.T  # onto u_{t-1}
        grads = [gW, dbv_t.sum(axis=0), dbh_t.sum(axis=0), gWuh, gWuv, gWvu, gWuu, gbu]
        params = [W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu]
        W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu = [p - learning_rate * g
                                             for p, g in zip(params, grads)]
    out['params'] = [W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu]
    return out
