"""MRG31k3p random streams (tensordsl.sandbox.rng_mrg) against an independent pure-Python
reference of the generator, Theano's published sample values, and sample statistics;
plus Theano's default_update mechanism of `function`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import accuracy
from tensordsl import tensor as T
from tensordsl.sandbox import rng_mrg
from tensordsl.sandbox.rng_mrg import MRG_RandomStreams
from tests.test_examples_tutorial import parse, run_example

# ---------------------------------------------------------------------------------------
# An independent reference: MRG31k3p on Python ints, int32 wrap-around made explicit.

M1, M2 = 2147483647, 2147462579


def wrap32(x: int) -> int:
    """x reduced to a signed 32-bit int (two's complement), as C and numpy int32 do."""
    return (x + 2 ** 31) % 2 ** 32 - 2 ** 31


def ref_step(s: list[int]) -> tuple[list[int], int]:
    """One step of Theano's mrg_next_value on Python ints: (new state, k in [1, M1])."""
    x11, x12, x13, x21, x22, x23 = s

    def fold(y: int, m: int) -> int:
        return wrap32(y - m) if (y < 0 or y >= m) else y

    y1 = wrap32(((x12 & 511) << 22) + (x12 >> 9) + wrap32((x13 & 16777215) << 7) + (x13 >> 24))
    y1 = fold(y1, M1)
    y1 = fold(wrap32(y1 + x13), M1)
    x13, x12, x11 = x12, x11, y1
    y1 = fold(wrap32(((x21 & 65535) << 15) + 21069 * (x21 >> 16)), M2)
    y2 = fold(wrap32(((x23 & 65535) << 15) + 21069 * (x23 >> 16)), M2)
    y2 = fold(wrap32(y2 + x23), M2)
    y2 = fold(wrap32(y2 + y1), M2)
    x23, x22, x21 = x22, x21, y2
    k = x11 - x21 + M1 if x11 <= x21 else x11 - x21
    return [x11, x12, x13, x21, x22, x23], k


def ref_matvec(a: list[list[int]], v: list[int], m: int) -> list[int]:
    return [sum(a[i][j] * v[j] for j in range(3)) % m for i in range(3)]


def ref_matmul(a: list[list[int]], b: list[list[int]], m: int) -> list[list[int]]:
    return [[sum(a[i][j] * b[j][k] for j in range(3)) % m for k in range(3)] for i in range(3)]


def ref_matpow(a: list[list[int]], e: int, m: int) -> list[list[int]]:
    result = [[int(i == j) for j in range(3)] for i in range(3)]
    while e:
        if e & 1:
            result = ref_matmul(result, a, m)
        a = ref_matmul(a, a, m)
        e >>= 1
    return result


def ref_jump72(s: list[int]) -> list[int]:
    return ref_matvec(rng_mrg.A1p72.tolist(), s[:3], M1) + \
        ref_matvec(rng_mrg.A2p72.tolist(), s[3:], M2)


def ref_substreams(seed_state: list[int], nstreams: int) -> list[list[int]]:
    """The start states of nstreams substreams, 2**72 steps apart."""
    states = [list(seed_state)]
    for _ in range(nstreams - 1):
        states.append(ref_jump72(states[-1]))
    return states


def ref_draw(states: list[list[int]], n: int) -> list[int]:
    """k of n samples, sample i from substream i % len(states) (advances `states`)."""
    ks = []
    for i in range(n):
        states[i % len(states)], k = ref_step(states[i % len(states)])
        ks.append(k)
    return ks


def ref_samples(seed_state: list[int], n: int, nstreams: int) -> tuple[list[int], list[list]]:
    """k of the first n samples of a variable with nstreams substreams from seed_state,
    and the substreams' states after them."""
    states = ref_substreams(seed_state, nstreams)
    return ref_draw(states, n), states


# One step of each component is a linear recurrence: these are its companion matrices
# (L'Ecuyer and Touzin, MRG31k3p; Theano lists them as A1p0/A2p0).
A1P0 = [[0, 4194304, 129], [1, 0, 0], [0, 1, 0]]
A2P0 = [[32768, 0, 32769], [1, 0, 0], [0, 1, 0]]

# Theano's theano/sandbox/samples_MRG31k3p_12_7_5.txt (from L'Ecuyer et al.'s Java code):
# seed [12345]*6; stream i (12), substream j (7), sample k (5) is entry i*35 + j*5 + k.
JAVA_STREAM0 = [
    0.7353244530968368, 0.6142074400559068, 0.11007806099951267, 0.6487741703167558,
    0.36619443260133266, 0.2585685825906694, 0.9489980279468, 0.4309556516818702,
    0.12257590936496854, 0.9760319022461772, 0.6940806899219751, 0.18046841165050864,
    0.003993193618953228, 0.5351603352464736, 0.02472442388534546, 0.7705746139399707,
    0.8138928869739175, 0.9650539481081069, 0.24507411010563374, 0.35767574002966285,
    0.4939101580530405, 0.9027785388752818, 0.27498403564095497, 0.03848231676965952,
    0.3081609820947051, 0.9062023567967117, 0.009030417073518038, 0.7953705741092563,
    0.5061718439683318, 0.5975547162815928, 0.5435514179989696, 0.330895590595901,
    0.49919482320547104, 0.9409166998229921, 0.8276205519214272,
]
JAVA_STREAM1_SUB0 = [0.5180770065635443, 0.2319392478093505, 0.36197659047320485,
                     0.11120751267299056, 0.5018561617471278]
JAVA_STREAM11_SUB6 = [0.8762755445204675, 0.8020628895610571, 0.1663151141256094,
                      0.31246642768383026, 0.18852565623819828]


def draws(f, calls: int) -> np.ndarray:
    return np.array([f() for _ in range(calls)])


# ---------------------------------------------------------------------------------------
# The generator itself


@pytest.mark.parametrize("seed", [1, 12345, 2 ** 30 + 7, M2 - 1,
                                  (1, 2, 3, 4, 5, 6), (M1 - 1, 0, 0, 0, 0, M2 - 1)])
def test_mrg_next_value_matches_reference(seed):
    state = [seed] * 6 if isinstance(seed, int) else list(seed)
    got = np.asarray(state, dtype="int32")
    want = list(state)
    for _ in range(200):
        value = rng_mrg.mrg_next_value(got, got)
        want, k = ref_step(want)
        assert got.tolist() == want
        assert value == k * 2.0 ** -31
        assert 0 < value <= 1.0


def test_one_step_is_the_companion_matrix():
    # the shifts-and-masks step computes x_new = A1p0 x mod M1 (and A2p0 for the second half)
    rng = np.random.default_rng(0)
    for _ in range(50):
        s = [int(v) for v in rng.integers(0, M2, 6)]
        new, _ = ref_step(s)
        assert new[:3] == ref_matvec(A1P0, s[:3], M1)
        assert new[3:] == ref_matvec(A2P0, s[3:], M2)


def test_jump_matrices_are_powers_of_the_step():
    assert rng_mrg.A1p72.tolist() == ref_matpow(A1P0, 2 ** 72, M1)
    assert rng_mrg.A2p72.tolist() == ref_matpow(A2P0, 2 ** 72, M2)
    assert rng_mrg.A1p134.tolist() == ref_matpow(A1P0, 2 ** 134, M1)
    assert rng_mrg.A2p134.tolist() == ref_matpow(A2P0, 2 ** 134, M2)


def test_jumps_and_substreams_match_reference():
    s = [12345] * 6
    assert rng_mrg.ff_2p72(np.asarray(s, dtype="int32")).tolist() == ref_jump72(s)
    want = ref_matvec(rng_mrg.A1p134.tolist(), s[:3], M1) + \
        ref_matvec(rng_mrg.A2p134.tolist(), s[3:], M2)
    assert rng_mrg.ff_2p134(np.asarray(s, dtype="int32")).tolist() == want
    rows = [s]
    for _ in range(36):
        rows.append(ref_jump72(rows[-1]))
    for n in (1, 2, 3, 8, 37):
        got = rng_mrg.substream_states(np.asarray(s, dtype="int32"), n)
        assert got.dtype == np.int32 and got.tolist() == rows[:n]


@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.integers(1, 9),
       st.integers(1, M2 - 1), st.sampled_from(["float64", "float32", "float16"]))
def test_samples_match_reference(size, nstreams, seed, dtype):
    srng = MRG_RandomStreams(seed)
    u = srng.uniform(size=tuple(size), nstreams=nstreams, dtype=dtype)
    f = theano.function([], u, mode="FAST_COMPILE")
    n = int(np.prod(size))
    mask, offset, norm = {"float64": (-1, 0, 2.0 ** -31),
                          "float32": (-1, 0, float(np.float32(4.6566126e-10))),
                          "float16": (0x7FFF, 1, float(np.float16(3.0458e-05)))}[dtype]
    states = ref_substreams([seed] * 6, nstreams)
    for _ in range(2):  # the second call continues every substream where the first stopped
        got = f()
        assert got.shape == tuple(size) and got.dtype == dtype
        want = [np.float64(((k & mask) + offset) * norm).astype(dtype)
                for k in ref_draw(states, n)]
        np.testing.assert_array_equal(got.ravel(), np.asarray(want, dtype=dtype))


def test_published_values_of_theano():
    srng = MRG_RandomStreams(seed=12345)
    per_stream = []
    for _ in range(12):
        f = theano.function([], srng.uniform(size=(7,), nstreams=7, dtype="float64"))
        per_stream.append(draws(f, 5).T.ravel())  # substream-major, as the file is
    np.testing.assert_allclose(per_stream[0], JAVA_STREAM0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(per_stream[1][:5], JAVA_STREAM1_SUB0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(per_stream[11][-5:], JAVA_STREAM11_SUB6, rtol=0, atol=1e-15)


def test_published_values_serial_with_a_hand_made_default_update():
    # Theano's test_consistency_cpu_serial: one stream per variable, state updated by
    # the variable's default_update (set by hand, on a plain shared variable)
    stream = np.array([12345] * 6, dtype="int32")
    got = []
    for _ in range(7):
        rstate = theano.shared(stream[None, :].copy())
        new_rstate, sample = rng_mrg.mrg_uniform.new(rstate, ndim=None, dtype="float64",
                                                     size=(1,))
        rstate.default_update = new_rstate
        f = theano.function([], sample)
        got += [f()[0] for _ in range(5)]
        stream = rng_mrg.ff_2p72(stream)
    np.testing.assert_allclose(got, JAVA_STREAM0, rtol=0, atol=1e-15)


def test_float32_samples_stay_below_one():
    k = np.asarray([1, 2, M1 - 1, M1], dtype="int64")
    for dtype in ("float32", "float16", "float64"):
        values = rng_mrg._to_unit(k, dtype)
        assert values.dtype == dtype and np.all(values > 0) and np.all(values < 1)


# ---------------------------------------------------------------------------------------
# Streams: reproducibility, default updates, seeding


def test_reproducible_from_a_seed_and_advancing():
    f = theano.function([], MRG_RandomStreams(seed=4321).uniform(size=(10, 20)))
    g = theano.function([], MRG_RandomStreams(seed=4321).uniform(size=(10, 20)))
    f1, f2 = f(), f()
    assert not np.allclose(f1, f2)
    np.testing.assert_array_equal(f1, g())
    np.testing.assert_array_equal(f2, g())


def test_default_update_advances_the_state_per_call():
    srng = MRG_RandomStreams(seed=7)
    u = srng.uniform(size=(5,), nstreams=5)
    state, new_state, _, _ = srng.state_updates[-1]
    assert state.default_update is new_state
    f = theano.function([], u)
    before = state.get_value()
    f()
    after = state.get_value()
    ks, states = ref_samples(before[0].tolist(), 0, 5)
    expected = [ref_step(s)[0] for s in states]
    assert after.tolist() == expected
    f()
    assert state.get_value().tolist() == [ref_step(s)[0] for s in expected]


def test_no_default_updates():
    srng = MRG_RandomStreams(seed=99)
    u = srng.uniform(size=(4,))
    state = srng.state_updates[-1][0]
    frozen = theano.function([], u, no_default_updates=True)
    listed = theano.function([], u, no_default_updates=[state])
    start = state.get_value()
    a, b, c = frozen(), frozen(), listed()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(state.get_value(), start)
    other = theano.shared(np.zeros(2))
    # a list not naming the state keeps its default update
    moving = theano.function([], u, no_default_updates=[other])
    np.testing.assert_array_equal(moving(), a)
    assert not np.array_equal(moving(), a)
    with pytest.raises(TypeError, match="no_default_updates"):
        theano.function([], u, no_default_updates="yes")


def test_explicit_update_wins_over_the_default():
    srng = MRG_RandomStreams(seed=5)
    u = srng.uniform(size=(3,))
    state = srng.state_updates[-1][0]
    f = theano.function([], u, updates=[(state, state)])  # keeps the state
    np.testing.assert_array_equal(f(), f())


def test_default_update_of_a_plain_shared_variable():
    x = theano.shared(np.float64(1.0))
    x.default_update = x * 2
    y = theano.shared(np.float64(10.0))
    f = theano.function([], x + 1)
    assert f() == 2.0 and x.get_value() == 2.0
    assert f() == 3.0 and x.get_value() == 4.0
    # a default update using another shared variable with a default update pulls it in
    x.default_update = x + y
    y.default_update = y + 1
    g = theano.function([], x)
    g()
    assert x.get_value() == 14.0 and y.get_value() == 11.0
    # givens replacing the variable: no default update for it
    z = T.dscalar("z")
    h = theano.function([z], x * 1, givens=[(x, z)])
    assert h(3.0) == 3.0 and x.get_value() == 14.0
    # a wrong dtype is reported like an explicit update's
    w = theano.shared(np.zeros(2))
    w.default_update = T.cast(w, "int32")
    with pytest.raises(TypeError, match="dtype"):
        theano.function([], w.sum())


def test_seed_resets_every_variable():
    srng = MRG_RandomStreams(seed=11)
    u = srng.uniform(size=(6,))
    n = srng.normal(size=(3, 2))
    f = theano.function([], [u, n])
    first = f()
    f()
    srng.seed(11)
    again = f()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    srng.seed(12)
    fresh = MRG_RandomStreams(seed=12)
    g = theano.function([], [fresh.uniform(size=(6,)), fresh.normal(size=(3, 2))])
    for a, b in zip(f(), g()):
        np.testing.assert_array_equal(a, b)
    srng.seed()  # the constructor's seed
    np.testing.assert_array_equal(f()[0], first[0])


def test_streams_of_two_variables_differ():
    srng = MRG_RandomStreams(seed=3)
    a, b = srng.uniform(size=(50,)), srng.uniform(size=(50,))
    va, vb = theano.function([], [a, b])()
    assert not np.allclose(va, vb)


# ---------------------------------------------------------------------------------------
# Distributions: statistics, dtypes, shapes


def test_uniform_statistics_and_bounds():
    srng = MRG_RandomStreams(seed=123)
    v = theano.function([], srng.uniform(size=(400, 500)))()
    assert v.dtype == theano.config.floatX and v.shape == (400, 500)
    assert 0 < v.min() and v.max() < 1
    n = v.size
    assert abs(v.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(v.var() - 1 / 12) < 5 * math.sqrt(1 / 180 / n)  # var of (U-1/2)^2 is 1/180
    w = theano.function([], srng.uniform(size=(100000,), low=-3.0, high=5.0))()
    assert -3 < w.min() and w.max() < 5
    assert abs(w.mean() - 1.0) < 5 * 8 / math.sqrt(12 * w.size)


def test_uniform_with_symbolic_bounds_and_size():
    srng = MRG_RandomStreams(seed=8)
    low, high = T.dvector("low"), T.dscalar("high")
    x = T.dmatrix("x")
    u = srng.uniform(size=x.shape, low=low, high=high)
    f = theano.function([x, low, high], u)
    value = f(np.zeros((1000, 3)), np.array([-1.0, 0.0, 2.0]), 3.0)
    assert value.shape == (1000, 3)
    assert np.all(value >= [-1.0, 0.0, 2.0]) and np.all(value < 3.0)
    assert f(np.zeros((2, 5)), np.zeros(5), 1.0).shape == (2, 5)
    n = T.iscalar("n")
    v = srng.uniform(size=(n, 2))
    assert v.ndim == 2 and v.type.shape == (None, 2)
    assert theano.function([n], v)(4).shape == (4, 2)
    sv = T.lvector("sv")
    w = srng.uniform(size=sv, ndim=3)
    assert theano.function([sv], w)(np.array([2, 1, 3])).shape == (2, 1, 3)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dtypes(dtype):
    srng = MRG_RandomStreams(seed=21)
    u = srng.uniform(size=(20, 3), dtype=dtype)
    n = srng.normal(size=(7,), dtype=dtype)
    assert u.dtype == dtype and n.dtype == dtype
    vu, vn = theano.function([], [u, n])()
    assert vu.dtype == dtype and vn.dtype == dtype and vu.shape == (20, 3) and vn.shape == (7,)


def test_dtype_defaults_to_floatx():
    with theano.config.change_flags(floatX="float32"):
        srng = MRG_RandomStreams(seed=2)
        assert srng.uniform(size=(2,)).dtype == "float32"
        assert srng.normal(size=(2,)).dtype == "float32"
    srng = MRG_RandomStreams(seed=2)
    assert srng.uniform(size=(2,)).dtype == theano.config.floatX
    assert srng.uniform(size=(2,), low=np.float64(0)).dtype == "float64"


def test_normal_statistics_and_box_muller_layout():
    srng = MRG_RandomStreams(seed=31)
    z = srng.normal(size=(300, 333), avg=2.0, std=3.0)
    v = theano.function([], z)()
    assert v.shape == (300, 333)
    n = v.size
    assert abs(v.mean() - 2.0) < 5 * 3.0 / math.sqrt(n)
    assert abs(v.std() - 3.0) < 5 * 3.0 / math.sqrt(2 * n)
    # the layout: z = r cos(2 pi u2) for the first half, r sin for the second (odd sizes
    # drop the last sample), from 15360 streams (Theano's count for a symbolic size)
    srng = MRG_RandomStreams(seed=31)
    odd = theano.function([], srng.normal(size=(5,), dtype="float64"), mode="FAST_COMPILE")()
    ks, _ = ref_samples([31] * 6, 6, rng_mrg.MAX_STREAMS)
    u = np.asarray(ks, dtype="float64") * 2.0 ** -31
    r = np.sqrt(-2.0 * np.log(u[:3]))
    want = np.concatenate([r * np.cos(2 * np.pi * u[3:]), r * np.sin(2 * np.pi * u[3:])])[:5]
    assert np.all(accuracy.within_ulps(odd, want, 16))


def test_normal_truncated():
    srng = MRG_RandomStreams(seed=17)
    z = theano.function([], srng.normal(size=(20000,), truncate=True))()
    assert z.shape == (20000,)
    assert np.all(np.abs(z) <= 2.0)
    assert abs(z.std() - 0.87962566103423978) < 0.02
    t = theano.function([], srng.truncated_normal(size=(20000,), std=2.0))()
    assert np.all(np.abs(t) <= 2 * 2.0 / 0.87962566103423978 + 1e-9)
    assert abs(t.std() - 2.0) < 0.05


def test_binomial():
    srng = MRG_RandomStreams(seed=41)
    b = srng.binomial(size=(200, 500), p=0.3)
    assert b.dtype == "int64"
    v = theano.function([], b)()
    assert set(np.unique(v)) <= {0, 1}
    assert abs(v.mean() - 0.3) < 5 * math.sqrt(0.21 / v.size)
    p = T.dvector("p")
    f = theano.function([p], srng.binomial(size=(10000, 2), p=p, dtype="int8"))
    out = f(np.array([0.0, 1.0]))
    assert out.dtype == np.int8 and np.all(out[:, 0] == 0) and np.all(out[:, 1] == 1)
    with pytest.raises(NotImplementedError, match="n > 1"):
        srng.binomial(size=(2,), n=3)


def test_multinomial():
    srng = MRG_RandomStreams(seed=51)
    pvals = np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    m = srng.multinomial(pvals=pvals, n=20000)
    counts = theano.function([], m)()
    assert counts.dtype == np.int64 and counts.shape == (2, 3)
    np.testing.assert_array_equal(counts.sum(axis=1), [20000, 20000])
    assert np.all(np.abs(counts / 20000 - pvals) < 5 * np.sqrt(pvals * (1 - pvals) / 20000))
    one = theano.function([], srng.multinomial(pvals=pvals.astype("float32")))()
    np.testing.assert_array_equal(one.sum(axis=1), [1, 1])
    pv = T.dmatrix("pv")
    f = theano.function([pv], srng.multinomial(pvals=pv, n=3, dtype="float64"))
    assert f(np.array([[0.0, 1.0]])).tolist() == [[0.0, 3.0]]
    with pytest.raises(ValueError, match="size"):
        srng.multinomial(size=(2,), pvals=pvals)
    with pytest.raises(NotImplementedError, match="matrix"):
        srng.multinomial(pvals=[0.5, 0.5])
    with pytest.raises(TypeError, match="pvals"):
        srng.multinomial()


def test_multinomial_from_uniform_matches_the_loop_definition():
    rng = np.random.default_rng(1)
    pvals = rng.dirichlet(np.ones(5), size=4)
    n = 7
    unis = rng.uniform(size=4 * n)
    op = rng_mrg.MultinomialFromUniform("int64")
    got = theano.function([], op(pvals, unis, n), mode="FAST_COMPILE")()
    want = np.zeros((4, 5), dtype="int64")
    for c in range(n):
        for r in range(4):
            total = 0.0
            for m in range(5):
                total += pvals[r, m]
                if total > unis[c * 4 + r]:
                    want[r, m] += 1
                    break
    np.testing.assert_array_equal(got, want)


def loop_choice(pvals: np.ndarray, unis: np.ndarray, n: int, replace: bool) -> np.ndarray:
    """Theano's ChoiceFromUniform loop, written out."""
    pvals = pvals.astype("float64")
    rows, outcomes = pvals.shape
    out = -np.ones((rows, n), dtype="int64")
    for c in range(n):
        for r in range(rows):
            total = 0.0
            for m in range(outcomes):
                total += pvals[r, m]
                if total > unis[c * rows + r]:
                    out[r, c] = m
                    if not replace:
                        pvals[r, m] = 0.0
                        with np.errstate(invalid="ignore"):  # an exhausted row
                            pvals[r] /= pvals[r].sum()
                    break
    return out


@given(st.integers(1, 4), st.integers(2, 6), st.integers(0, 2 ** 32 - 1), st.booleans(),
       st.booleans())
def test_choice_from_uniform_matches_the_loop_definition(rows, outcomes, seed, replace,
                                                         transposed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, outcomes + 1))
    pvals = rng.dirichlet(np.ones(outcomes), size=rows)
    if transposed:  # not C-contiguous
        pvals = np.asfortranarray(pvals)
    unis = rng.uniform(size=rows * n)
    before = pvals.copy()
    op = rng_mrg.ChoiceFromUniform("int64", replace)
    got = op.perform(None, [pvals, unis, np.asarray(n)])[0]
    np.testing.assert_array_equal(got, loop_choice(pvals, unis, n, replace))
    np.testing.assert_array_equal(pvals, before)  # the caller's pvals are not touched
    multinomial = rng_mrg.MultinomialFromUniform("int64")
    node = multinomial.make_node(pvals, unis, n)
    counts = multinomial.perform(node, [pvals, unis, np.asarray(n)])[0]
    if replace:  # with replacement, the counts are the histogram of the choices
        want = np.stack([np.bincount(row[row >= 0], minlength=outcomes) for row in got])
        np.testing.assert_array_equal(counts, want)


def test_sampling_leaves_the_input_state_alone():
    state = rng_mrg.substream_states(np.full(6, 5, dtype="int32"), 3)
    before = state.copy()
    size = np.array([4, 2])
    op = rng_mrg.MRGUniform("float64", 2)
    new_state, sample = op.perform(None, [state, size])
    np.testing.assert_array_equal(state, before)
    assert not np.array_equal(new_state, before) and sample.shape == (4, 2)


def test_choice_without_replacement():
    srng = MRG_RandomStreams(seed=61)
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.97, 0.01, 0.01, 0.01]])
    c = srng.choice(size=3, p=p, replace=False)
    f = theano.function([], c)
    for _ in range(20):
        v = f()
        assert v.shape == (2, 3) and v.dtype == np.int64
        assert all(len(set(row)) == 3 for row in v.tolist())
        assert v.min() >= 0 and v.max() <= 3
    firsts = np.array([f()[1, 0] for _ in range(200)])
    assert np.mean(firsts == 0) > 0.9
    all4 = theano.function([], srng.choice(size=4, p=p))()
    assert sorted(all4[0].tolist()) == [0, 1, 2, 3]
    with pytest.warns(DeprecationWarning):
        w = srng.multinomial_wo_replacement(pvals=p, n=2)
    assert theano.function([], w)().shape == (2, 2)
    too_many = theano.function([], srng.choice(size=5, p=p))
    with pytest.raises(ValueError, match="without replacement"):
        too_many()
    with pytest.raises(TypeError, match="a must be None"):
        srng.choice(size=2, a=4, p=p)
    with_replacement = theano.function([], srng.choice(size=50, p=p, replace=True))()
    assert with_replacement.shape == (2, 50) and np.mean(with_replacement[1] == 0) > 0.8


def test_fast_run_and_fast_compile_agree():
    def build(mode):
        srng = MRG_RandomStreams(seed=77)
        u = srng.uniform(size=(30, 4), low=-2.0, high=3.0)
        b = srng.binomial(size=(50,), p=0.4)
        z = srng.normal(size=(9, 3))
        return theano.function([], [u, b, z, u * 2 + 1], mode=mode)

    fast_run, fast_compile = build("FAST_RUN"), build("FAST_COMPILE")
    for _ in range(2):  # the second call checks that both advanced their state alike
        a, b = fast_run(), fast_compile()
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert np.all(accuracy.within_ulps(a[2], b[2], 16))
        np.testing.assert_allclose(a[3], b[3], rtol=1e-15)


def test_debug_mode_runs_samples():
    srng = MRG_RandomStreams(seed=78)
    f = theano.function([], srng.uniform(size=(4,)) + 1, mode="DEBUG_MODE")
    g = theano.function([], MRG_RandomStreams(seed=78).uniform(size=(4,)) + 1,
                        mode="FAST_COMPILE")
    np.testing.assert_array_equal(f(), g())


def test_shape_of_a_sample():
    srng = MRG_RandomStreams(seed=1)
    n = T.lscalar("n")
    u = srng.uniform(size=(n, 3))
    f = theano.function([n], u.shape, mode="FAST_RUN")
    assert f(5).tolist() == [5, 3]


# ---------------------------------------------------------------------------------------
# Gradients


def test_gradients_stop_at_samples():
    srng = MRG_RandomStreams(seed=9)
    w = theano.shared(np.arange(6.0).reshape(2, 3), name="w")
    mask = srng.binomial(size=(2, 3), p=0.5, dtype=theano.config.floatX)
    cost = (w * mask).sum()
    g = theano.grad(cost, w)
    f = theano.function([], [g, mask])
    gv, mv = f()
    np.testing.assert_array_equal(gv, mv)
    low = T.dscalar("low")
    u = srng.uniform(size=(3,), low=low, high=1.0)
    with pytest.raises(NotImplementedError, match="random sampling"):
        theano.grad(u.sum(), low)
    avg = T.dscalar("avg")
    z = srng.normal(size=(3,), avg=avg)
    with pytest.raises(NotImplementedError, match="random sampling"):
        theano.grad(z.sum(), avg)


# ---------------------------------------------------------------------------------------
# Errors


def test_bad_sizes_dtypes_and_seeds():
    srng = MRG_RandomStreams(seed=1)
    with pytest.raises(TypeError, match="size"):
        srng.uniform(size=5)
    with pytest.raises(ValueError, match="<= 0|< 1"):
        srng.uniform(size=(2, 0))
    with pytest.raises(TypeError, match="size entry 1"):
        srng.uniform(size=(2, 1.5))
    with pytest.raises(TypeError, match="integers"):
        srng.uniform(size=T.dvector())
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform(size=T.lvector())
    with pytest.raises(ValueError, match="ndim=3"):
        srng.uniform(size=(2, 2), ndim=3)
    with pytest.raises(TypeError, match="dtype"):
        srng.uniform(size=(2,), dtype="int32")
    with pytest.raises(TypeError, match="unexpected keyword"):
        srng.uniform(size=(2,), color="red")
    with pytest.raises(ValueError, match="positive"):
        MRG_RandomStreams(0)
    with pytest.raises(ValueError, match="less than"):
        MRG_RandomStreams(M2)
    with pytest.raises(ValueError, match="all be 0"):
        MRG_RandomStreams((0, 0, 0, 1, 2, 3))
    with pytest.raises(ValueError, match="first 3"):
        MRG_RandomStreams((M1, 1, 1, 1, 1, 1))
    with pytest.raises(TypeError, match="6 integers"):
        MRG_RandomStreams((1, 2, 3))
    with pytest.raises(ValueError, match="nstreams"):
        srng.uniform(size=(2,), nstreams=0)
    sv = T.lvector("sv")
    f = theano.function([sv], srng.uniform(size=sv, ndim=2))
    with pytest.raises(ValueError, match="2 entries"):
        f(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="non-negative"):
        f(np.array([2, -1]))


def test_guess_n_streams():
    assert rng_mrg.guess_n_streams((3,)) == 3
    assert rng_mrg.guess_n_streams((10, 20)) == 200 // 6
    assert rng_mrg.guess_n_streams((10000, 1000)) == 60 * 256
    assert rng_mrg.guess_n_streams(T.lvector()) == 60 * 256
    with pytest.warns(UserWarning, match="guessing"):
        rng_mrg.guess_n_streams(T.lvector(), warn=True)


# ---------------------------------------------------------------------------------------
# The example script


def test_example_random_streams(tmp_path):
    out = dict(parse(run_example("random_streams.py", tmp_path)))
    ks, _ = ref_samples([1234] * 6, 4, 4)
    np.testing.assert_allclose(out["first uniform draw"], np.asarray(ks) * 2.0 ** -31,
                               rtol=1e-7)
    assert not np.allclose(out["second uniform draw"], out["first uniform draw"])
    np.testing.assert_allclose(out["after seed(1234)"], out["first uniform draw"], rtol=1e-7)
    mask = out["dropout mask"].reshape(2, 3)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    # d/dw sum((x * mask) @ w) with x = ones: each row of w gets its mask column's sum
    np.testing.assert_array_equal(out["gradient of w"].reshape(3, 2),
                                  np.repeat(mask.sum(axis=0)[:, None], 2, axis=1))
    assert out["RandomStreams repeat equal"].tolist() == [1.0]


def test_scan_draws_new_samples_every_step_and_returns_the_state_update():
    """Theano's scan adds the default updates of random states the step reads: each step
    advances the stream exactly as one call of a plain function does."""
    import tensordsl

    def draws(stream, steps):
        out, upd = tensordsl.scan(lambda: stream.uniform((3,), dtype="float64"), n_steps=steps)
        return tensordsl.function([], out, updates=upd), upd

    looped, upd = draws(MRG_RandomStreams(seed=234), 4)
    assert len(upd) == 1
    plain_stream = MRG_RandomStreams(seed=234)
    plain = tensordsl.function([], plain_stream.uniform((3,), dtype="float64"))
    first, second = looped(), looped()
    want = np.array([plain() for _ in range(8)])
    np.testing.assert_array_equal(np.concatenate([first, second]), want)
    assert len({tuple(r) for r in want}) == 8
