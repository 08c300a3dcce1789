"""Obviously-right nested-loop references for convolution and pooling (test oracles)."""

from __future__ import annotations

import itertools

import numpy as np


def conv_pads(border_mode, kh: int, kw: int, dilation: tuple[int, int]) -> list[tuple[int, int]]:
    """Per spatial dim (before, after) zero padding, spelled out mode by mode."""
    ext = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1]
    if border_mode == "valid":
        return [(0, 0), (0, 0)]
    if border_mode == "full":
        return [(ext[0] - 1,) * 2, (ext[1] - 1,) * 2]
    if border_mode == "half":
        return [(ext[0] // 2,) * 2, (ext[1] // 2,) * 2]
    if isinstance(border_mode, int):
        return [(border_mode,) * 2] * 2
    if isinstance(border_mode[0], int):
        return [(border_mode[0],) * 2, (border_mode[1],) * 2]
    return [tuple(border_mode[0]), tuple(border_mode[1])]


def conv2d_loops(img: np.ndarray, kern: np.ndarray, border_mode="valid", subsample=(1, 1),
                 filter_flip=True, filter_dilation=(1, 1), num_groups=1) -> np.ndarray:
    """The definition, one output element at a time, accumulated in float64."""
    n, c, h, w = img.shape
    o, kc, kh, kw = kern.shape
    (pt, pb), (pl, pr) = conv_pads(border_mode, kh, kw, filter_dilation)
    padded = np.zeros((n, c, h + pt + pb, w + pl + pr))
    padded[:, :, pt:pt + h, pl:pl + w] = img
    k = kern[:, :, ::-1, ::-1] if filter_flip else kern
    dh, dw = filter_dilation
    sh, sw = subsample
    oh = (h + pt + pb - ((kh - 1) * dh + 1)) // sh + 1
    ow = (w + pl + pr - ((kw - 1) * dw + 1)) // sw + 1
    out = np.zeros((n, o, oh, ow))
    per_group = o // num_groups
    for b, f, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = f // per_group
        total = 0.0
        for ci, u, v in itertools.product(range(kc), range(kh), range(kw)):
            total += (float(padded[b, g * kc + ci, i * sh + u * dh, j * sw + v * dw])
                      * float(k[f, ci, u, v]))
        out[b, f, i, j] = total
    return out


def pool_out_size(size: int, ws: int, stride: int, pad: int, ignore_border: bool) -> int:
    """Theano 1.0's Pool.out_shape for one dim, written out."""
    v = size + 2 * pad
    if ignore_border:
        return max(0, (v - ws) // stride + 1)
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws + stride) // stride) + 1


def pool2d_loops(x: np.ndarray, ws, ignore_border: bool, stride=None, pad=(0, 0),
                 mode: str = "max") -> np.ndarray:
    """Theano 1.0's Pool.perform, region by region over the last two dims."""
    stride = ws if stride is None else stride
    h, w = x.shape[-2:]
    oh = pool_out_size(h, ws[0], stride[0], pad[0], ignore_border)
    ow = pool_out_size(w, ws[1], stride[1], pad[1], ignore_border)
    hp, wp = h + 2 * pad[0], w + 2 * pad[1]
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for lead in np.ndindex(*x.shape[:-2]):
        for i, j in itertools.product(range(oh), range(ow)):
            r0, c0 = i * stride[0], j * stride[1]
            r1, c1 = min(r0 + ws[0], hp), min(c0 + ws[1], wp)
            if mode != "average_inc_pad":
                r0, c0 = max(r0, pad[0]), max(c0, pad[1])
                r1, c1 = min(r1, h + pad[0]), min(c1, w + pad[1])
            values = [float(x[lead + (r - pad[0], c - pad[1])])
                      if pad[0] <= r < h + pad[0] and pad[1] <= c < w + pad[1] else 0.0
                      for r in range(r0, r1) for c in range(c0, c1)]
            if mode == "max":
                out[lead + (i, j)] = max(values)
            elif mode == "sum":
                out[lead + (i, j)] = sum(values)
            else:
                out[lead + (i, j)] = sum(values) / len(values)
    return out


def pool2d_grad_loops(x: np.ndarray, gz: np.ndarray, ws, ignore_border: bool, stride=None,
                      pad=(0, 0), mode: str = "max") -> np.ndarray:
    """Theano's MaxPoolGrad / AveragePoolGrad by loops: each gz goes to its window's
    maxima (max), to every element (sum), or is split evenly by the window's count."""
    stride = ws if stride is None else stride
    h, w = x.shape[-2:]
    hp, wp = h + 2 * pad[0], w + 2 * pad[1]
    oh, ow = gz.shape[-2:]
    gx = np.zeros(x.shape)
    for lead in np.ndindex(*x.shape[:-2]):
        for i, j in itertools.product(range(oh), range(ow)):
            r0, c0 = i * stride[0], j * stride[1]
            r1, c1 = min(r0 + ws[0], hp), min(c0 + ws[1], wp)
            count = (r1 - r0) * (c1 - c0)
            real = [(r - pad[0], c - pad[1]) for r in range(r0, r1) for c in range(c0, c1)
                    if pad[0] <= r < h + pad[0] and pad[1] <= c < w + pad[1]]
            g = float(gz[lead + (i, j)])
            if mode == "max":
                top = max(float(x[lead + rc]) for rc in real)
                targets, share = [rc for rc in real if x[lead + rc] == top], g
            elif mode == "sum":
                targets, share = real, g
            elif mode == "average_inc_pad":
                targets, share = real, g / count
            else:
                targets, share = real, g / len(real)
            for rc in targets:
                gx[lead + rc] += share
    return gx


def unshared_conv2d_loops(img: np.ndarray, kern: np.ndarray, border_mode="valid",
                          subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1),
                          num_groups=1) -> np.ndarray:
    """Theano 1.0's reference steps for conv2d(unshared=True), spelled out with loops.

    As AbstractConv.perform: pad; flip the filters when filter_flip is False (the
    per-position product below flips them back: a true convolution when True); spread
    the filters over the stride-1 output grid (zeros between strided positions); dilate
    them; per position, sum(window * filter[::-1, ::-1]); keep every stride-th output.
    """
    n, c, h, w = img.shape
    o, oh, ow, kc, kh, kw = kern.shape
    (pt, pb), (pl, pr) = conv_pads(border_mode, kh, kw, filter_dilation)
    padded = np.zeros((n, c, h + pt + pb, w + pl + pr))
    padded[:, :, pt:pt + h, pl:pl + w] = img
    k = kern.astype("float64")
    if not filter_flip:
        k = k[..., ::-1, ::-1]
    dh, dw = filter_dilation
    sh, sw = subsample
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    full_h, full_w = padded.shape[2] - ekh + 1, padded.shape[3] - ekw + 1
    assert ((full_h - 1) // sh + 1, (full_w - 1) // sw + 1) == (oh, ow), "filter grid"
    spread = np.zeros((o, full_h, full_w, kc, kh, kw))
    spread[:, ::sh, ::sw] = k
    dilated = np.zeros((o, full_h, full_w, kc, ekh, ekw))
    dilated[..., ::dh, ::dw] = spread
    full = np.zeros((n, o, full_h, full_w))
    per_group = o // num_groups
    for b, f, ci, r, col in itertools.product(range(n), range(o), range(kc), range(full_h),
                                              range(full_w)):
        g = f // per_group
        window = padded[b, g * kc + ci, r:r + ekh, col:col + ekw]
        full[b, f, r, col] += np.sum(window * dilated[f, r, col, ci, ::-1, ::-1])
    return full[:, :, ::sh, ::sw]
