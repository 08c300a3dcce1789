"""numpy stacked denoising autoencoders: layer-wise dA pretraining, then finetuning, as
sda.py does. The corrupted minibatches come from the tensordsl run (drawn there by
MRG_RandomStreams); everything else is recomputed here."""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import dae_step, sigmoid
from tests.tutorials.reference_logreg import softmax


def run(data_x, data_y, corrupted, batch_size, hidden, pretrain_epochs, pretrain_lr,
        finetune_epochs, finetune_lr, seed=89677, n_out=10):
    """{'pretrain': [[cost per step] per layer], 'finetune': [cost per step]}."""
    rng = np.random.RandomState(seed)
    rng.randint(2 ** 30)  # seeds the program's MRG stream
    sizes = [data_x.shape[1], *hidden]
    Ws, bs = [], []
    for n_in, n_h in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (n_in + n_h))
        Ws.append(rng.uniform(-bound, bound, size=(n_in, n_h)) * 4)  # sigmoid layers: x4
        bs.append(np.zeros(n_h))
    n_batches = len(data_x) // batch_size

    def forward(x, upto):
        for W, b in zip(Ws[:upto], bs[:upto]):
            x = sigmoid(x @ W + b)
        return x

    result = {'pretrain': [], 'finetune': []}
    for layer in range(len(hidden)):
        bv = np.zeros(sizes[layer])
        costs = []
        step = 0
        for _ in range(pretrain_epochs):
            for i in range(n_batches):
                x = forward(data_x[i * batch_size:(i + 1) * batch_size], layer)
                cost, Ws[layer], bs[layer], bv = dae_step(
                    x, corrupted[layer][step], Ws[layer], bs[layer], bv, pretrain_lr)
                costs.append(cost)
                step += 1
        result['pretrain'].append(costs)
    result['finetune'] = finetune(data_x, data_y, Ws, bs, batch_size, finetune_epochs,
                                  finetune_lr, n_out)
    return result


def finetune(data_x, data_y, Ws, bs, batch_size, n_epochs, learning_rate, n_out=10):
    """SGD on the NLL of a zero-initialised softmax layer over sigmoid layers (Ws, bs are
    updated in place); returns the cost of every minibatch step."""
    Wl, bl = np.zeros((Ws[-1].shape[1], n_out)), np.zeros(n_out)
    costs = []
    for _ in range(n_epochs):
        for i in range(len(data_x) // batch_size):
            x = data_x[i * batch_size:(i + 1) * batch_size]
            y = data_y[i * batch_size:(i + 1) * batch_size]
            acts = [x]
            for W, b in zip(Ws, bs):
                acts.append(sigmoid(acts[-1] @ W + b))
            p = softmax(acts[-1] @ Wl + bl)
            rows = np.arange(batch_size)
            costs.append(-np.mean(np.log(p[rows, y])))
            d = p.copy()
            d[rows, y] -= 1.0
            d /= batch_size
            gWl, gbl = acts[-1].T @ d, d.sum(axis=0)
            dh = d @ Wl.T
            for k in range(len(Ws) - 1, -1, -1):
                dpre = dh * acts[k + 1] * (1 - acts[k + 1])
                dh = dpre @ Ws[k].T
                Ws[k] = Ws[k] - learning_rate * (acts[k].T @ dpre)
                bs[k] = bs[k] - learning_rate * dpre.sum(axis=0)
            Wl, bl = Wl - learning_rate * gWl, bl - learning_rate * gbl
    return costs
