"""LSTM sentiment classifier (scan over masked, padded sequences), as in Theano's LSTM tutorial.

Synthetic 'IMDB': 40 sentences of 3-8 word indices from a 30-word vocabulary; a sentence
is positive when it holds more words from the first third of the vocabulary than from
the second. The model is the tutorial's: embeddings, an LSTM layer whose four gates
share one weight matrix (orthogonal initialisation), `scan` over time with the mask
freezing states past each sentence's end, mean pooling over the mask, softmax; trained
by the tutorial's adadelta (`f_grad_shared` + `f_update`), dropout off
(`use_dropout=False`). Batch 8, shuffled each epoch, 3 epochs, 6-dim projections.
Prints each epoch's mean cost.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy

import tensordsl as theano
from theano import tensor

N_WORDS, DIM, YDIM, N_SENTENCES, BATCH, EPOCHS, SEED = 30, 6, 2, 40, 8, 3, 123


def make_sentences(n=N_SENTENCES, seed=SEED):
    """([word index lists], [labels]) of the synthetic sentiment task."""
    rng = numpy.random.RandomState(seed + 1)
    seqs, labels = [], []
    for _ in range(n):
        s = rng.randint(0, N_WORDS, size=rng.randint(3, 9))
        seqs.append([int(w) for w in s])
        labels.append(int((s < N_WORDS // 3).sum() > ((s >= N_WORDS // 3)
                                                      & (s < 2 * N_WORDS // 3)).sum()))
    return seqs, labels


def make_batches(n=N_SENTENCES, batch_size=BATCH, n_epochs=EPOCHS, seed=SEED):
    """Per epoch, shuffled minibatch index lists (the tutorial's get_minibatches_idx)."""
    rng = numpy.random.RandomState(seed + 2)
    epochs = []
    for _ in range(n_epochs):
        idx = numpy.arange(n)
        rng.shuffle(idx)
        epochs.append([idx[i:i + batch_size] for i in range(0, n, batch_size)])
    return epochs


def prepare_data(seqs, labels):
    """Pad to the longest sequence: x (maxlen, n_samples) int64 and its float mask."""
    lengths = [len(s) for s in seqs]
    maxlen = numpy.max(lengths)
    x = numpy.zeros((maxlen, len(seqs))).astype('int64')
    x_mask = numpy.zeros((maxlen, len(seqs))).astype(theano.config.floatX)
    for idx, s in enumerate(seqs):
        x[:lengths[idx], idx] = s
        x_mask[:lengths[idx], idx] = 1.
    return x, x_mask, labels


def ortho_weight(ndim, rng):
    W = rng.randn(ndim, ndim)
    u, s, v = numpy.linalg.svd(W)
    return u.astype(theano.config.floatX)


def init_params(rng):
    """The tutorial's parameter initialisation, in its order."""
    params = OrderedDict()
    params['Wemb'] = (0.01 * rng.rand(N_WORDS, DIM)).astype(theano.config.floatX)
    params['lstm_W'] = numpy.concatenate([ortho_weight(DIM, rng) for _ in range(4)], axis=1)
    params['lstm_U'] = numpy.concatenate([ortho_weight(DIM, rng) for _ in range(4)], axis=1)
    params['lstm_b'] = numpy.zeros((4 * DIM,)).astype(theano.config.floatX)
    params['U'] = 0.01 * rng.randn(DIM, YDIM).astype(theano.config.floatX)
    params['b'] = numpy.zeros((YDIM,)).astype(theano.config.floatX)
    return params


def init_tparams(params):
    return OrderedDict((kk, theano.shared(pp, name=kk)) for kk, pp in params.items())


def _slice(_x, n, dim):
    if _x.ndim == 3:
        return _x[:, :, n * dim:(n + 1) * dim]
    return _x[:, n * dim:(n + 1) * dim]


def lstm_layer(tparams, state_below, mask):
    nsteps = state_below.shape[0]
    n_samples = state_below.shape[1]
    dim_proj = DIM

    def _step(m_, x_, h_, c_):
        preact = tensor.dot(h_, tparams['lstm_U'])
        preact += x_
        i = tensor.nnet.sigmoid(_slice(preact, 0, dim_proj))
        f = tensor.nnet.sigmoid(_slice(preact, 1, dim_proj))
        o = tensor.nnet.sigmoid(_slice(preact, 2, dim_proj))
        c = tensor.tanh(_slice(preact, 3, dim_proj))
        c = f * c_ + i * c
        c = m_[:, None] * c + (1. - m_)[:, None] * c_
        h = o * tensor.tanh(c)
        h = m_[:, None] * h + (1. - m_)[:, None] * h_
        return h, c

    # the tutorial writes tensor.dot(state_below, lstm_W) on the 3-d input; tensordsl has
    # no gradient for a 3-d dot operand (docs/tutorials.md, Gaps found), so fold time into
    # the batch for the product
    state_below = tensor.dot(state_below.reshape((nsteps * n_samples, dim_proj)),
                             tparams['lstm_W']).reshape((nsteps, n_samples, 4 * dim_proj))
    state_below = state_below + tparams['lstm_b']
    rval, updates = theano.scan(
        _step, sequences=[mask, state_below],
        outputs_info=[tensor.alloc(numpy.asarray(0., dtype=theano.config.floatX),
                                   n_samples, dim_proj),
                      tensor.alloc(numpy.asarray(0., dtype=theano.config.floatX),
                                   n_samples, dim_proj)],
        name='lstm_layers', n_steps=nsteps)
    return rval[0]


def build_model(tparams):
    x = tensor.matrix('x', dtype='int64')
    mask = tensor.matrix('mask', dtype=theano.config.floatX)
    y = tensor.vector('y', dtype='int64')
    n_timesteps = x.shape[0]
    n_samples = x.shape[1]
    emb = tparams['Wemb'][x.flatten()].reshape([n_timesteps, n_samples, DIM])
    proj = lstm_layer(tparams, emb, mask=mask)
    proj = (proj * mask[:, :, None]).sum(axis=0)
    proj = proj / mask.sum(axis=0)[:, None]
    pred = tensor.nnet.softmax(tensor.dot(proj, tparams['U']) + tparams['b'])
    f_pred = theano.function([x, mask], pred.argmax(axis=1), name='f_pred')
    off = 1e-8
    cost = -tensor.log(pred[tensor.arange(n_samples), y] + off).mean()
    return x, mask, y, f_pred, cost


def adadelta(lr, tparams, grads, x, mask, y, cost):
    zipped_grads = [theano.shared(p.get_value() * numpy.asarray(0., dtype=theano.config.floatX),
                                  name=f'{k}_grad') for k, p in tparams.items()]
    running_up2 = [theano.shared(p.get_value() * numpy.asarray(0., dtype=theano.config.floatX),
                                 name=f'{k}_rup2') for k, p in tparams.items()]
    running_grads2 = [theano.shared(p.get_value() * numpy.asarray(0., dtype=theano.config.floatX),
                                    name=f'{k}_rgrad2') for k, p in tparams.items()]
    zgup = [(zg, g) for zg, g in zip(zipped_grads, grads)]
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2)) for rg2, g in zip(running_grads2, grads)]
    f_grad_shared = theano.function([x, mask, y], cost, updates=zgup + rg2up,
                                    name='adadelta_f_grad_shared')
    updir = [-tensor.sqrt(ru2 + 1e-6) / tensor.sqrt(rg2 + 1e-6) * zg
             for zg, ru2, rg2 in zip(zipped_grads, running_up2, running_grads2)]
    ru2up = [(ru2, 0.95 * ru2 + 0.05 * (ud ** 2)) for ud, ru2 in zip(updir, running_up2)]
    param_up = [(p, p + ud) for p, ud in zip(tparams.values(), updir)]
    f_update = theano.function([lr], [], updates=ru2up + param_up,
                               on_unused_input='ignore', name='adadelta_f_update')
    f_grad_shared.zipped_grads = zipped_grads  # so run() can report a step's gradients
    return f_grad_shared, f_update


def run():
    """Train; returns {'costs': cost per minibatch step, 'first_grads': the gradients of
    the first step, 'params': the final parameters, 'predictions': labels predicted for
    every sentence after training}."""
    rng = numpy.random.RandomState(SEED)
    tparams = init_tparams(init_params(rng))
    x, mask, y, f_pred, cost = build_model(tparams)
    grads = tensor.grad(cost, wrt=list(tparams.values()))
    lr = tensor.scalar(name='lr')
    f_grad_shared, f_update = adadelta(lr, tparams, grads, x, mask, y, cost)
    seqs, labels = make_sentences()
    costs = []
    for epoch in make_batches():
        for train_index in epoch:
            bx, bmask, by = prepare_data([seqs[t] for t in train_index],
                                         numpy.array([labels[t] for t in train_index]))
            costs.append(float(f_grad_shared(bx, bmask, by)))
            if len(costs) == 1:
                first_grads = {k: zg.get_value() for k, zg in
                               zip(tparams, f_grad_shared.zipped_grads)}
            f_update(0.0001)
    bx, bmask, _ = prepare_data(seqs, labels)
    return {'costs': costs, 'first_grads': first_grads,
            'params': {k: p.get_value() for k, p in tparams.items()},
            'predictions': numpy.array(f_pred(bx, bmask))}


def main():
    costs = run()['costs']
    per_epoch = len(costs) // EPOCHS
    for epoch in range(EPOCHS):
        chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
        print(f'Epoch {epoch}, mean cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
