"""examples/tutorials/hmc.py: each move replayed in numpy; sample statistics; reproducibility.

How it is checked: velocities and uniforms are drawn in tensordsl
(shared_randomstreams.RandomStreams). The program hands back each move's velocities,
accept decisions and the state before the move; numpy integrates the same leapfrog
trajectory and applies the same updates: next positions, step size and average
acceptance agree to float rounding (rtol 1e-9). The accept decisions are checked
against the Metropolis-Hastings rule (always accept when the Hamiltonian drops; the
acceptance frequency matches mean(min(1, exp(dH)))), the samples by statistics (mean
and covariance of the target Gaussian), and the run by reproducibility from its seed.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_hmc import replay_move


def test_hmc_moves_replay_in_numpy_and_sample_the_target():
    p = load_program("hmc")
    got = p.run(record=True)
    _, mu, cov, cov_inv = p.make_target()
    moves = got['moves']
    accepted, expected = [], []
    for i, (vel, accept, pos, stepsize, rate) in enumerate(moves):
        new_pos, new_step, new_rate, ediff = replay_move(pos, vel, accept, float(stepsize),
                                                         float(rate), mu, cov_inv, p.N_STEPS)
        np.testing.assert_allclose(new_step, got['stepsizes'][i], rtol=1e-12)
        np.testing.assert_allclose(new_rate, got['acceptance'][i], rtol=1e-12)
        if i + 1 < len(moves):
            np.testing.assert_allclose(moves[i + 1][2], new_pos, rtol=1e-9, atol=1e-12)
        assert np.all(accept[ediff >= 0])  # exp(dH) >= 1 > u: always accepted
        accepted.extend(accept)
        expected.extend(np.minimum(1.0, np.exp(ediff)))
    # ~4000 Bernoulli(p_i) decisions: sd of the mean <= 0.008
    assert abs(np.mean(accepted) - np.mean(expected)) < 0.03
    samples = got['samples'].reshape(-1, p.DIM)
    np.testing.assert_allclose(samples.mean(axis=0), mu, atol=0.1)
    np.testing.assert_allclose(np.cov(samples.T), cov, atol=0.25)
    # the tutorial's check: the adapted acceptance rate sits near the target
    assert abs(got['acceptance'][-1] - 0.9) < 0.1


def test_hmc_is_reproducible_from_its_seed():
    p = load_program("hmc")
    a, b = p.run(burnin=5, n_samples=5), p.run(burnin=5, n_samples=5)
    np.testing.assert_array_equal(a['samples'], b['samples'])
    assert a['stepsizes'] == b['stepsizes']
    c = p.run(seed=99, burnin=5, n_samples=5)
    assert not np.array_equal(a['samples'], c['samples'])
