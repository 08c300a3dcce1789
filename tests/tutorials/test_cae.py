"""examples/tutorials/cae.py: reconstruction cost and Jacobian penalty of every step equal
the numpy reference (exact-ish: sigmoid/log in the chain, rtol 1e-9)."""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_cae import run as reference


def test_cae_costs_match_numpy():
    p = load_program("cae")
    got = np.array(p.run())
    data_x, _ = p.make_digits(p.N)
    want = np.array(reference(data_x, p.BATCH, p.EPOCHS, p.N_HIDDEN, p.CONTRACTION,
                              p.LEARNING_RATE))
    assert got.shape == want.shape == (p.EPOCHS * (p.N // p.BATCH), 2)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert got[-1, 0] < got[0, 0]
