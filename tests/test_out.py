"""theano.Out (theano.compile.io.Out): outputs with a borrow flag."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
@pytest.mark.parametrize("borrow", [True, False])
def test_out_outputs_compute_like_plain_ones(mode, borrow):
    x = T.dvector("x")
    f = theano.function([x], [theano.Out(x * 2, borrow=borrow), x + 1], mode=mode)
    xv = np.array([1.0, 2.0])
    a, b = f(xv)
    np.testing.assert_array_equal(a, [2.0, 4.0])
    np.testing.assert_array_equal(b, [2.0, 3.0])
    single = theano.function([x], theano.Out(x, borrow=borrow), mode=mode)
    got = single(xv)
    np.testing.assert_array_equal(got, xv)
    got[0] = 99.0  # the caller owns what it gets: the input is untouched
    assert xv[0] == 1.0
    tup = theano.function([x], (theano.Out(x - 1),), mode=mode)(xv)
    assert isinstance(tup, tuple)
    np.testing.assert_array_equal(tup[0], [0.0, 1.0])


def test_out_paths_copy_and_pickle():
    from tensordsl.compile.io import Out

    assert Out is theano.Out
    x = T.dvector("x")
    f = theano.function([x], theano.Out(T.sum(x), borrow=True))
    assert f.copy()(np.ones(3)) == 3.0
    assert pickle.loads(pickle.dumps(f))(np.ones(4)) == 4.0
    with pytest.raises(TypeError, match="borrow must be a bool"):
        theano.Out(x, borrow="yes")
    assert "borrow=True" in repr(theano.Out(x, borrow=True))
