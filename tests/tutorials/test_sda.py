"""examples/tutorials/sda.py: pretraining and finetuning costs against numpy; corruption
statistics; reproducibility.

How it is checked: the corruption masks are drawn in tensordsl (one MRG_RandomStreams
shared by the dA layers); the program hands back each step's corrupted minibatch and the
numpy reference replays pretraining and finetuning on them: costs agree to float
rounding (rtol 1e-9). The masks are checked by statistics (kept with frequency
1 - corruption of their layer) and the whole run by reproducibility from its seed.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_sda import run as reference


def test_sda_costs_match_numpy():
    p = load_program("sda")
    got = p.run(record_inputs=True)
    data_x, data_y = p.make_digits(p.N)
    want = reference(data_x, data_y, got['corrupted'], p.BATCH, p.HIDDEN, p.PRETRAIN_EPOCHS,
                     p.PRETRAIN_LR, p.FINETUNE_EPOCHS, p.FINETUNE_LR)
    for layer in range(len(p.HIDDEN)):
        np.testing.assert_allclose(got['pretrain'][layer], want['pretrain'][layer], rtol=1e-9)
        assert got['pretrain'][layer][-1] < got['pretrain'][layer][0]
    np.testing.assert_allclose(got['finetune'], want['finetune'], rtol=1e-9)
    # layer 1's inputs are sigmoid outputs (never 0): a zero marks a dropped unit (layer 0's
    # input has exact zeros from clipped pixels; test_dae checks masks on such input)
    for layer, level in enumerate(p.CORRUPTION):
        tilde = np.concatenate(got['corrupted'][layer])
        if layer > 0:
            kept = (tilde != 0).mean()
            # 4000 Bernoulli draws: std of the mean <= 0.0063
            assert abs(kept - (1 - level)) < 0.03


def test_sda_is_reproducible_from_its_seed():
    p = load_program("sda")
    first = p.run()
    assert p.run() == first
    assert p.run(seed=5)['finetune'] != first['finetune']
