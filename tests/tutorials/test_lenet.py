"""examples/tutorials/lenet.py: every minibatch cost equals the numpy reference.

Exact-ish check: same data, same RandomState(23455) weights in the tutorial's order, same
minibatches; the numpy reference writes conv2d (flipped filters), max pooling and their
gradients as loops. tanh/exp/log in the chain, so rtol 1e-9 (float rounding).
floatX=float32 runs the same program in single precision against the same float64
reference with rtol 2e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tests.tutorials import load_program
from tests.tutorials.reference_lenet import run as reference

# float32 accumulates rounding over the SGD steps; observed max relative error ~2e-7
RTOL = {'float64': 1e-9, 'float32': 2e-5}


@pytest.mark.parametrize("floatX", ["float64", "float32"])
def test_lenet_costs_match_numpy(floatX):
    """floatX=float32 runs the same program in single precision (the tutorials build every
    array with floatX): its costs follow the float64 numpy reference to float32 rounding."""
    with theano.config.change_flags(floatX=floatX):
        _check(floatX)


def _check(floatX):
    p = load_program("lenet")
    costs = p.run()
    data_x, data_y = p.make_digits(p.N, side=p.SIDE)
    want = reference(data_x, data_y, p.BATCH, p.EPOCHS, p.SIDE, p.NKERNS, p.N_HIDDEN,
                     p.LEARNING_RATE)
    assert len(costs) == len(want) == p.EPOCHS * (p.N // p.BATCH)
    np.testing.assert_allclose(costs, want, rtol=RTOL[floatX])
    if floatX == 'float32':  # it really ran in single precision
        assert not np.allclose(costs, want, rtol=1e-12, atol=0)
