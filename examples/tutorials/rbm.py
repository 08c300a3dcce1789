"""Restricted Boltzmann machine trained with CD-k or PCD-k, Gibbs sampling in `scan`.

As in Theano's RBM tutorial: binomial samples from `MRG_RandomStreams` inside the scanned
Gibbs step `gibbs_hvh`, the free-energy cost with `consider_constant=[chain_end]`, the
reconstruction cross-entropy (CD) or the stochastic pseudo-likelihood with a shared bit
index (PCD) as the monitoring cost, a persistent chain as a shared variable, and
sampling from persistent visible chains by a scan of `gibbs_vhv` with updates. 12x12
synthetic 'digits' (200 samples, batch 20, 2 epochs), 20 hidden units, k = 2.
Prints each epoch's mean monitoring cost.
"""

from __future__ import annotations

import numpy

import tensordsl as theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from tutorial_data import make_digits

N, BATCH, EPOCHS, N_HIDDEN, K, LEARNING_RATE = 200, 20, 2, 20, 2, 0.1
N_CHAINS, PLOT_EVERY, N_SAMPLES = 5, 10, 3


class RBM:
    """Restricted Boltzmann Machine (binary units)."""

    def __init__(self, input=None, n_visible=144, n_hidden=20, W=None, hbias=None,
                 vbias=None, numpy_rng=None, theano_rng=None):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if numpy_rng is None:
            numpy_rng = numpy.random.RandomState(1234)
        if theano_rng is None:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        if W is None:
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  size=(n_visible, n_hidden)),
                dtype=theano.config.floatX)
            W = theano.shared(value=initial_W, name='W', borrow=True)
        if hbias is None:
            hbias = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX),
                                  name='hbias', borrow=True)
        if vbias is None:
            vbias = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX),
                                  name='vbias', borrow=True)
        self.input = T.matrix('input') if input is None else input
        self.W = W
        self.hbias = hbias
        self.vbias = vbias
        self.theano_rng = theano_rng
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v_sample):
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis):
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample):
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self.theano_rng.binomial(size=h1_mean.shape, n=1, p=h1_mean,
                                             dtype=theano.config.floatX)
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid):
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample):
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self.theano_rng.binomial(size=v1_mean.shape, n=1, p=v1_mean,
                                             dtype=theano.config.floatX)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def gibbs_hvh(self, h0_sample):
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def gibbs_vhv(self, v0_sample):
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v0_sample)
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h1_sample)
        return [pre_sigmoid_h1, h1_mean, h1_sample, pre_sigmoid_v1, v1_mean, v1_sample]

    def get_cost_updates(self, lr=0.1, persistent=None, k=1):
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)
        chain_start = ph_sample if persistent is None else persistent
        ([pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples],
         updates) = theano.scan(self.gibbs_hvh, outputs_info=[None, None, None, None, None,
                                                              chain_start],
                                n_steps=k, name="gibbs_hvh")
        chain_end = nv_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params):
            updates[param] = param - gparam * T.cast(lr, dtype=theano.config.floatX)
        if persistent is not None:  # the tutorial writes `if persistent:`
            updates[persistent] = nh_samples[-1]
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            monitoring_cost = self.get_reconstruction_cost(updates, pre_sigmoid_nvs[-1])
        # the chain's samples, so that a numpy reference can replay the step
        self.chain = [chain_start, nv_samples, nh_samples, nv_means, nh_means]
        return monitoring_cost, updates

    def get_pseudo_likelihood_cost(self, updates):
        bit_i_idx = theano.shared(value=0, name='bit_i_idx')
        xi = T.round(self.input)
        fe_xi = self.free_energy(xi)
        xi_flip = T.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])
        fe_xi_flip = self.free_energy(xi_flip)
        cost = T.mean(self.n_visible * T.log(T.nnet.sigmoid(fe_xi_flip - fe_xi)))
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible
        return cost

    def get_reconstruction_cost(self, updates, pre_sigmoid_nv):
        return T.mean(T.sum(self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv))
                            + (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)),
                            axis=1))


def run(persistent=True, k=K, n=N, batch_size=BATCH, n_epochs=EPOCHS, seed=123,
        record_chain=False):
    """Train, then sample; returns {'costs': monitoring cost per step, 'samples':
    [(visible means, visible samples)] per sampling call} (plus 'chain': per step the
    chain start, visible/hidden samples and means, with `record_chain`)."""
    data_x, _ = make_digits(n)
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    index = T.lscalar()
    x = T.matrix('x')
    rng = numpy.random.RandomState(seed)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    persistent_chain = (theano.shared(numpy.zeros((batch_size, N_HIDDEN),
                                                  dtype=theano.config.floatX), borrow=True)
                        if persistent else None)
    rbm = RBM(input=x, n_visible=data_x.shape[1], n_hidden=N_HIDDEN, numpy_rng=rng,
              theano_rng=theano_rng)
    cost, updates = rbm.get_cost_updates(lr=LEARNING_RATE, persistent=persistent_chain, k=k)
    outputs = [cost, *rbm.chain] if record_chain else cost
    train_rbm = theano.function(
        [index], outputs, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]}, name='train_rbm')
    result = {'costs': [], 'chain': [], 'samples': []}
    for _epoch in range(n_epochs):
        for batch_index in range(n // batch_size):
            out = train_rbm(batch_index)
            if record_chain:
                result['costs'].append(float(out[0]))
                result['chain'].append([numpy.array(o) for o in out[1:]])
            else:
                result['costs'].append(float(out))
    # sampling from the trained RBM, chains started at training images
    test_idx = rng.randint(n - N_CHAINS)
    persistent_vis_chain = theano.shared(numpy.asarray(
        data_x[test_idx:test_idx + N_CHAINS], dtype=theano.config.floatX))
    ([presig_hids, hid_mfs, hid_samples, presig_vis, vis_mfs, vis_samples],
     updates) = theano.scan(rbm.gibbs_vhv, outputs_info=[None, None, None, None, None,
                                                          persistent_vis_chain],
                            n_steps=PLOT_EVERY, name="gibbs_vhv")
    updates.update({persistent_vis_chain: vis_samples[-1]})
    sample_fn = theano.function([], [vis_mfs[-1], vis_samples[-1]], updates=updates,
                                name='sample_fn')
    for _ in range(N_SAMPLES):
        vis_mf, vis_sample = sample_fn()
        result['samples'].append((numpy.array(vis_mf), numpy.array(vis_sample)))
    result['final_chain'] = numpy.array(persistent_vis_chain.get_value())
    result['params'] = [numpy.array(p.get_value()) for p in rbm.params]
    if not record_chain:
        del result['chain']
    return result


def main():
    for persistent in (False, True):
        costs = run(persistent=persistent)['costs']
        per_epoch = len(costs) // EPOCHS
        name = f'PCD-{K} pseudo-likelihood' if persistent else f'CD-{K} reconstruction'
        for epoch in range(EPOCHS):
            chunk = costs[epoch * per_epoch:(epoch + 1) * per_epoch]
            print(f'{name}, epoch {epoch}, cost = {float(numpy.mean(chunk))!r}')


if __name__ == '__main__':
    main()
