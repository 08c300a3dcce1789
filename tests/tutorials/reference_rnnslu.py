"""numpy Elman RNN slot filler trained sentence by sentence as rnnslu.py does (BPTT by hand,
embedding rows renormalised after each update)."""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import sigmoid
from tests.tutorials.reference_logreg import softmax


def run(sentences, contextwin, n_epochs, nh, nc, ne, de, cs, learning_rate):
    """{'costs': cost per sentence step, 'predictions': labels per sentence at the end}."""
    rng = np.random.RandomState(3435)
    emb = 0.2 * rng.uniform(-1.0, 1.0, (ne + 1, de))
    wx = 0.2 * rng.uniform(-1.0, 1.0, (de * cs, nh))
    wh = 0.2 * rng.uniform(-1.0, 1.0, (nh, nh))
    w = 0.2 * rng.uniform(-1.0, 1.0, (nh, nc))
    bh, b, h0 = np.zeros(nh), np.zeros(nc), np.zeros(nh)

    def forward(idxs):
        x = emb[idxs].reshape(len(idxs), de * cs)
        hs, ss = [], []
        h = h0
        for t in range(len(x)):
            h = sigmoid(x[t] @ wx + h @ wh + bh)
            hs.append(h)
            ss.append(softmax((h @ w + b)[None, :])[0])
        return x, np.array(hs), np.array(ss)

    costs = []
    for _ in range(n_epochs):
        for words, labels in sentences:
            idxs = np.asarray(contextwin(words, cs), dtype='int32')
            x, hs, ss = forward(idxs)
            n = len(x)
            rows = np.arange(n)
            costs.append(-np.mean(np.log(ss[rows, labels])))
            do = ss.copy()
            do[rows, labels] -= 1.0
            do /= n
            gw, gb = hs.T @ do, do.sum(axis=0)
            gwx, gwh, gbh = np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(bh)
            dx = np.zeros_like(x)
            dnext = np.zeros(nh)  # gradient reaching h_t from step t + 1
            for t in range(n - 1, -1, -1):
                dh = do[t] @ w.T + dnext
                dpre = dh * hs[t] * (1 - hs[t])
                h_prev = hs[t - 1] if t > 0 else h0
                gwx += np.outer(x[t], dpre)
                gwh += np.outer(h_prev, dpre)
                gbh += dpre
                dx[t] = dpre @ wx.T
                dnext = dpre @ wh.T
            gemb = np.zeros_like(emb)
            np.add.at(gemb, idxs.ravel(), dx.reshape(n * cs, de))
            emb, wx, wh, w = (emb - learning_rate * gemb, wx - learning_rate * gwx,
                              wh - learning_rate * gwh, w - learning_rate * gw)
            bh, b, h0 = bh - learning_rate * gbh, b - learning_rate * gb, h0 - learning_rate * dnext
            emb = emb / np.sqrt((emb ** 2).sum(axis=1))[:, None]
    predictions = [forward(np.asarray(contextwin(words, cs), dtype='int32'))[2].argmax(axis=1)
                   for words, _ in sentences]
    return {'costs': costs, 'predictions': predictions}
