"""examples/tutorials/logreg.py: every minibatch cost equals the numpy reference.

Exact-ish check: same data, zero initial weights, same minibatches; the costs go through
exp/log, so they are compared with rtol 1e-9 (float rounding), never bit-equality.
floatX=float32 runs the same program in single precision against the same float64
reference with rtol 2e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tests.tutorials import load_program
from tests.tutorials.reference_logreg import run as reference

# float32 accumulates rounding over the SGD steps; observed max relative error ~2e-7
RTOL = {'float64': 1e-9, 'float32': 2e-5}


@pytest.mark.parametrize("floatX", ["float64", "float32"])
def test_logreg_costs_match_numpy(floatX):
    """floatX=float32 runs the same program in single precision (the tutorials build every
    array with floatX): its costs follow the float64 numpy reference to float32 rounding."""
    with theano.config.change_flags(floatX=floatX):
        _check(floatX)


def _check(floatX):
    program = load_program("logreg")
    costs = program.run()
    data_x, data_y = program.make_digits(program.N)
    want = reference(data_x, data_y, program.BATCH, program.EPOCHS, program.LEARNING_RATE)
    assert len(costs) == len(want) == program.EPOCHS * (program.N // program.BATCH)
    np.testing.assert_allclose(costs, want, rtol=RTOL[floatX])
    if floatX == 'float32':  # it really ran in single precision
        assert not np.allclose(costs, want, rtol=1e-12, atol=0)
    # the model learns: the last epoch's cost is well below the first step's log(10)
    np.testing.assert_allclose(costs[0], np.log(10), rtol=RTOL[floatX])  # zero weights: uniform p
    assert np.mean(costs[-6:]) < 0.5 * costs[0]
