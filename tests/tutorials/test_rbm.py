"""examples/tutorials/rbm.py (CD-k and PCD-k, Gibbs sampling in scan) against numpy.

How it is checked: the binomial samples are drawn in tensordsl (MRG_RandomStreams inside
the scanned Gibbs step). The program hands back each step's chain (start, visible and
hidden samples, their means); the numpy reference replays training on those samples,
so the monitoring costs, the means each sample was drawn from and the final parameters
agree to float rounding (rtol 1e-9). The samples themselves are checked by statistics
(binary; the standardized sum of sample - mean is within 4.5 sigma), the persistent
chain by exact continuity, and the whole run (training + sampling) by reproducibility
from its seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.tutorials import load_program
from tests.tutorials.reference_rbm import run as reference


def z_score(samples, means):
    """Standardized sum of (sample - mean) over independent Bernoulli draws."""
    s, m = np.concatenate([a.ravel() for a in samples]), np.concatenate(
        [a.ravel() for a in means])
    return (s - m).sum() / np.sqrt((m * (1 - m)).sum())


@pytest.mark.parametrize("persistent", [False, True], ids=["CD", "PCD"])
def test_rbm_replays_in_numpy(persistent):
    p = load_program("rbm")
    got = p.run(persistent=persistent, record_chain=True)
    data_x, _ = p.make_digits(p.N)
    want = reference(data_x, got['chain'], persistent, p.BATCH, p.N_HIDDEN, p.LEARNING_RATE)
    np.testing.assert_allclose(got['costs'], want['costs'], rtol=1e-9)
    nv_means = [c[3] for c in got['chain']]
    nh_means = [c[4] for c in got['chain']]
    np.testing.assert_allclose(nv_means, want['nv_means'], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(nh_means, want['nh_means'], rtol=1e-9, atol=1e-300)
    for g, w in zip(got['params'], want['params']):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
    nv_samples = [c[1] for c in got['chain']]
    nh_samples = [c[2] for c in got['chain']]
    for s in nv_samples + nh_samples:
        assert set(np.unique(s)) <= {0.0, 1.0}
    assert abs(z_score(nv_samples, nv_means)) < 4.5
    assert abs(z_score(nh_samples, nh_means)) < 4.5
    starts = [c[0] for c in got['chain']]
    if persistent:
        assert not starts[0].any()  # the persistent chain starts at zeros
        for prev, start in zip(nh_samples[:-1], starts[1:]):
            np.testing.assert_array_equal(start, prev[-1])
    else:
        for s in starts:
            assert set(np.unique(s)) <= {0.0, 1.0}
    # sampling from persistent visible chains: binary samples, means in (0, 1), the chain
    # state is the last sample, successive calls move on
    for mf, sample in got['samples']:
        assert set(np.unique(sample)) <= {0.0, 1.0}
        assert np.all((mf > 0) & (mf < 1))
    np.testing.assert_array_equal(got['final_chain'], got['samples'][-1][1])
    assert not np.array_equal(got['samples'][0][0], got['samples'][1][0])


def test_rbm_is_reproducible_from_its_seed():
    p = load_program("rbm")
    a, b = p.run(n_epochs=1), p.run(n_epochs=1)
    assert a['costs'] == b['costs']
    for (m1, s1), (m2, s2) in zip(a['samples'], b['samples']):
        np.testing.assert_array_equal(m1, m2)
        np.testing.assert_array_equal(s1, s2)
    assert p.run(n_epochs=1, seed=9)['costs'] != a['costs']
