"""Elman RNN for slot filling over word embeddings (scan), as in Theano's RNN-SLU tutorial.

Synthetic 'ATIS': sentences of 4-8 word indices from a 20-word vocabulary, each word's
slot label a fixed function of the word and its left neighbour (so context matters).
Context windows of 3 words (index -1 pads), embeddings of size 5, 8 hidden sigmoid
units, 5 labels; per-sentence SGD, the embeddings renormalised after each update, as the
tutorial does. `softmax` of the per-step vector gives a (1, n) row, so the scan output is
3-d and read as `s[:, 0, :]`, exactly as in the tutorial. Prints each epoch's mean cost.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy

import tensordsl as theano
import theano.tensor as T

VOCAB, LABELS, EMB, HIDDEN, WINDOW = 20, 5, 5, 8, 3
N_SENTENCES, EPOCHS, LEARNING_RATE = 20, 3, 0.5


def make_sentences(n=N_SENTENCES, seed=345):
    """[(word indices int32, labels int32)] of random lengths 4..8."""
    rng = numpy.random.RandomState(seed)
    sentences = []
    for _ in range(n):
        words = rng.randint(0, VOCAB, size=rng.randint(4, 9)).astype('int32')
        prev = numpy.concatenate([[0], words[:-1]])
        labels = ((words + (prev > VOCAB // 2)) % LABELS).astype('int32')
        sentences.append((words, labels))
    return sentences


def contextwin(l, win):
    """The tutorial's context windows: one row of `win` indices per word, -1 padded."""
    assert (win % 2) == 1 and win >= 1
    l = list(l)
    lpadded = win // 2 * [-1] + l + win // 2 * [-1]
    out = [lpadded[i:(i + win)] for i in range(len(l))]
    assert len(out) == len(l)
    return out


class RNNSLU:
    """Elman neural net model for slot filling."""

    def __init__(self, nh, nc, ne, de, cs):
        rng = numpy.random.RandomState(3435)
        self.emb = theano.shared(name='embeddings', value=0.2 * rng.uniform(
            -1.0, 1.0, (ne + 1, de)).astype(theano.config.floatX))
        self.wx = theano.shared(name='wx', value=0.2 * rng.uniform(
            -1.0, 1.0, (de * cs, nh)).astype(theano.config.floatX))
        self.wh = theano.shared(name='wh', value=0.2 * rng.uniform(
            -1.0, 1.0, (nh, nh)).astype(theano.config.floatX))
        self.w = theano.shared(name='w', value=0.2 * rng.uniform(
            -1.0, 1.0, (nh, nc)).astype(theano.config.floatX))
        self.bh = theano.shared(name='bh', value=numpy.zeros(nh, dtype=theano.config.floatX))
        self.b = theano.shared(name='b', value=numpy.zeros(nc, dtype=theano.config.floatX))
        self.h0 = theano.shared(name='h0', value=numpy.zeros(nh, dtype=theano.config.floatX))
        self.params = [self.emb, self.wx, self.wh, self.w, self.bh, self.b, self.h0]

        idxs = T.imatrix()
        x = self.emb[idxs].reshape((idxs.shape[0], de * cs))
        y_sentence = T.ivector('y_sentence')

        def recurrence(x_t, h_tm1):
            h_t = T.nnet.sigmoid(T.dot(x_t, self.wx) + T.dot(h_tm1, self.wh) + self.bh)
            s_t = T.nnet.softmax(T.dot(h_t, self.w) + self.b)
            return [h_t, s_t]

        [h, s], _ = theano.scan(fn=recurrence, sequences=x, outputs_info=[self.h0, None],
                                n_steps=x.shape[0])
        p_y_given_x_sentence = s[:, 0, :]
        y_pred = T.argmax(p_y_given_x_sentence, axis=1)
        lr = T.scalar('lr')
        sentence_nll = -T.mean(T.log(p_y_given_x_sentence)[T.arange(x.shape[0]), y_sentence])
        sentence_gradients = T.grad(sentence_nll, self.params)
        sentence_updates = OrderedDict((p, p - lr * g)
                                       for p, g in zip(self.params, sentence_gradients))
        self.classify = theano.function(inputs=[idxs], outputs=y_pred)
        self.sentence_train = theano.function(inputs=[idxs, y_sentence, lr],
                                              outputs=sentence_nll, updates=sentence_updates)
        self.normalize = theano.function(
            inputs=[], updates={self.emb: self.emb / T.sqrt((self.emb ** 2).sum(axis=1))
                                .dimshuffle(0, 'x')})

    def train(self, x, y, window_size, learning_rate):
        cwords = contextwin(x, window_size)
        words = [numpy.asarray(w).astype('int32') for w in cwords]
        cost = self.sentence_train(numpy.asarray(words, dtype='int32'), y, learning_rate)
        self.normalize()
        return float(cost)


def run(n_epochs=EPOCHS):
    """Train; returns {'costs': the cost of every sentence step, 'predictions': the
    labels predicted for every sentence after training}."""
    sentences = make_sentences()
    rnn = RNNSLU(nh=HIDDEN, nc=LABELS, ne=VOCAB, de=EMB, cs=WINDOW)
    costs = []
    for _epoch in range(n_epochs):
        for words, labels in sentences:
            costs.append(rnn.train(words, labels, WINDOW, LEARNING_RATE))
    predictions = [numpy.array(rnn.classify(numpy.asarray(contextwin(w, WINDOW),
                                                          dtype='int32')))
                   for w, _ in sentences]
    return {'costs': costs, 'predictions': predictions}


def main():
    costs = run()['costs']
    for epoch in range(EPOCHS):
        chunk = costs[epoch * N_SENTENCES:(epoch + 1) * N_SENTENCES]
        print(f'epoch {epoch}, mean sentence cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
