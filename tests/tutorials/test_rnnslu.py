"""examples/tutorials/rnnslu.py (Elman RNN in scan over word embeddings) against numpy.

Exact-ish check: same sentences, same RandomState(3435) weights, the same per-sentence
SGD and embedding renormalisation; the numpy reference does backpropagation through time
by hand. Costs rtol 1e-9 (sigmoid/exp/log chains: float rounding only); predicted labels
after training equal.
"""

from __future__ import annotations

import warnings

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_rnnslu import run as reference


def test_rnnslu_costs_match_numpy():
    p = load_program("rnnslu")
    with warnings.catch_warnings():
        # softmax of a vector: Theano 1.0's (1, n) row, with its deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        got = p.run()
    want = reference(p.make_sentences(), p.contextwin, p.EPOCHS, p.HIDDEN, p.LABELS, p.VOCAB,
                     p.EMB, p.WINDOW, p.LEARNING_RATE)
    assert len(got['costs']) == p.EPOCHS * p.N_SENTENCES
    np.testing.assert_allclose(got['costs'], want['costs'], rtol=1e-9)
    for g, w in zip(got['predictions'], want['predictions']):
        np.testing.assert_array_equal(g, w)
    n = p.N_SENTENCES
    assert np.mean(got['costs'][-n:]) < np.mean(got['costs'][:n])
