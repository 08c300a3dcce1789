"""numpy DBN: layer-wise CD-k pretraining replayed on the Gibbs samples dbn.py drew, then
finetuning, as dbn.py does."""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_dae import sigmoid
from tests.tutorials.reference_rbm import replay
from tests.tutorials.reference_sda import finetune


def run(data_x, data_y, chains, batch_size, hidden, pretrain_epochs, pretrain_lr,
        finetune_epochs, finetune_lr, seed=123):
    """{'pretrain': [replay result per layer], 'inputs': [[layer input per step] per layer],
    'finetune': [cost per step]}."""
    rng = np.random.RandomState(seed)
    rng.randint(2 ** 30)  # seeds the program's MRG stream
    sizes = [data_x.shape[1], *hidden]
    Ws, bs = [], []
    for n_in, n_h in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (n_in + n_h))
        Ws.append(rng.uniform(-bound, bound, size=(n_in, n_h)) * 4)
        bs.append(np.zeros(n_h))
    n_batches = len(data_x) // batch_size
    result = {'pretrain': [], 'inputs': []}
    for layer in range(len(hidden)):
        inputs = []
        for step in range(pretrain_epochs * n_batches):
            i = step % n_batches
            x = data_x[i * batch_size:(i + 1) * batch_size]
            for W, b in zip(Ws[:layer], bs[:layer]):
                x = sigmoid(x @ W + b)  # mean field of the layers below
            inputs.append(x)
        chain = [c[1:] for c in chains[layer]]
        done = replay(inputs, chain, False, Ws[layer], bs[layer], np.zeros(sizes[layer]),
                      pretrain_lr)
        Ws[layer], bs[layer] = done['params'][0], done['params'][1]
        result['pretrain'].append(done)
        result['inputs'].append(inputs)
    result['finetune'] = finetune(data_x, data_y, Ws, bs, batch_size, finetune_epochs,
                                  finetune_lr)
    return result
