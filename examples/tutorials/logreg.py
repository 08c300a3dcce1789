"""Logistic regression trained by minibatch SGD, as in Theano's deep-learning tutorial.

Synthetic 12x12 'digits' (tutorial_data), 300 samples, batch 50, 3 epochs. The model,
cost and updates are the tutorial's: zero-initialised W and b, negative log-likelihood of
a softmax, `givens` slicing shared data by minibatch index. Prints each epoch's mean cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from tutorial_data import make_digits

N, BATCH, EPOCHS, LEARNING_RATE = 300, 50, 3, 0.13


class LogisticRegression:
    """Multi-class logistic regression: p(y|x) = softmax(x W + b)."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                               name='W', borrow=True)
        self.b = theano.shared(numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


def run(n=N, batch_size=BATCH, n_epochs=EPOCHS, learning_rate=LEARNING_RATE):
    """Train; returns the cost of every minibatch step, in order."""
    data_x, data_y = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    train_set_y = theano.shared(data_y, borrow=True)
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = LogisticRegression(input=x, n_in=data_x.shape[1], n_out=10)
    cost = classifier.negative_log_likelihood(y)
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
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
