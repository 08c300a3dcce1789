"""RNN-RBM for polyphonic 'music' (Boulanger-Lewandowski et al.), as in Theano's tutorial.

An RBM whose biases at each time step come from an RNN over the previous frames; trained
with CD-k, the Gibbs chain vectorised over all time steps of a slice (`scan` with
`shared_randomstreams.RandomStreams` binomials), gradients with
`consider_constant=[v_sample]`, the monitoring cost built with `T.xlogx.xlogy0`.
Generation runs a scan whose step itself scans a Gibbs chain (a nested scan with random
updates). Synthetic piano rolls: 3 sequences of 24 frames over 12 'notes' (a note turns
on with a rising pattern plus noise), slices of 8 frames, 2 epochs; 10 hidden units, 6
recurrent units, CD-3 in training, 4 Gibbs steps per generated frame, 6 frames.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams

N_VISIBLE, N_HIDDEN, N_RECURRENT, K_TRAIN, K_GENERATE = 12, 10, 6, 3, 4
N_SEQUENCES, SEQ_LEN, SLICE, EPOCHS, LEARNING_RATE, GEN_STEPS = 3, 24, 8, 2, 0.05, 6
SEED = 42


def make_rolls(seed=SEED):
    """Binary piano rolls (frames, notes): a rising arpeggio with random extra notes."""
    rng = numpy.random.RandomState(seed + 1)
    rolls = []
    for _ in range(N_SEQUENCES):
        roll = (rng.uniform(size=(SEQ_LEN, N_VISIBLE)) < 0.1).astype(theano.config.floatX)
        start = rng.randint(N_VISIBLE)
        for t in range(SEQ_LEN):
            roll[t, (start + 2 * t) % N_VISIBLE] = 1.0
        rolls.append(roll)
    return rolls


def build_rbm(v, W, bv, bh, k, rng):
    """The RBM's CD-k graph: (v_sample, cost, monitor, updates, trace), where trace holds
    the chain and the monitor's visible means, for the numpy replay."""
    def gibbs_step(v):
        mean_h = T.nnet.sigmoid(T.dot(v, W) + bh)
        h = rng.binomial(size=mean_h.shape, n=1, p=mean_h, dtype=theano.config.floatX)
        mean_v = T.nnet.sigmoid(T.dot(h, W.T) + bv)
        v = rng.binomial(size=mean_v.shape, n=1, p=mean_v, dtype=theano.config.floatX)
        return mean_v, v

    chain, updates = theano.scan(lambda v: gibbs_step(v)[1], outputs_info=[v], n_steps=k)
    v_sample = chain[-1]
    mean_v = gibbs_step(v_sample)[0]
    monitor = T.xlogx.xlogy0(v, mean_v) + T.xlogx.xlogy0(1 - v, 1 - mean_v)
    monitor = monitor.sum() / v.shape[0]

    def free_energy(v):
        return -(v * bv).sum() - T.log(1 + T.exp(T.dot(v, W) + bh)).sum()

    cost = (free_energy(v) - free_energy(v_sample)) / v.shape[0]
    return v_sample, cost, monitor, updates, [chain, mean_v]


def shared_normal(rng, num_rows, num_cols, scale=1):
    return theano.shared(rng.normal(scale=scale, size=(num_rows, num_cols))
                         .astype(theano.config.floatX))


def shared_zeros(*shape):
    return theano.shared(numpy.zeros(shape, dtype=theano.config.floatX))


def build_rnnrbm(n_visible, n_hidden, n_hidden_recurrent, numpy_rng, rng):
    W = shared_normal(numpy_rng, n_visible, n_hidden, 0.01)
    bv = shared_zeros(n_visible)
    bh = shared_zeros(n_hidden)
    Wuh = shared_normal(numpy_rng, n_hidden_recurrent, n_hidden, 0.0001)
    Wuv = shared_normal(numpy_rng, n_hidden_recurrent, n_visible, 0.0001)
    Wvu = shared_normal(numpy_rng, n_visible, n_hidden_recurrent, 0.0001)
    Wuu = shared_normal(numpy_rng, n_hidden_recurrent, n_hidden_recurrent, 0.0001)
    bu = shared_zeros(n_hidden_recurrent)
    params = W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu
    v = T.matrix()
    u0 = T.zeros((n_hidden_recurrent,))

    def recurrence(v_t, u_tm1):
        bv_t = bv + T.dot(u_tm1, Wuv)
        bh_t = bh + T.dot(u_tm1, Wuh)
        generate = v_t is None
        if generate:
            v_t, _, _, updates, _ = build_rbm(T.zeros((n_visible,)), W, bv_t, bh_t,
                                              k=K_GENERATE, rng=rng)
        u_t = T.tanh(bu + T.dot(v_t, Wvu) + T.dot(u_tm1, Wuu))
        return ([v_t, u_t], updates) if generate else [u_t, bv_t, bh_t]

    (u_t, bv_t, bh_t), updates_train = theano.scan(
        lambda v_t, u_tm1, *_: recurrence(v_t, u_tm1), sequences=v,
        outputs_info=[u0, None, None], non_sequences=params)
    v_sample, cost, monitor, updates_rbm, trace = build_rbm(v, W, bv_t[:], bh_t[:],
                                                            k=K_TRAIN, rng=rng)
    updates_train.update(updates_rbm)
    (v_t, u_t), updates_generate = theano.scan(
        lambda u_tm1, *_: recurrence(None, u_tm1), outputs_info=[None, u0],
        non_sequences=params, n_steps=GEN_STEPS)
    return (v, v_sample, cost, monitor, params, updates_train, v_t, updates_generate,
            trace + [bv_t, bh_t])


class RnnRbm:
    """Simple class to train an RNN-RBM and generate sample sequences."""

    def __init__(self, seed=SEED, record=False):
        numpy_rng = numpy.random.RandomState(seed)
        self.rng = RandomStreams(seed=numpy_rng.randint(1 << 30))
        (v, v_sample, cost, monitor, params, updates_train, v_t, updates_generate,
         trace) = build_rnnrbm(N_VISIBLE, N_HIDDEN, N_RECURRENT, numpy_rng, self.rng)
        self.params = params
        gradient = T.grad(cost, params, consider_constant=[v_sample])
        updates_train.update(((p, p - LEARNING_RATE * g) for p, g in zip(params, gradient)))
        outputs = [monitor, cost, *trace] if record else monitor
        self.train_function = theano.function([v], outputs, updates=updates_train)
        self.generate_function = theano.function([], v_t, updates=updates_generate)

    def train(self, dataset, batch_size=SLICE, num_epochs=EPOCHS):
        """The tutorial's loop over sequences and slices; returns each step's output."""
        out = []
        for _epoch in range(num_epochs):
            for s in dataset:
                for i in range(0, len(s), batch_size):
                    out.append(self.train_function(s[i:i + batch_size]))
        return out


def run(seed=SEED, record=False):
    """Train then generate; returns {'monitors': monitor per step, 'generated': two
    generated sequences} (and 'trace': per step [monitor, cost, chain, mean_v, bv_t, bh_t],
    'params': final parameters, with `record`)."""
    model = RnnRbm(seed=seed, record=record)
    out = model.train(make_rolls())
    result = {'monitors': [float(o[0]) if record else float(o) for o in out],
              'generated': [numpy.array(model.generate_function()) for _ in range(2)]}
    if record:
        result['trace'] = [[numpy.array(a) for a in o] for o in out]
        result['params'] = [numpy.array(p.get_value()) for p in model.params]
    return result


def main():
    monitors = run()['monitors']
    per_epoch = len(monitors) // EPOCHS
    for epoch in range(EPOCHS):
        chunk = monitors[epoch * per_epoch:(epoch + 1) * per_epoch]
        print(f'Epoch {epoch}, monitor = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
