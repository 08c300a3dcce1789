"""examples/tutorials/lstm.py (LSTM over masked padded sequences in scan, adadelta) vs numpy.

Exact-ish check: same sentences, same RandomState initialisation (orthogonal matrices
from the same SVDs), same shuffled minibatches; the numpy reference does BPTT through
the masked LSTM and the tutorial's adadelta by hand. Costs rtol 1e-8 (long
sigmoid/tanh/sqrt chains: float rounding only); the first step's gradients (adadelta
is nearly blind to gradient scale, so the costs alone would not catch every error) and
the final parameters rtol 1e-8; predicted labels equal.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_lstm import run as reference


def test_lstm_costs_match_numpy():
    p = load_program("lstm")
    got = p.run()
    seqs, labels = p.make_sentences()
    want = reference(seqs, labels, p.make_batches(), p.prepare_data, p.SEED, p.N_WORDS,
                     p.DIM, p.YDIM)
    assert len(got['costs']) == p.EPOCHS * (p.N_SENTENCES // p.BATCH)
    np.testing.assert_allclose(got['costs'], want['costs'], rtol=1e-8)
    for k, g in want['first_grads'].items():
        np.testing.assert_allclose(got['first_grads'][k], g, rtol=1e-8, atol=1e-15, err_msg=k)
    for k, v in want['params'].items():
        np.testing.assert_allclose(got['params'][k], v, rtol=1e-8, atol=1e-15, err_msg=k)
    np.testing.assert_array_equal(got['predictions'], want['predictions'])
