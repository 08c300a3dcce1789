"""theano.tensor.nnet.neighbours (Theano 1.0): images2neibs / neibs2images against the
loops of Theano's Images2Neibs.perform, spelled out here; gradients by finite
differences and the adjoint identity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet.neighbours import images2neibs, neibs2images

MODES = ("valid", "ignore_borders", "half", "full", "wrap_centered")


def _grid(size, k, step, mode):
    """Theano's patch counts per mode (None: Theano raises for these sizes)."""
    if mode == "wrap_centered":
        return -(-size // step) if k % 2 == 1 and size >= k else None
    if mode == "valid":
        return 1 + (size - k) // step if size >= k and (size - k) % step == 0 else None
    if mode == "ignore_borders":
        return 1 + (size - k) // step if size >= k else None
    if mode == "half":
        return 1 + (size - k % 2) // step if size >= k and (size - k % 2) % step == 0 \
            else None
    return 1 + (size + k - 2) // step if size >= k and (size + k - 2) % step == 0 else None


def images2neibs_loops(x, neib_shape, neib_step, mode):
    """Theano 1.0's Images2Neibs.perform, one element at a time."""
    c, d = neib_shape
    sx, sy = neib_step
    nb, ns, h, w = x.shape
    gc, gd = _grid(h, c, sx, mode), _grid(w, d, sy, mode)
    out = np.empty((gc * gd * ns * nb, c * d), dtype=x.dtype)
    for n in range(nb):
        for s in range(ns):
            for a in range(gc):
                for b in range(gd):
                    row = b + gd * (a + gc * (s + ns * n))
                    for i in range(c):
                        r = i + a * sx
                        if mode in ("wrap_centered", "half"):
                            r -= c // 2
                        elif mode == "full":
                            r -= c - 1
                        if mode == "wrap_centered":
                            r = r + h if r < 0 else (r - h if r >= h else r)
                        for j in range(d):
                            q = j + b * sy
                            if mode in ("wrap_centered", "half"):
                                q -= d // 2
                            elif mode == "full":
                                q -= d - 1
                            if mode == "wrap_centered":
                                q = q + w if q < 0 else (q - w if q >= w else q)
                            inside = 0 <= r < h and 0 <= q < w
                            out[row, j + d * i] = x[n, s, r, q] if inside else 0
    return out


def _fn(mode, dtype="float64", step=True, compile_mode="FAST_RUN"):
    x = T.TensorType(dtype, (None,) * 4)("x")
    shape, stepv = T.lvector("shape"), T.lvector("step")
    out = images2neibs(x, shape, stepv if step else None, mode=mode)
    return theano.function([x, shape, stepv], out, mode=compile_mode, on_unused_input="ignore")


@pytest.mark.parametrize("compile_mode", ["FAST_COMPILE", "FAST_RUN"])
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_matches_theanos_loops(mode, compile_mode):
    rng = np.random.default_rng(0)
    f = _fn(mode, compile_mode=compile_mode)
    cases = 0
    for h, w in [(5, 7), (6, 6), (4, 9)]:
        for c, d in [(1, 1), (3, 3), (2, 3), (3, 1)]:
            for sx, sy in [(1, 1), (2, 1), (3, 2), (c, d)]:
                if None in (_grid(h, c, sx, mode), _grid(w, d, sy, mode)):
                    continue
                x = rng.standard_normal((2, 3, h, w))
                got = f(x, [c, d], [sx, sy])
                np.testing.assert_array_equal(got, images2neibs_loops(x, (c, d), (sx, sy),
                                                                      mode))
                cases += 1
    assert cases >= 6


@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(MODES), dtype=st.sampled_from(["float32", "float64", "int32"]),
       n=st.integers(0, 2), s=st.integers(1, 2), h=st.integers(1, 7), w=st.integers(1, 7),
       c=st.integers(1, 3), d=st.integers(1, 3), sx=st.integers(1, 3), sy=st.integers(1, 3),
       transposed=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_property(mode, dtype, n, s, h, w, c, d, sx, sy, transposed, seed):
    assume(None not in (_grid(h, c, sx, mode), _grid(w, d, sy, mode)))
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, s, w, h)) * 10).astype(dtype)
    x = x.transpose(0, 1, 3, 2) if transposed else x.swapaxes(2, 3).copy()  # strided too
    got = _fn(mode, dtype)(x, [c, d], [sx, sy])
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, images2neibs_loops(x, (c, d), (sx, sy), mode))


def test_default_step_is_the_patch_and_shapes_infer():
    x = T.tensor4("x")
    out = images2neibs(x, (2, 3))
    assert out.type.shape == (None, 6)
    xv = np.arange(2 * 2 * 4 * 6, dtype="float64").reshape(2, 2, 4, 6)
    f = theano.function([x], [out, out.shape])
    val, shape = f(xv)
    np.testing.assert_array_equal(val, images2neibs_loops(xv, (2, 3), (2, 3), "valid"))
    np.testing.assert_array_equal(shape, val.shape)
    for mode in MODES:
        if None in (_grid(4, 3, 1, mode), _grid(6, 3, 2, mode)):
            continue
        o = images2neibs(x, (3, 3), (1, 2), mode=mode)
        got, shp = theano.function([x], [o, o.shape])(xv)
        np.testing.assert_array_equal(shp, got.shape)


@pytest.mark.parametrize("mode", ["valid", "ignore_borders"])
def test_neibs2images_inverts_disjoint_patches(mode):
    rng = np.random.default_rng(1)
    x = T.tensor4("x")
    xv = rng.standard_normal((2, 3, 6, 8) if mode == "valid" else (2, 3, 7, 9))
    neibs = images2neibs(x, (2, 4), mode=mode)
    back = theano.function([x], neibs2images(neibs, (2, 4), x.shape, mode=mode))(xv)
    want = xv.copy()
    if mode == "ignore_borders":  # the pixels no patch covers come back as 0
        want[:, :, 6:, :] = 0
        want[:, :, :, 8:] = 0
    np.testing.assert_array_equal(back, want)
    # Theano's tutorial use: a matrix of patches and an int shape
    n = T.dmatrix("n")
    g = theano.function([n], neibs2images(n, (2, 4), (2, 3, 6, 8)))
    flat = rng.standard_normal((36, 8))
    img = g(flat)
    assert img.shape == (2, 3, 6, 8)
    np.testing.assert_array_equal(images2neibs_loops(img, (2, 4), (2, 4), "valid"), flat)
    with pytest.raises(NotImplementedError, match="mode=half"):
        neibs2images(n, (2, 2), (1, 1, 4, 4), mode="half")


@pytest.mark.parametrize("mode,shape,step,hw", [("valid", (2, 2), (2, 2), (4, 6)),
                                                ("valid", (3, 2), (1, 2), (5, 6)),
                                                ("ignore_borders", (2, 3), (2, 2), (5, 6)),
                                                ("half", (3, 3), (1, 1), (6, 6)),
                                                ("half", (2, 2), (1, 1), (6, 6)),
                                                ("full", (2, 3), (1, 2), (6, 5)),
                                                ("wrap_centered", (3, 3), (2, 1), (6, 6))])
def test_verify_grad(mode, shape, step, hw):
    rng = np.random.default_rng(2)
    xv = rng.standard_normal((2, 2) + hw)
    w = rng.standard_normal(images2neibs_loops(xv, shape, step, mode).shape)
    verify_grad(lambda x: images2neibs(x, shape, step, mode=mode) * w, [xv], rng=rng)
    # the gradient op's own gradient (second derivatives)
    verify_grad(lambda g: neibs_adjoint(g, shape, step, xv.shape, mode), [w], rng=rng)


def neibs_adjoint(g, shape, step, image_shape, mode):
    from tensordsl.ops.neighbours import Images2NeibsGrad

    return Images2NeibsGrad(mode)(g, shape, step, image_shape)


@pytest.mark.parametrize("mode", MODES)
def test_adjoint_identity(mode):
    """<images2neibs(x), g> = <x, grad>, with the gradient T.grad builds."""
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((2, 3, 7, 7))
    shape, step = (3, 3), (2, 2)
    assert _grid(7, 3, 2, mode) is not None  # a size every mode accepts
    g = rng.standard_normal(images2neibs_loops(xv, shape, step, mode).shape)
    x, gs = T.tensor4("x"), T.dmatrix("g")
    cost = T.sum(images2neibs(x, shape, step, mode=mode) * gs)
    gx = theano.function([x, gs], theano.grad(cost, x))(xv, g)
    assert np.sum(gx * xv) == pytest.approx(np.sum(images2neibs_loops(xv, shape, step, mode)
                                                   * g), rel=1e-12)


def test_errors_as_theano():
    x = T.tensor4("x")
    f = theano.function([x], images2neibs(x, (2, 2)))
    with pytest.raises(TypeError, match=r"neib_shape\[0\]=2, neib_step\[0\]=2 and "
                                        r"ten4.shape\[2\]=5 not consistent"):
        f(np.zeros((1, 1, 5, 4)))
    g = theano.function([x], images2neibs(x, (2, 3), mode="wrap_centered"))
    with pytest.raises(TypeError, match="odd shapes"):
        g(np.zeros((1, 1, 5, 5)))
    h = theano.function([x], images2neibs(x, (3, 3), mode="wrap_centered"))
    with pytest.raises(TypeError, match="smaller then the patch"):
        h(np.zeros((1, 1, 2, 5)))
    k = theano.function([x], images2neibs(x, (2, 2), (0, 1)))
    with pytest.raises(ValueError, match="neib_step wrong step"):
        k(np.zeros((1, 1, 4, 4)))
    with pytest.raises(NotImplementedError, match="Only modes"):
        images2neibs(x, (2, 2), mode="same")
    with pytest.raises(TypeError, match="4-d"):
        images2neibs(T.dmatrix(), (2, 2))
    with pytest.raises(TypeError, match="neib_shape must be an integer vector"):
        images2neibs(x, T.dvector())
    n = T.dmatrix("n")
    back = theano.function([n], neibs2images(n, (2, 2), (1, 1, 4, 4)))
    with pytest.raises(ValueError, match="neibs has shape"):
        back(np.zeros((3, 4)))


def test_namespace_as_theano():
    assert T.nnet.images2neibs is images2neibs and T.nnet.neibs2images is neibs2images
    assert T.nnet.neighbours.Images2Neibs is T.nnet.Images2Neibs


def test_symbolic_patch_sizes():
    x, n = T.tensor4("x"), T.lscalar("n")
    xv = np.arange(2 * 16, dtype="float64").reshape(1, 2, 4, 4)
    f = theano.function([x, n], images2neibs(x, (n, 2), (n, n)))
    np.testing.assert_array_equal(f(xv, 2), images2neibs_loops(xv, (2, 2), (2, 2), "valid"))
    with pytest.raises(TypeError, match="integer scalars"):
        images2neibs(x, (T.dscalar(), 2))
