"""examples/tutorials/rnnrbm.py: training replayed in numpy; samples; reproducibility.

How it is checked: the binomial samples are drawn in tensordsl
(shared_randomstreams.RandomStreams in the scanned Gibbs chain). The program hands back
each step's chain and monitor means; the numpy reference recomputes the RNN's per-frame
biases, the CD cost, the monitor (xlogy0) and the SGD update through the RNN, so all of
them and the final parameters agree to float rounding (rtol 1e-9). Samples are checked
binary, generation (a nested scan) by shape, binariness and the stream advancing, and
the whole run by reproducibility from its seed.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_rnnrbm import run as reference


def test_rnnrbm_replays_in_numpy():
    p = load_program("rnnrbm")
    got = p.run(record=True)
    want = reference(p.make_rolls(), got['trace'], p.N_VISIBLE, p.N_HIDDEN, p.N_RECURRENT,
                     p.SLICE, p.EPOCHS, p.LEARNING_RATE, p.SEED)
    trace = got['trace']
    assert len(trace) == p.EPOCHS * p.N_SEQUENCES * (p.SEQ_LEN // p.SLICE)
    np.testing.assert_allclose(got['monitors'], want['monitors'], rtol=1e-9)
    np.testing.assert_allclose([t[1] for t in trace], want['costs'], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([t[4] for t in trace], want['bv_t'], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose([t[5] for t in trace], want['bh_t'], rtol=1e-9, atol=1e-15)
    for g, w in zip(got['params'], want['params']):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-15)
    for t in trace:
        chain = t[2]
        assert chain.shape == (p.K_TRAIN, p.SLICE, p.N_VISIBLE)
        assert set(np.unique(chain)) <= {0.0, 1.0}
        assert np.all((t[3] > 0) & (t[3] < 1))
    assert np.mean(got['monitors'][-9:]) > np.mean(got['monitors'][:9])  # it learns
    a, b = got['generated']
    assert a.shape == b.shape == (p.GEN_STEPS, p.N_VISIBLE)
    assert set(np.unique(a)) <= {0.0, 1.0} and set(np.unique(b)) <= {0.0, 1.0}
    assert not np.array_equal(a, b)


def test_rnnrbm_is_reproducible_from_its_seed():
    p = load_program("rnnrbm")
    first, second = p.run(), p.run()
    assert first['monitors'] == second['monitors']
    for a, b in zip(first['generated'], second['generated']):
        np.testing.assert_array_equal(a, b)
    assert p.run(seed=3)['monitors'] != first['monitors']
