"""examples/tutorials/dae.py: costs against numpy, corruption statistics, reproducibility.

How it is checked: the corruption masks are drawn in tensordsl (MRG_RandomStreams inside
the compiled function); the program hands back the corrupted minibatches it trained on
and the numpy reference replays training on them, so the costs agree to float rounding
(rtol 1e-9). The masks themselves are checked by statistics (each pixel is kept or
zeroed, kept with frequency 1 - corruption) and the run by reproducibility from a seed.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_dae import run as reference


def test_dae_costs_match_numpy_and_masks_are_bernoulli():
    p = load_program("dae")
    costs, corrupted = p.run(record_inputs=True)
    data_x, _ = p.make_digits(p.N)
    want = reference(data_x, corrupted, p.BATCH, p.EPOCHS, p.N_HIDDEN, p.LEARNING_RATE)
    np.testing.assert_allclose(costs, want, rtol=1e-9)
    assert costs[-1] < costs[0]
    # masks: every pixel either kept exactly or zeroed
    steps = p.N // p.BATCH
    x = np.concatenate([data_x[(s % steps) * p.BATCH:(s % steps + 1) * p.BATCH]
                        for s in range(len(corrupted))])
    tilde = np.concatenate(corrupted)
    assert np.all((tilde == x) | (tilde == 0))
    nonzero = x != 0
    kept = (tilde[nonzero] != 0).mean()
    # 80k Bernoulli(0.7) draws: std of the mean ~0.0016
    assert abs(kept - (1 - p.CORRUPTION)) < 0.01
    # masks differ from step to step (the stream state advances)
    epoch2 = tilde[p.BATCH * steps:p.BATCH * (steps + 1)]
    assert not np.array_equal(tilde[:p.BATCH] != 0, epoch2 != 0)


def test_dae_is_reproducible_from_its_seed():
    p = load_program("dae")
    first = p.run(n_epochs=1)
    assert p.run(n_epochs=1) == first
    assert p.run(n_epochs=1, seed=7) != first
