"""examples/tutorials/lenet.py: every minibatch cost equals the numpy reference.

Exact-ish check: same data, same RandomState(23455) weights in the tutorial's order, same
minibatches; the numpy reference writes conv2d (flipped filters), max pooling and their
gradients as loops. tanh/exp/log in the chain, so rtol 1e-9 (float rounding).
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_lenet import run as reference


def test_lenet_costs_match_numpy():
    p = load_program("lenet")
    costs = p.run()
    data_x, data_y = p.make_digits(p.N, side=p.SIDE)
    want = reference(data_x, data_y, p.BATCH, p.EPOCHS, p.SIDE, p.NKERNS, p.N_HIDDEN,
                     p.LEARNING_RATE)
    assert len(costs) == len(want) == p.EPOCHS * (p.N // p.BATCH)
    np.testing.assert_allclose(costs, want, rtol=1e-9)
