"""examples/tutorials/mlp.py: every minibatch cost equals the numpy reference.

Exact-ish check: same data, same RandomState(1234) hidden weights, same minibatches;
tanh/exp/log in the chain, so rtol 1e-9 (float rounding), never bit-equality.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_mlp import run as reference


def test_mlp_costs_match_numpy():
    p = load_program("mlp")
    costs = p.run()
    data_x, data_y = p.make_digits(p.N)
    want = reference(data_x, data_y, p.BATCH, p.EPOCHS, p.N_HIDDEN, p.LEARNING_RATE,
                     p.L1_REG, p.L2_REG)
    assert len(costs) == len(want) == p.EPOCHS * (p.N // p.BATCH)
    np.testing.assert_allclose(costs, want, rtol=1e-9)
    assert np.mean(costs[-15:]) < 0.6 * costs[0]  # it learns
