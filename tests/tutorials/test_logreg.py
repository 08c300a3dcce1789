"""examples/tutorials/logreg.py: every minibatch cost equals the numpy reference.

Exact-ish check: same data, zero initial weights, same minibatches; the costs go through
exp/log, so they are compared with rtol 1e-9 (float rounding), never bit-equality.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_logreg import run as reference


def test_logreg_costs_match_numpy():
    program = load_program("logreg")
    costs = program.run()
    data_x, data_y = program.make_digits(program.N)
    want = reference(data_x, data_y, program.BATCH, program.EPOCHS, program.LEARNING_RATE)
    assert len(costs) == len(want) == program.EPOCHS * (program.N // program.BATCH)
    np.testing.assert_allclose(costs, want, rtol=1e-9)
    # the model learns: the last epoch's cost is well below the first step's log(10)
    np.testing.assert_allclose(costs[0], np.log(10), rtol=1e-12)  # zero weights: uniform p
    assert np.mean(costs[-6:]) < 0.5 * costs[0]
