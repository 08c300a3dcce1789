"""Multilayer perceptron (one tanh hidden layer + softmax), as in Theano's tutorial.

Synthetic 12x12 'digits', 300 samples, batch 20, 30 hidden units, 3 epochs, L1 and L2
penalties in the cost. The hidden weights come from `numpy.random.RandomState(1234)` with
the tutorial's uniform +-sqrt(6 / (n_in + n_out)) bound; the softmax layer starts at zero.
Prints each epoch's mean cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from tutorial_data import make_digits

N, BATCH, EPOCHS, N_HIDDEN = 300, 20, 3, 30
LEARNING_RATE, L1_REG, L2_REG = 0.1, 0.0001, 0.0001


class LogisticRegression:
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                               name='W', borrow=True)
        self.b = theano.shared(numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
        if W is None:
            W_values = numpy.asarray(
                rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                            high=numpy.sqrt(6. / (n_in + n_out)), size=(n_in, n_out)),
                dtype=theano.config.floatX)
            if activation == T.nnet.sigmoid:
                W_values *= 4
            W = theano.shared(value=W_values, name='W', borrow=True)
        if b is None:
            b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                              name='b', borrow=True)
        self.W, self.b = W, b
        lin_output = T.dot(input, self.W) + self.b
        self.output = lin_output if activation is None else activation(lin_output)
        self.params = [self.W, self.b]


class MLP:
    def __init__(self, rng, input, n_in, n_hidden, n_out):
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden,
                                       activation=T.tanh)
        self.logRegressionLayer = LogisticRegression(input=self.hiddenLayer.output,
                                                     n_in=n_hidden, n_out=n_out)
        self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.logRegressionLayer.W).sum()
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
        self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
        self.params = self.hiddenLayer.params + self.logRegressionLayer.params


def run(n=N, batch_size=BATCH, n_epochs=EPOCHS, n_hidden=N_HIDDEN):
    """Train; returns the cost of every minibatch step, in order."""
    data_x, data_y = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    train_set_y = theano.shared(data_y, borrow=True)
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    rng = numpy.random.RandomState(1234)
    classifier = MLP(rng=rng, input=x, n_in=data_x.shape[1], n_hidden=n_hidden, n_out=10)
    cost = (classifier.negative_log_likelihood(y) + L1_REG * classifier.L1
            + L2_REG * classifier.L2_sqr)
    gparams = [T.grad(cost, param) for param in classifier.params]
    updates = [(param, param - LEARNING_RATE * gparam)
               for param, gparam in zip(classifier.params, gparams)]
    train_model = theano.function(
        inputs=[index], outputs=cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    costs = []
    for _epoch in range(n_epochs):
        for minibatch_index in range(n // batch_size):
            costs.append(float(train_model(minibatch_index)))
    return costs


def main():
    costs = run()
    per_epoch = len(costs) // EPOCHS
    for epoch in range(EPOCHS):
        chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
        print(f'epoch {epoch}, mean cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
