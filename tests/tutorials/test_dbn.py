"""examples/tutorials/dbn.py: pretraining and finetuning against numpy; reproducibility.

How it is checked: the Gibbs samples are drawn in tensordsl (MRG_RandomStreams in each
RBM's scanned chain); the program hands back each pretraining step's layer input and
chain, and the numpy reference replays CD-1 on them (checking the layer inputs, the
means each sample was drawn from and the costs), then finetunes: rtol 1e-9 throughout.
Samples are checked binary; the run is reproducible from its seed.
"""

from __future__ import annotations

import numpy as np

from tests.tutorials import load_program
from tests.tutorials.reference_dbn import run as reference


def test_dbn_costs_match_numpy():
    p = load_program("dbn")
    got = p.run(record_chain=True)
    data_x, data_y = p.make_digits(p.N)
    want = reference(data_x, data_y, got['chain'], p.BATCH, p.HIDDEN, p.PRETRAIN_EPOCHS,
                     p.PRETRAIN_LR, p.FINETUNE_EPOCHS, p.FINETUNE_LR)
    for layer in range(len(p.HIDDEN)):
        chain = got['chain'][layer]
        np.testing.assert_allclose([c[0] for c in chain], want['inputs'][layer], rtol=1e-9)
        np.testing.assert_allclose(got['pretrain'][layer], want['pretrain'][layer]['costs'],
                                   rtol=1e-9)
        np.testing.assert_allclose([c[4] for c in chain], want['pretrain'][layer]['nv_means'],
                                   rtol=1e-9)
        np.testing.assert_allclose([c[5] for c in chain], want['pretrain'][layer]['nh_means'],
                                   rtol=1e-9)
        for c in chain:
            for samples in c[1:4]:
                assert set(np.unique(samples)) <= {0.0, 1.0}
    np.testing.assert_allclose(got['finetune'], want['finetune'], rtol=1e-9)
    assert got['finetune'][-1] < got['finetune'][0]


def test_dbn_is_reproducible_from_its_seed():
    p = load_program("dbn")
    first = p.run()
    assert p.run() == first
    assert p.run(seed=4)['pretrain'] != first['pretrain']
