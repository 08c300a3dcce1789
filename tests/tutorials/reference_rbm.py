"""numpy RBM trained with CD-k / PCD-k, replaying the Gibbs chain rbm.py drew.

The binomial samples come from the tensordsl run (MRG_RandomStreams inside scan); given
them, everything else is deterministic and recomputed here: the means each sample was
drawn from, the monitoring cost, and the free-energy gradient updates.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import dae_init, sigmoid


def free_energy(v, W, hb, vb):
    return -np.sum(np.log(1 + np.exp(v @ W + hb)), axis=1) - v @ vb


def replay(inputs, chain, persistent, W, hb, vb, learning_rate):
    """Replay CD/PCD steps: inputs[step] is the minibatch, chain[step] the recorded
    (start, visible samples, hidden samples, ...). Returns {'costs', 'nv_means',
    'nh_means', 'params'}."""
    n_visible = W.shape[0]
    out = {'costs': [], 'nv_means': [], 'nh_means': []}
    for step, (x, (start, nv_samples, nh_samples, _, _)) in enumerate(zip(inputs, chain)):
        batch_size = len(x)
        hidden_in = [start, *nh_samples[:-1]]
        pre_v = [h @ W.T + vb for h in hidden_in]
        out['nv_means'].append(np.array([sigmoid(p) for p in pre_v]))
        out['nh_means'].append(np.array([sigmoid(v @ W + hb) for v in nv_samples]))
        if persistent:
            xi = np.round(x)
            bit = step % n_visible
            flip = xi.copy()
            flip[:, bit] = 1 - xi[:, bit]
            fe_diff = free_energy(flip, W, hb, vb) - free_energy(xi, W, hb, vb)
            out['costs'].append(np.mean(n_visible * np.log(sigmoid(fe_diff))))
        else:
            z = sigmoid(pre_v[-1])
            out['costs'].append(np.mean(np.sum(x * np.log(z) + (1 - x) * np.log(1 - z),
                                               axis=1)))
        end = nv_samples[-1]
        h0, hk = sigmoid(x @ W + hb), sigmoid(end @ W + hb)
        gW = (end.T @ hk - x.T @ h0) / batch_size
        ghb = hk.mean(axis=0) - h0.mean(axis=0)
        gvb = end.mean(axis=0) - x.mean(axis=0)
        W, hb, vb = W - learning_rate * gW, hb - learning_rate * ghb, vb - learning_rate * gvb
    out['params'] = [W, hb, vb]
    return out


def run(data_x, chain, persistent, batch_size, n_hidden, learning_rate, seed=123):
    """rbm.py's training replayed: its initial weights, its minibatches, the recorded chain."""
    rng = np.random.RandomState(seed)
    rng.randint(2 ** 30)  # seeds the program's MRG stream
    W, hb, vb = dae_init(rng, data_x.shape[1], n_hidden)
    n_batches = len(data_x) // batch_size
    inputs = [data_x[(s % n_batches) * batch_size:(s % n_batches + 1) * batch_size]
              for s in range(len(chain))]
    return replay(inputs, chain, persistent, W, hb, vb, learning_rate)
