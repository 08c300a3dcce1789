"""The Theano deep-learning tutorial's LeNet, written as for Theano 1.0, on tiny data.

The layer classes follow the tutorial (LeNetConvPoolLayer, HiddenLayer,
LogisticRegression); only the imports name tensordsl. Sizes are small so that the
example runs in a second: 6 images of 10x10, two conv+pool layers (2 and 3 filters of
3x3), a tanh layer of 5 units and 3 classes. Prints the cost of each SGD step.
"""

import numpy

import tensordsl as theano
import tensordsl.tensor as T
from tensordsl.tensor.nnet import conv2d
from tensordsl.tensor.signal import pool

BATCH, SIDE, CLASSES, STEPS, LEARNING_RATE = 6, 10, 3, 3, 0.1


class LeNetConvPoolLayer:
    """Pool layer of a convolutional network."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        assert image_shape[1] == filter_shape[1]
        self.input = input
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = (filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize))
        W_bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                          dtype=theano.config.floatX),
            borrow=True)
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                          input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle('x', 0, 'x', 'x'))
        self.params = [self.W, self.b]


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out, activation=T.tanh):
        self.input = input
        W_values = numpy.asarray(
            rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                        high=numpy.sqrt(6. / (n_in + n_out)), size=(n_in, n_out)),
            dtype=theano.config.floatX)
        self.W = theano.shared(value=W_values, name='W', borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.output = activation(T.dot(input, self.W) + self.b)
        self.params = [self.W, self.b]


class LogisticRegression:
    def __init__(self, rng, input, n_in, n_out):
        # the tutorial starts from zeros; small random weights make every layer learn
        # from the first step, which the test of this example checks
        self.W = theano.shared(
            numpy.asarray(rng.uniform(-0.5, 0.5, (n_in, n_out)), dtype=theano.config.floatX),
            name='W', borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])


def make_data(rng):
    """Images and integer labels."""
    data_x = numpy.asarray(rng.normal(size=(BATCH, 1, SIDE, SIDE)), dtype=theano.config.floatX)
    data_y = rng.randint(0, CLASSES, size=BATCH).astype('int32')
    return data_x, data_y


def build(rng):
    """The network on symbolic x (4-d images) and y (labels), its cost and parameters."""
    x = T.tensor4('x')
    y = T.ivector('y')
    layer0 = LeNetConvPoolLayer(rng, input=x, image_shape=(BATCH, 1, SIDE, SIDE),
                                filter_shape=(2, 1, 3, 3), poolsize=(2, 2))
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output, image_shape=(BATCH, 2, 4, 4),
                                filter_shape=(3, 2, 3, 3), poolsize=(2, 2))
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=3, n_out=5,
                         activation=T.tanh)
    layer3 = LogisticRegression(rng, input=layer2.output, n_in=5, n_out=CLASSES)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    return x, y, cost, params


def main():
    rng = numpy.random.RandomState(23455)
    data_x, data_y = make_data(rng)
    x, y, cost, params = build(rng)
    grads = T.grad(cost, params)
    updates = [(param_i, param_i - LEARNING_RATE * grad_i)
               for param_i, grad_i in zip(params, grads)]
    train_model = theano.function([x, y], cost, updates=updates)
    for step in range(STEPS):
        print(f'cost_{step} = {float(train_model(data_x, data_y))!r}')
    final = numpy.array2string(params[-2].get_value().ravel(), precision=12, separator=' ')
    print(f'final_W0 = {final}')


if __name__ == '__main__':
    main()
