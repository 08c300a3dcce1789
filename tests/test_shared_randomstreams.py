"""RandomStreams (tensordsl.tensor.shared_randomstreams) on numpy Generators: values equal
the Generator calls they stand for, default updates, seeding, state get/set, shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.tensor.shared_randomstreams import (
    RandomStateSharedVariable,
    RandomStreams,
    decode_state,
    encode_state,
)


def generators(seed: int, count: int) -> list[np.random.Generator]:
    """The Generators of the first `count` variables of RandomStreams(seed)."""
    seedgen = np.random.default_rng(seed)
    return [np.random.default_rng(int(seedgen.integers(2 ** 30))) for _ in range(count)]


def test_values_are_the_generator_calls():
    rs = RandomStreams(seed=234)
    u = rs.uniform((2, 3), dtype="float64")
    n = rs.normal((4,), avg=1.0, std=2.0, dtype="float64")
    b = rs.binomial((5,), n=10, p=0.25)
    f = theano.function([], [u, n, b])
    gu, gn, gb = generators(234, 3)
    for _ in range(3):  # each call continues each generator
        vu, vn, vb = f()
        np.testing.assert_array_equal(vu, gu.uniform(0.0, 1.0, (2, 3)))
        np.testing.assert_array_equal(vn, gn.normal(1.0, 2.0, (4,)))
        np.testing.assert_array_equal(vb, gb.binomial(10, 0.25, (5,)))


@given(st.lists(st.integers(0, 4), min_size=0, max_size=3), st.integers(0, 2 ** 31))
def test_shapes_including_empty(size, seed):
    rs = RandomStreams(seed)
    u = rs.uniform(tuple(size), low=-1.0, high=2.0, dtype="float64")
    r = rs.random_integers(tuple(size), low=3, high=5)
    vu, vr = theano.function([], [u, r], mode="FAST_COMPILE")()
    gu, gr = generators(seed, 2)
    assert vu.shape == tuple(size) and vr.shape == tuple(size)
    np.testing.assert_array_equal(vu, gu.uniform(-1.0, 2.0, tuple(size)))
    np.testing.assert_array_equal(vr, gr.integers(3, 5, tuple(size), endpoint=True))


def test_default_updates_and_no_default_updates():
    rs = RandomStreams(seed=1)
    u = rs.uniform((3,))
    f = theano.function([], u)
    frozen = theano.function([], u, no_default_updates=True)
    a, b = f(), f()
    assert not np.allclose(a, b)
    c, d = frozen(), frozen()
    np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(f(), c)  # frozen did not move the state
    # the same variable twice in one graph is one draw
    np.testing.assert_array_equal(theano.function([], u - u)(), np.zeros(3))


def test_state_get_set_and_indexing():
    rs = RandomStreams(seed=5)
    u = rs.normal((2, 2), dtype="float64")
    f = theano.function([], u)
    state, new_state = rs.state_updates[0]
    assert isinstance(state, RandomStateSharedVariable)
    assert state.default_update is new_state and rs.updates() == rs.state_updates
    saved = state.get_value()
    assert isinstance(saved, np.random.Generator)
    a = f()
    state.set_value(saved)
    np.testing.assert_array_equal(f(), a)
    rs[state] = np.random.default_rng(42)
    np.testing.assert_array_equal(f(), np.random.default_rng(42).normal(0.0, 1.0, (2, 2)))
    assert isinstance(rs[state], np.random.Generator)
    # drawing from a Generator got from the state does not move the stored state
    g = state.get_value()
    g.normal(size=100)
    np.testing.assert_array_equal(state.get_value().normal(size=3),
                                  state.get_value().normal(size=3))
    with pytest.raises(TypeError, match="RandomState"):
        state.set_value(np.random.RandomState(0))
    with pytest.raises(TypeError, match="PCG64"):
        state.set_value(np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(TypeError, match="Generator"):
        state.set_value(3)


def test_encode_decode_round_trip():
    g = np.random.default_rng(123)
    g.random(3)
    g.integers(0, 10, dtype=np.uint32)  # leaves a buffered 32-bit half (has_uint32)
    copy = decode_state(encode_state(g))
    assert copy.bit_generator.state == g.bit_generator.state
    np.testing.assert_array_equal(copy.integers(0, 2 ** 31, 10), g.integers(0, 2 ** 31, 10))


def test_seed_matches_a_fresh_streams_object():
    rs = RandomStreams(seed=10)
    u, n = rs.uniform((3,)), rs.normal((2,))
    f = theano.function([], [u, n])
    first = f()
    f()
    rs.seed(10)
    again = f()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    rs.seed(99)
    fresh = RandomStreams(seed=99)
    g = theano.function([], [fresh.uniform((3,)), fresh.normal((2,))])
    for a, b in zip(f(), g()):
        np.testing.assert_array_equal(a, b)
    rs.seed()  # the constructor's seed
    np.testing.assert_array_equal(f()[0], first[0])


def test_statistics():
    rs = RandomStreams(seed=3)
    n = theano.function([], rs.normal((100000,), avg=-1.0, std=0.5))()
    assert abs(n.mean() + 1.0) < 5 * 0.5 / math.sqrt(n.size)
    assert abs(n.std() - 0.5) < 5 * 0.5 / math.sqrt(2 * n.size)
    b = theano.function([], rs.binomial((50000,), n=8, p=0.3))()
    assert b.dtype == np.int64 and b.min() >= 0 and b.max() <= 8
    assert abs(b.mean() - 2.4) < 5 * math.sqrt(8 * 0.21 / b.size)
    r = theano.function([], rs.random_integers((10000,), low=-2, high=2))()
    assert set(np.unique(r)) == {-2, -1, 0, 1, 2}
    p = theano.function([], rs.poisson((50000,), lam=4.0))()
    assert abs(p.mean() - 4.0) < 5 * 2.0 / math.sqrt(p.size)


def test_discrete_distributions_shapes():
    rs = RandomStreams(seed=4)
    c = theano.function([], rs.choice((3, 4), a=20, replace=False))()
    assert c.shape == (3, 4) and len(set(c.ravel().tolist())) == 12 and c.max() < 20
    weighted = theano.function([], rs.choice((1000,), a=[10, 20, 30], p=[0.0, 0.0, 1.0]))()
    assert np.all(weighted == 30)
    one = theano.function([], rs.choice(a=5))()
    assert one.shape == () and 0 <= one < 5
    perm = theano.function([], rs.permutation((2, 3), n=6))()
    assert perm.shape == (2, 3, 6)
    assert all(sorted(row) == list(range(6)) for row in perm.reshape(6, 6).tolist())
    single = theano.function([], rs.permutation(n=7))()
    assert sorted(single.tolist()) == list(range(7))
    m = theano.function([], rs.multinomial((4,), n=10, pvals=[0.1, 0.2, 0.7]))()
    assert m.shape == (4, 3) and np.all(m.sum(axis=1) == 10)
    m2 = theano.function([], rs.multinomial(n=[5, 6], pvals=[0.5, 0.5]))()
    assert m2.shape == (2, 2) and m2.sum(axis=1).tolist() == [5, 6]
    x = T.dmatrix("x")
    shuffled = theano.function([x], rs.shuffle_row_elements(x))(np.arange(12.0).reshape(4, 3))
    assert sorted(shuffled[:, 0].tolist()) == [0.0, 3.0, 6.0, 9.0]
    np.testing.assert_array_equal(shuffled[:, 1] - shuffled[:, 0], np.ones(4))


def test_dtypes_and_symbolic_parameters():
    rs = RandomStreams(seed=6)
    assert rs.uniform((2,)).dtype == theano.config.floatX
    assert rs.uniform((2,), dtype="float32").dtype == "float32"
    assert rs.binomial((2,), dtype="int32").dtype == "int32"
    with theano.config.change_flags(floatX="float32"):
        assert rs.normal((2,)).dtype == "float32"
    low = T.dvector("low")
    u = rs.uniform(low=low, high=low + 1)  # size None: the parameters' shape
    assert u.ndim == 1
    v = theano.function([low], u)(np.array([10.0, 20.0, 30.0]))
    assert v.shape == (3,) and np.all((v >= [10, 20, 30]) & (v < [11, 21, 31]))
    n = T.lscalar("n")
    w = rs.normal((n, 2))
    assert w.type.shape == (None, 2)
    assert theano.function([n], w)(3).shape == (3, 2)


def test_fast_run_matches_fast_compile():
    def build(mode):
        rs = RandomStreams(seed=8)
        return theano.function([], [rs.uniform((5, 2)) * 2, rs.binomial((7,), p=0.5)],
                               mode=mode)

    a, b = build("FAST_RUN"), build("FAST_COMPILE")
    for _ in range(2):
        for x, y in zip(a(), b()):
            np.testing.assert_array_equal(x, y)


def test_gradients_stop_at_samples():
    rs = RandomStreams(seed=9)
    w = theano.shared(np.ones(3), name="w")
    noise = rs.normal((3,))
    g = theano.grad((w * noise).sum(), w)
    gv, nv = theano.function([], [g, noise])()
    np.testing.assert_array_equal(gv, nv)
    avg = T.dscalar("avg")
    with pytest.raises(NotImplementedError, match="random sampling"):
        theano.grad(rs.normal((2,), avg=avg).sum(), avg)


def test_errors():
    rs = RandomStreams(seed=1)
    with pytest.raises(TypeError, match="dtype"):
        rs.uniform((2,), dtype="int64")
    with pytest.raises(TypeError, match="size entry 0"):
        rs.uniform((2.5,))
    with pytest.raises(ValueError, match="ndim=1"):
        rs.uniform(low=T.dmatrix(), ndim=1)
    with pytest.raises(TypeError, match="a must be"):
        rs.choice((2,), a=np.ones((2, 2)))
    with pytest.raises(TypeError, match="n must be"):
        rs.permutation(n=2.5)
    f = theano.function([], rs.choice((5,), a=3, replace=False))
    with pytest.raises(ValueError):
        f()
    sv = T.lvector("sv")
    g = theano.function([sv], rs.uniform(sv, ndim=2))
    with pytest.raises(ValueError, match="2 entries"):
        g(np.array([3]))


def test_module_paths():
    assert theano.tensor.shared_randomstreams.RandomStreams is RandomStreams
    assert theano.sandbox.rng_mrg.MRG_RandomStreams.__name__ == "MRG_RandomStreams"
