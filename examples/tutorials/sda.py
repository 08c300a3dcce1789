"""Stacked denoising autoencoders: greedy layer-wise pretraining, then supervised finetuning.

As in Theano's SdA tutorial: sigmoid HiddenLayers whose W and b are shared with a dA per
layer (corruption from one MRG_RandomStreams), a LogisticRegression on top. 12x12
synthetic 'digits' (200 samples, batch 20), layers 144 -> 30 -> 20 -> 10, 2 pretraining
epochs per layer (corruption 0.1, 0.2), 3 finetuning epochs. Prints each epoch's mean
cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from tutorial_data import make_digits
from dae import dA
from mlp import HiddenLayer, LogisticRegression

N, BATCH, HIDDEN = 200, 20, (30, 20)
PRETRAIN_EPOCHS, PRETRAIN_LR, CORRUPTION = 2, 0.1, (0.1, 0.2)
FINETUNE_EPOCHS, FINETUNE_LR = 3, 0.1


class SdA:
    """Stacked denoising autoencoder class."""

    def __init__(self, numpy_rng, theano_rng=None, n_ins=144, hidden_layers_sizes=(30, 20),
                 n_outs=10):
        self.sigmoid_layers = []
        self.dA_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        self.x = T.matrix('x')
        self.y = T.ivector('y')
        for i in range(self.n_layers):
            input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                        n_out=hidden_layers_sizes[i],
                                        activation=T.nnet.sigmoid)
            self.sigmoid_layers.append(sigmoid_layer)
            self.params.extend(sigmoid_layer.params)
            dA_layer = dA(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                          n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                          W=sigmoid_layer.W, bhid=sigmoid_layer.b)
            self.dA_layers.append(dA_layer)
        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output,
                                           n_in=hidden_layers_sizes[-1], n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)

    def pretraining_functions(self, train_set_x, batch_size, record_inputs=False):
        index = T.lscalar('index')
        corruption_level = T.scalar('corruption')
        learning_rate = T.scalar('lr')
        fns = []
        for dA_layer in self.dA_layers:
            cost, updates = dA_layer.get_cost_updates(corruption_level, learning_rate)
            outputs = [cost, dA_layer.tilde_x] if record_inputs else cost
            fns.append(theano.function(
                inputs=[index, theano.In(corruption_level, value=0.2),
                        theano.In(learning_rate, value=0.1)],
                outputs=outputs, updates=updates,
                givens={self.x: train_set_x[index * batch_size: (index + 1) * batch_size]}))
        return fns

    def build_finetune_function(self, train_set_x, train_set_y, batch_size, learning_rate):
        index = T.lscalar('index')
        gparams = T.grad(self.finetune_cost, self.params)
        updates = [(param, param - gparam * learning_rate)
                   for param, gparam in zip(self.params, gparams)]
        return theano.function(
            inputs=[index], outputs=self.finetune_cost, updates=updates,
            givens={self.x: train_set_x[index * batch_size: (index + 1) * batch_size],
                    self.y: train_set_y[index * batch_size: (index + 1) * batch_size]})


def run(n=N, batch_size=BATCH, seed=89677, record_inputs=False):
    """Pretrain then finetune; returns {'pretrain': [[cost per step] per layer],
    'finetune': [cost per step]} (and 'corrupted': [[input per step] per layer] with
    `record_inputs`, the corrupted minibatches each dA trained on)."""
    data_x, data_y = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    train_set_y = theano.shared(data_y, borrow=True)
    numpy_rng = numpy.random.RandomState(seed)
    sda = SdA(numpy_rng=numpy_rng, n_ins=data_x.shape[1], hidden_layers_sizes=HIDDEN,
              n_outs=10)
    n_batches = n // batch_size
    result = {'pretrain': [], 'finetune': [], 'corrupted': []}
    fns = sda.pretraining_functions(train_set_x, batch_size, record_inputs)
    for i, fn in enumerate(fns):
        costs, corrupted = [], []
        for _epoch in range(PRETRAIN_EPOCHS):
            for batch_index in range(n_batches):
                out = fn(batch_index, corruption=CORRUPTION[i], lr=PRETRAIN_LR)
                if record_inputs:
                    costs.append(float(out[0]))
                    corrupted.append(numpy.array(out[1]))
                else:
                    costs.append(float(out))
        result['pretrain'].append(costs)
        result['corrupted'].append(corrupted)
    train_fn = sda.build_finetune_function(train_set_x, train_set_y, batch_size, FINETUNE_LR)
    for _epoch in range(FINETUNE_EPOCHS):
        for batch_index in range(n_batches):
            result['finetune'].append(float(train_fn(batch_index)))
    if not record_inputs:
        del result['corrupted']
    return result


def main():
    result = run()
    for i, costs in enumerate(result['pretrain']):
        per_epoch = len(costs) // PRETRAIN_EPOCHS
        for epoch in range(PRETRAIN_EPOCHS):
            chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
            print(f'Pre-training layer {i}, epoch {epoch}, cost = {float(numpy.mean(chunk))!r}')
    costs = result['finetune']
    per_epoch = len(costs) // FINETUNE_EPOCHS
    for epoch in range(FINETUNE_EPOCHS):
        chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
        print(f'Fine-tuning epoch {epoch}, cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
