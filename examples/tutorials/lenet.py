"""LeNet convolutional network (two conv + max-pool layers, tanh MLP head, softmax), small.

As in Theano's LeNet tutorial (LeNetConvPoolLayer, HiddenLayer, LogisticRegression) with
fewer filters: 12x12 synthetic 'digits' (120 samples, batch 20, 2 epochs), a 5x5 conv
with 4 filters and 2x2 pooling (-> 4 x 4x4), a 3x3 conv with 6 filters and 2x2 pooling
(-> 6 x 1x1), 20 tanh units and 10 classes. Weights from `RandomState(23455)` in the
tutorial's order and bounds. Prints each epoch's mean cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from theano.tensor.nnet import conv2d
from theano.tensor.signal import pool
from tutorial_data import make_digits
from mlp import HiddenLayer, LogisticRegression

N, BATCH, EPOCHS, SIDE, LEARNING_RATE = 120, 20, 2, 12, 0.1
NKERNS, N_HIDDEN = (4, 6), 20


class LeNetConvPoolLayer:
    """Pool layer of a convolutional network."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        assert image_shape[1] == filter_shape[1]
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = (filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize))
        W_bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                          dtype=theano.config.floatX), borrow=True)
        self.b = theano.shared(numpy.zeros((filter_shape[0],), dtype=theano.config.floatX),
                               borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                          input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle('x', 0, 'x', 'x'))
        self.params = [self.W, self.b]


def run(n=N, batch_size=BATCH, n_epochs=EPOCHS, nkerns=NKERNS):
    """Train; returns the cost of every minibatch step, in order."""
    data_x, data_y = make_digits(n, side=SIDE)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    train_set_y = theano.shared(data_y, borrow=True)
    rng = numpy.random.RandomState(23455)
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    layer0_input = x.reshape((batch_size, 1, SIDE, SIDE))
    layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, SIDE, SIDE),
                                filter_shape=(nkerns[0], 1, 5, 5), poolsize=(2, 2))
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output,
                                image_shape=(batch_size, nkerns[0], 4, 4),
                                filter_shape=(nkerns[1], nkerns[0], 3, 3), poolsize=(2, 2))
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=nkerns[1], n_out=N_HIDDEN,
                         activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=N_HIDDEN, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(param_i, param_i - LEARNING_RATE * grad_i)
               for param_i, grad_i in zip(params, grads)]
    train_model = theano.function(
        [index], cost, updates=updates,
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
