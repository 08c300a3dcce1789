"""Denoising autoencoder (tied weights, sigmoid units, cross-entropy), as in Theano's dA tutorial.

The input is corrupted by zeroing each pixel with probability `corruption_level`, the
mask drawn by `MRG_RandomStreams.binomial` inside the compiled training function. 12x12
synthetic 'digits' (200 samples, batch 20, 3 epochs), 40 hidden units, 30% corruption.
`RandomState(123)` seeds the MRG stream (`randint(2**30)`) and then draws W, in the
tutorial's order. Prints each epoch's mean cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from tutorial_data import make_digits

N, BATCH, EPOCHS, N_HIDDEN, CORRUPTION, LEARNING_RATE = 200, 20, 3, 40, 0.3, 0.1


class dA:
    """Denoising autoencoder: corrupt, encode, decode with the transposed weights."""

    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=144, n_hidden=40,
                 W=None, bhid=None, bvis=None):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        # Theano's tutorial writes `if not W:`; see docs/tutorials.md, Gaps found
        if W is None:
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  size=(n_visible, n_hidden)),
                dtype=theano.config.floatX)
            W = theano.shared(value=initial_W, name='W', borrow=True)
        if bvis is None:
            bvis = theano.shared(numpy.zeros(n_visible, dtype=theano.config.floatX),
                                 borrow=True)
        if bhid is None:
            bhid = theano.shared(numpy.zeros(n_hidden, dtype=theano.config.floatX),
                                 name='b', borrow=True)
        self.W = W
        self.b = bhid
        self.b_prime = bvis
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        self.x = T.dmatrix(name='input') if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                        dtype=theano.config.floatX) * input

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam)
                   for param, gparam in zip(self.params, gparams)]
        self.tilde_x = tilde_x
        return (cost, updates)


def run(n=N, batch_size=BATCH, n_epochs=EPOCHS, seed=123, record_inputs=False):
    """Train; returns the cost of every minibatch step (and, with `record_inputs`, the
    corrupted minibatch each step trained on, for the numpy reference)."""
    data_x, _ = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    index = T.lscalar()
    x = T.matrix('x')
    rng = numpy.random.RandomState(seed)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=data_x.shape[1],
            n_hidden=N_HIDDEN)
    cost, updates = da.get_cost_updates(corruption_level=CORRUPTION,
                                        learning_rate=LEARNING_RATE)
    outputs = [cost, da.tilde_x] if record_inputs else cost
    train_da = theano.function(
        [index], outputs, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]})
    costs, corrupted = [], []
    for _epoch in range(n_epochs):
        for batch_index in range(n // batch_size):
            out = train_da(batch_index)
            if record_inputs:
                costs.append(float(out[0]))
                corrupted.append(numpy.array(out[1]))
            else:
                costs.append(float(out))
    return (costs, corrupted) if record_inputs else costs


def main():
    costs = run()
    per_epoch = len(costs) // EPOCHS
    for epoch in range(EPOCHS):
        chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
        print(f'Training epoch {epoch}, cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
