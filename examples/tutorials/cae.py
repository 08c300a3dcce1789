"""Contractive autoencoder, as in Theano's cA tutorial.

Cost: mean cross-entropy reconstruction + contraction_level * mean squared Frobenius norm
of the encoder's Jacobian, the Jacobian built per sample as the tutorial does
(reshape(h * (1 - h), (batch, 1, n_hidden)) * reshape(W, (1, n_visible, n_hidden))).
The tutorial divides the Jacobian penalty with `//` (floor division, whose gradient is
zero); this program divides with `/` so the penalty trains. 12x12 synthetic 'digits'
(200 samples, batch 20, 3 epochs), 30 hidden units, contraction 0.1.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from tutorial_data import make_digits

N, BATCH, EPOCHS, N_HIDDEN, CONTRACTION, LEARNING_RATE = 200, 20, 3, 30, 0.1, 0.05


class cA:
    """Contractive autoencoder with tied weights."""

    def __init__(self, numpy_rng, input=None, n_visible=144, n_hidden=30, n_batchsize=1):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.n_batchsize = n_batchsize
        initial_W = numpy.asarray(
            numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                              high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                              size=(n_visible, n_hidden)),
            dtype=theano.config.floatX)
        self.W = theano.shared(value=initial_W, name='W', borrow=True)
        self.b = theano.shared(numpy.zeros(n_hidden, dtype=theano.config.floatX), name='b',
                               borrow=True)
        self.b_prime = theano.shared(numpy.zeros(n_visible, dtype=theano.config.floatX),
                                     name='bvis', borrow=True)
        self.W_prime = self.W.T
        self.x = T.dmatrix(name='input') if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_jacobian(self, hidden, W):
        return (T.reshape(hidden * (1 - hidden), (self.n_batchsize, 1, self.n_hidden))
                * T.reshape(W, (1, self.n_visible, self.n_hidden)))

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, contraction_level, learning_rate):
        y = self.get_hidden_values(self.x)
        z = self.get_reconstructed_input(y)
        J = self.get_jacobian(y, self.W)
        self.L_rec = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        self.L_jacob = T.sum(J ** 2) / self.n_batchsize
        cost = T.mean(self.L_rec) + contraction_level * T.mean(self.L_jacob)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam)
                   for param, gparam in zip(self.params, gparams)]
        return (cost, updates)


def run(n=N, batch_size=BATCH, n_epochs=EPOCHS):
    """Train; returns [(reconstruction cost, jacobian penalty)] of every minibatch step."""
    data_x, _ = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    index = T.lscalar()
    x = T.matrix('x')
    rng = numpy.random.RandomState(123)
    ca = cA(numpy_rng=rng, input=x, n_visible=data_x.shape[1], n_hidden=N_HIDDEN,
            n_batchsize=batch_size)
    cost, updates = ca.get_cost_updates(contraction_level=CONTRACTION,
                                        learning_rate=LEARNING_RATE)
    train_ca = theano.function(
        [index], [T.mean(ca.L_rec), ca.L_jacob], updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]})
    costs = []
    for _epoch in range(n_epochs):
        for batch_index in range(n // batch_size):
            rec, jac = train_ca(batch_index)
            costs.append((float(rec), float(jac)))
    return costs


def main():
    costs = numpy.array(run())
    per_epoch = len(costs) // EPOCHS
    for epoch in range(EPOCHS):
        rec, jac = costs[epoch * per_epoch:(epoch + 1) * per_epoch].mean(axis=0)
        print(f'Training epoch {epoch}, reconstruction cost = {float(rec)!r}, '
              f'jacobian norm = {float(numpy.sqrt(jac))!r}')


if __name__ == '__main__':
    main()
