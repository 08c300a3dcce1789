"""Deep belief network: greedy CD-k pretraining of stacked RBMs, then supervised finetuning.

As in Theano's DBN tutorial: sigmoid HiddenLayers whose W and b are shared with one RBM
per layer (all sampling from one MRG_RandomStreams; each RBM sees the mean-field output
of the layer below), a LogisticRegression on top. 12x12 synthetic 'digits' (200 samples,
batch 20), layers 144 -> 20 -> 15 -> 10, CD-1, 1 pretraining epoch per layer, 2
finetuning epochs. Prints each epoch's mean cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams
from tutorial_data import make_digits
from mlp import HiddenLayer, LogisticRegression
from rbm import RBM

N, BATCH, HIDDEN, K = 200, 20, (20, 15), 1
PRETRAIN_EPOCHS, PRETRAIN_LR, FINETUNE_EPOCHS, FINETUNE_LR = 1, 0.05, 2, 0.1


class DBN:
    """Deep Belief Network."""

    def __init__(self, numpy_rng, theano_rng=None, n_ins=144, hidden_layers_sizes=(20, 15),
                 n_outs=10):
        self.sigmoid_layers = []
        self.rbm_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)
        if not theano_rng:
            theano_rng = MRG_RandomStreams(numpy_rng.randint(2 ** 30))
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
            rbm_layer = RBM(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                            n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                            W=sigmoid_layer.W, hbias=sigmoid_layer.b)
            self.rbm_layers.append(rbm_layer)
        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output,
                                           n_in=hidden_layers_sizes[-1], n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)

    def pretraining_functions(self, train_set_x, batch_size, k, record_chain=False):
        index = T.lscalar('index')
        learning_rate = T.scalar('lr')
        fns = []
        for rbm in self.rbm_layers:
            cost, updates = rbm.get_cost_updates(learning_rate, persistent=None, k=k)
            outputs = [cost, rbm.input, *rbm.chain] if record_chain else cost
            fns.append(theano.function(
                inputs=[index, theano.In(learning_rate, value=0.1)], outputs=outputs,
                updates=updates,
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


def run(n=N, batch_size=BATCH, seed=123, record_chain=False):
    """Pretrain then finetune; returns {'pretrain': [[cost per step] per layer],
    'finetune': [cost per step]} (and 'chain': [[(layer input, chain start, visible and
    hidden samples and means) per step] per layer] with `record_chain`)."""
    data_x, data_y = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    train_set_y = theano.shared(data_y, borrow=True)
    numpy_rng = numpy.random.RandomState(seed)
    dbn = DBN(numpy_rng=numpy_rng, n_ins=data_x.shape[1], hidden_layers_sizes=HIDDEN,
              n_outs=10)
    n_batches = n // batch_size
    result = {'pretrain': [], 'finetune': [], 'chain': []}
    for fn in dbn.pretraining_functions(train_set_x, batch_size, K, record_chain):
        costs, chain = [], []
        for _epoch in range(PRETRAIN_EPOCHS):
            for batch_index in range(n_batches):
                out = fn(index=batch_index, lr=PRETRAIN_LR)
                if record_chain:
                    costs.append(float(out[0]))
                    chain.append([numpy.array(o) for o in out[1:]])
                else:
                    costs.append(float(out))
        result['pretrain'].append(costs)
        result['chain'].append(chain)
    train_fn = dbn.build_finetune_function(train_set_x, train_set_y, batch_size, FINETUNE_LR)
    for _epoch in range(FINETUNE_EPOCHS):
        for batch_index in range(n_batches):
            result['finetune'].append(float(train_fn(batch_index)))
    if not record_chain:
        del result['chain']
    return result


def main():
    result = run()
    for i, costs in enumerate(result['pretrain']):
        print(f'Pre-training layer {i}, cost = {float(numpy.mean(costs))!r}')
    costs = result['finetune']
    per_epoch = len(costs) // FINETUNE_EPOCHS
    for epoch in range(FINETUNE_EPOCHS):
        chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
        print(f'Fine-tuning epoch {epoch}, cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
