"""numpy kernels of 2-d convolution (NCHW) and its two gradients, and conv geometry.

`filter_flip=True` is a true convolution (the filters are flipped in both spatial
dims), False a cross-correlation. Each kernel is im2col + GEMM: an `as_strided` view of
the padded images gives every window, one copy lays it out channel-major as
(channels*kh*kw, batch*out rows*out cols), and a single large matrix product with the
(out channels, channels*kh*kw) filter matrix gives the output, the filter gradient or
the column gradient (scatter-added back by col2im). Results are (channel, batch, ...)
arrays returned as NCHW views, so no transpose copy is made. A forward pass with short
columns (a first layer) uses per-sample GEMMs instead. docs/nnet.md has the timings that
chose this over tensordot, einsum and shifted GEMMs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Forward passes whose columns are at most this long (in_ch/groups * kh * kw) use one GEMM
# per sample: a first layer (K = 25) is 2-3x faster that way, a second (K = 500) 2-4x
# slower (tools/bench_conv_layouts.py; docs/nnet.md).
PER_SAMPLE_MAX_K = 64
# border_mode after normalisation: 'valid' | 'full' | 'half' | ((top, bottom), (left, right))
Pads = tuple[tuple[int, int], tuple[int, int]]
BORDER_WORDS = ("valid", "full", "half")


def is_int(value: Any) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def int_pair(value: Any, what: str, minimum: int = 1) -> tuple[int, int]:
    """`value` as a pair of Python ints >= minimum, or a ValueError naming `what`."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(is_int(v) for v in value)):
        raise ValueError(f"conv2d: {what} must be a pair of ints, got {value!r}")
    if any(int(v) < minimum for v in value):
        raise ValueError(f"conv2d: {what} must be >= {minimum}, got {tuple(value)!r}")
    return int(value[0]), int(value[1])


def normalize_border_mode(border_mode: Any) -> str | Pads:
    """'valid', 'full', 'half', or explicit ((top, bottom), (left, right)) zero padding.

    An int pads every border by it, (h, w) pads top/bottom by h and left/right by w, and
    ((top, bottom), (left, right)) pads each border on its own (one of the two may be an
    int, as Theano 1.0 allows); all-zero padding is 'valid'.
    """
    if isinstance(border_mode, str):
        if border_mode not in BORDER_WORDS:
            raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or "
                             f"a pair of ints, got {border_mode!r}")
        return border_mode
    if is_int(border_mode):
        if border_mode < 0:
            raise ValueError(f"conv2d: border_mode must be >= 0, got {border_mode!r}")
        pads = ((int(border_mode),) * 2,) * 2
    elif (isinstance(border_mode, (tuple, list)) and len(border_mode) == 2
          and any(isinstance(b, (tuple, list)) for b in border_mode)):
        # ((top, bottom), (left, right)), or Theano 1.0's mixed (h, (left, right)) and
        # ((top, bottom), w): an int pads both sides of its dim
        pads = tuple(int_pair(b, "border_mode", minimum=0) if isinstance(b, (tuple, list))
                     else int_pair((b, b), "border_mode", minimum=0)
                     for b in border_mode)  # type: ignore[assignment]
    elif isinstance(border_mode, (tuple, list)):
        p = int_pair(border_mode, "border_mode", minimum=0)
        pads = ((p[0], p[0]), (p[1], p[1]))
    else:
        raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a "
                         f"pair of ints, got {border_mode!r}")
    return "valid" if pads == ((0, 0), (0, 0)) else pads


def dilated(k: Any, dilation: int) -> Any:
    """The extent of a kernel of size `k` with `dilation` (ints, variables; None: unknown)."""
    return None if k is None else (k - 1) * dilation + 1


def pads_for(border_mode: str | Pads, kshape: tuple[Any, Any], dilation: tuple[int, int]
             ) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Explicit per-border padding for a (normalised) border mode and kernel size."""
    if border_mode == "valid":
        return ((0, 0), (0, 0))
    if border_mode in ("full", "half"):
        pads = []
        for k, d in zip(kshape, dilation):
            ext = dilated(k, d)
            pad = None if ext is None else (ext - 1 if border_mode == "full" else ext // 2)
            pads.append((pad, pad))
        return tuple(pads)  # type: ignore[return-value]
    return border_mode  # type: ignore[return-value]


def conv_out_size(size: Any, k: Any, pads: tuple[Any, Any], stride: int, dilation: int) -> Any:
    """Output size of one spatial dim (ints, or symbolic scalars, or None if unknown)."""
    if size is None or k is None or pads[0] is None:
        return None
    return (size + pads[0] + pads[1] - dilated(k, dilation)) // stride + 1


def get_conv_output_shape(image_shape: tuple, kernel_shape: tuple, border_mode: Any,
                          subsample: tuple[int, int],
                          filter_dilation: tuple[int, int] | None = None) -> tuple:
    """Theano's abstract_conv.get_conv_output_shape for NCHW shapes (entries may be None)."""
    mode = normalize_border_mode(border_mode)
    subsample = int_pair(subsample, "subsample")
    filter_dilation = int_pair((1, 1) if filter_dilation is None else filter_dilation,
                               "filter_dilation")
    kshape = tuple(kernel_shape[2:])
    pads = pads_for(mode, kshape, filter_dilation)  # type: ignore[arg-type]
    spatial = tuple(
        None if k is None else conv_out_size(s, k, p, st, d)
        for s, k, p, st, d in zip(image_shape[2:], kshape, pads, subsample, filter_dilation))
    return (image_shape[0], kernel_shape[0]) + spatial


# ---------------------------------------------------------------- numpy kernels


def _pad_images(x: np.ndarray, pads: Pads) -> np.ndarray:
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads))


def _out_size(size: int, k: int, pads: tuple[int, int], stride: int, dilation: int,
              dim: int, where: str) -> int:
    if size + pads[0] + pads[1] < dilated(k, dilation):
        raise ValueError(f"{where}: the filters span {dilated(k, dilation)} in dim {dim} (size "
                         f"{k}, dilation {dilation}) but the padded input has only "
                         f"{size + pads[0] + pads[1]}")
    return conv_out_size(size, k, pads, stride, dilation)


class ColumnKernels:
    """im2col and col2im, in numpy; the C backend passes its compiled ones
    (`backends/c/nnet.py`), so the conv arithmetic around them is written once.

    `columns` and `sample_columns` lay every window of the (implicitly zero-padded)
    images out as rows (channel, tap row, tap col); `col2im` scatter-adds such rows back
    into images. Window geometry: kshape, oshape (output rows, cols), stride, dilation,
    pads ((top, bottom), (left, right)).
    """

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A new array for a result (the C backend's recycles its last call's)."""
        return np.empty(shape, dtype=dtype)

    def run_slices(self, body: Callable[[int, int], Any], slices: list[tuple[int, int]]
                   ) -> list[Any]:
        """[body(b0, b1) for each batch slice], in order (the C backend's splits the slices
        between threads)."""
        return [body(b0, b1) for b0, b1 in slices]

    def chunk(self, n: int, per_sample: int) -> int:
        """Samples per batch slice when each sample's columns hold `per_sample` entries:
        numpy takes the whole batch at once (one large product: a loop of numpy calls per
        slice costs more than the memory traffic it saves)."""
        return max(n, 1)

    def scratch(self, tag: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A work array used within one batch slice (or one op call) and never returned:
        new here; the C backend's is this thread's buffer of that `tag`, which its next
        scratch of the same tag overwrites (a fresh megabyte per slice cost page
        faults)."""
        return np.empty(shape, dtype=dtype)

    def pixel_gradient_width(self, m: int, k: int, groups: int, dtype: Any) -> int:
        """Nonzero when the filter gradient (m filters, k taps, `groups`) is better
        computed from `pixel_columns` of that width (the C backend's, for its compiled
        product); 0: channel-major columns (numpy has no pixel-major columns)."""
        return 0

    def pixel_columns(self, img: np.ndarray, pads: Pads, kshape: tuple[int, int],
                      oshape: tuple[int, int], stride: tuple[int, int],
                      dilation: tuple[int, int], width: int, scratch: bool = False
                      ) -> np.ndarray:
        """(batch * out pixels, width) rows: each a window, (channel, tap row, tap col),
        then entries to ignore (only where `pixel_gradient_width` is nonzero)."""
        raise NotImplementedError("numpy columns are channel-major")

    def left_product(self, a: np.ndarray) -> Callable[[np.ndarray, np.ndarray], Any]:
        """`product(b, out)`: out = a @ b (np.matmul broadcasting over b's leading dims),
        for a left operand `a` (m x k) that every batch slice multiplies (the C backend
        may run it in its own kernel)."""
        return lambda b, out: np.matmul(a, b, out=out)

    def columns(self, img: np.ndarray, pads: Pads, kshape: tuple[int, int],
                oshape: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                groups: int, scratch: bool = False) -> np.ndarray:
        """Channel-major columns (groups, channels/groups * kh * kw, batch * out pixels);
        with `scratch` they may be written into a `scratch` array ("columns")."""
        return _columns(_pad_images(img, pads), kshape, oshape, stride, dilation, groups)

    def sample_columns(self, img: np.ndarray, pads: Pads, kshape: tuple[int, int],
                       oshape: tuple[int, int], stride: tuple[int, int],
                       dilation: tuple[int, int], groups: int, scratch: bool = False
                       ) -> np.ndarray:
        """Per-sample columns (batch, groups, channels/groups * kh * kw, out pixels);
        `scratch` as for `columns`."""
        xp = _pad_images(img, pads)
        n, c, _, _ = xp.shape
        s = xp.strides
        cg = c // groups
        win = as_strided(xp, (n, groups, cg, kshape[0], kshape[1], *oshape),
                         (s[0], s[1] * cg, s[1], s[2] * dilation[0], s[3] * dilation[1],
                          s[2] * stride[0], s[3] * stride[1]), writeable=False)
        return np.ascontiguousarray(win).reshape(n, groups, cg * kshape[0] * kshape[1],
                                                 oshape[0] * oshape[1])

    def col2im(self, gcols: np.ndarray, ishape: tuple[int, int, int, int], pads: Pads,
               kshape: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
               out: np.ndarray | None = None) -> np.ndarray:
        """Images (batch, channels, rows, cols) = the sum of every column entry of gcols,
        (channels * kh * kw, batch, out rows, out cols), at the pixel it was read from;
        written into `out` when given (a C-contiguous array of that shape)."""
        n, c, h, w = ishape
        kh, kw = kshape
        _, _, oh, ow = gcols.shape
        gc = gcols.reshape(c, kh, kw, n, oh, ow)
        hp, wp = h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1]
        gx = np.zeros((c, n, hp, wp), dtype=gcols.dtype)  # channel-major, like the columns
        for u in range(kh):
            rows = slice(u * dilation[0], u * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
            for v in range(kw):
                cols = slice(v * dilation[1], v * dilation[1] + stride[1] * (ow - 1) + 1,
                             stride[1])
                gx[:, :, rows, cols] += gc[:, u, v]
        crop = gx[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]
        if out is None:
            return crop.transpose(1, 0, 2, 3)
        out[...] = crop.transpose(1, 0, 2, 3)
        return out


def _slices(n: int, step: int) -> list[tuple[int, int]]:
    """[b0, b1) batch slices of `step` samples (one empty slice for an empty batch)."""
    return [(b0, min(b0 + step, n)) for b0 in range(0, n, step)] or [(0, 0)]


NUMPY_COLUMNS = ColumnKernels()


def _columns(xp: np.ndarray, kshape: tuple[int, int], oshape: tuple[int, int],
             stride: tuple[int, int], dilation: tuple[int, int], groups: int) -> np.ndarray:
    """im2col, channel-major: (groups, channels/groups * kh * kw, batch * out pixels).

    One copy of a strided window view; this layout makes every product below one large
    GEMM (per-sample GEMMs are several times slower for the second LeNet layer).
    """
    n, c, _, _ = xp.shape
    s = xp.strides
    cg = c // groups
    win = as_strided(xp, (groups, cg, kshape[0], kshape[1], n, *oshape),
                     (s[1] * cg, s[1], s[2] * dilation[0], s[3] * dilation[1], s[0],
                      s[2] * stride[0], s[3] * stride[1]), writeable=False)
    return np.ascontiguousarray(win).reshape(groups, cg * kshape[0] * kshape[1],
                                             n * oshape[0] * oshape[1])


def _channel_major(topgrad: np.ndarray, groups: int) -> np.ndarray:
    """(batch, out channels, rows, cols) as (groups, out channels/groups, batch * pixels)."""
    n, o, oh, ow = topgrad.shape
    return topgrad.transpose(1, 0, 2, 3).reshape(groups, o // groups, n * oh * ow)


def check_groups(c_in: int, kern_c: int, out_c: int, groups: int, where: str) -> None:
    """Channels and filters must split into `groups` matching groups."""
    if c_in % groups:
        raise ValueError(f"{where}: the input's {c_in} channels are not divisible by "
                         f"num_groups={groups}")
    if out_c % groups:
        raise ValueError(f"{where}: the {out_c} filters are not divisible by "
                         f"num_groups={groups}")
    if c_in != kern_c * groups:
        raise ValueError(f"{where}: the input has {c_in} channels but the filters take "
                         f"{kern_c} per group x num_groups={groups} = {kern_c * groups} "
                         f"(filters shape[1] must be input channels / num_groups)")


def conv2d_forward(img: np.ndarray, kern: np.ndarray, border_mode: str | Pads,
                   stride: tuple[int, int], dilation: tuple[int, int], flip: bool,
                   groups: int, dtype: str, impl: ColumnKernels = NUMPY_COLUMNS
                   ) -> np.ndarray:
    """out[n, o, i, j] = sum_{c,u,v} pad(img)[n, g*Cg + c, i*s + u*d, j*s + v*d] * K[o, c, u, v]
    with K = kern flipped in both spatial dims when `flip` (g = o's group)."""
    n, c, h, w = img.shape
    o, kc, kh, kw = kern.shape
    check_groups(c, kc, o, groups, "conv2d")
    pads = pads_for(border_mode, (kh, kw), dilation)
    oh = _out_size(h, kh, pads[0], stride[0], dilation[0], 2, "conv2d")
    ow = _out_size(w, kw, pads[1], stride[1], dilation[1], 3, "conv2d")
    img, kern = img.astype(dtype, copy=False), kern.astype(dtype, copy=False)
    if flip:
        kern = kern[:, :, ::-1, ::-1]
    kmat = kern.reshape(groups, o // groups, kc * kh * kw)  # copies only a flipped kernel
    geometry = (pads, (kh, kw), (oh, ow), stride, dilation, groups)
    pixels = oh * ow
    # the batch in slices whose columns stay in cache (one slice: the numpy kernels)
    slices = _slices(n, impl.chunk(n, kc * groups * kh * kw * pixels))
    products = [impl.left_product(kmat[g]) for g in range(groups)]
    if kc * kh * kw <= PER_SAMPLE_MAX_K:
        # one (out_ch, K) @ (K, pixels) GEMM per sample and group: short K (a first layer)
        out = impl.empty((n, groups, o // groups, pixels), dtype)

        def per_sample(b0: int, b1: int) -> None:
            cols = impl.sample_columns(img[b0:b1], *geometry, scratch=True)
            for g in range(groups):
                products[g](cols[:, g], out[b0:b1, g])

        impl.run_slices(per_sample, slices)
        return out.reshape(n, o, oh, ow)
    out = impl.empty((groups, o // groups, n * pixels), dtype)

    def channel_major(b0: int, b1: int) -> None:
        cols = impl.columns(img[b0:b1], *geometry, scratch=True)
        for g in range(groups):
            products[g](cols[g], out[g, :, b0 * pixels:b1 * pixels])

    impl.run_slices(channel_major, slices)
    # channel-major result returned as an NCHW view: no copy (consumers take any strides)
    return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)


def conv2d_grad_weights(img: np.ndarray, topgrad: np.ndarray, kshape: tuple[int, int],
                        border_mode: str | Pads, stride: tuple[int, int],
                        dilation: tuple[int, int], flip: bool, groups: int, dtype: str,
                        impl: ColumnKernels = NUMPY_COLUMNS) -> np.ndarray:
    """d sum(topgrad * conv2d(img, K)) / dK for filters K of spatial size `kshape`."""
    n, c, h, w = img.shape
    kh, kw = kshape
    o = topgrad.shape[1]
    if c % groups or o % groups:
        raise ValueError(f"conv2d_grad_wrt_weights: the input's {c} channels and the "
                         f"output_grad's {o} channels must be divisible by num_groups={groups}")
    pads = pads_for(border_mode, (kh, kw), dilation)
    oh = _out_size(h, kh, pads[0], stride[0], dilation[0], 2, "conv2d_grad_wrt_weights")
    ow = _out_size(w, kw, pads[1], stride[1], dilation[1], 3, "conv2d_grad_wrt_weights")
    _check_topgrad(topgrad, (n, oh, ow), "conv2d_grad_wrt_weights")
    img, topgrad = img.astype(dtype, copy=False), topgrad.astype(dtype, copy=False)
    geometry = (pads, (kh, kw), (oh, ow), stride, dilation, groups)
    slices = _slices(n, impl.chunk(n, c * kh * kw * oh * ow))

    cg_k = (c // groups) * kh * kw
    width = impl.pixel_gradient_width(o // groups, cg_k, groups, dtype)
    if width:
        # one group: (out channels, batch * pixels) @ pixel-major columns, the product
        # the compiled kernel runs fast (the channel-major one, columns @ output_grad.T,
        # has no short dimension for its register block)
        parts = impl.scratch("parts", (len(slices), o, width), dtype)
        step = max(1, slices[0][1] - slices[0][0])

        def by_pixels(b0: int, b1: int) -> np.ndarray:
            cols = impl.pixel_columns(img[b0:b1], pads, (kh, kw), (oh, ow), stride, dilation,
                                      width, scratch=True)
            part = parts[b0 // step]
            impl.left_product(_channel_major(topgrad[b0:b1], 1)[0])(cols, part)
            return part

        found = impl.run_slices(by_pixels, slices)
        acc = found[0][:, :cg_k].copy()
        for part in found[1:]:  # in slice order, whichever thread computed them
            acc += part[:, :cg_k]
        out = acc.reshape(o, c, kh, kw)
        return np.ascontiguousarray(out[:, :, ::-1, ::-1] if flip else out)
    if cg_k <= PER_SAMPLE_MAX_K and abs(topgrad.strides[0]) >= abs(topgrad.strides[1]):
        # short columns and a sample-major output_grad (a first layer): one small
        # product per sample, summed; the channel-major copy of the output_grad that
        # one large product needs cost more than the product (4 ms of 12 for LeNet's)
        def partial(b0: int, b1: int) -> np.ndarray:
            # (b, groups, K, pixels)
            cols = impl.sample_columns(img[b0:b1], *geometry, scratch=True)
            gz = topgrad[b0:b1].reshape(b1 - b0, groups, o // groups, oh * ow)
            return np.matmul(cols, gz.transpose(0, 1, 3, 2)).sum(axis=0)
    else:
        partial = _channel_major_partial(img, topgrad, geometry, impl, dtype, slices)
    parts = impl.run_slices(partial, slices)
    acc = parts[0].copy()  # (a part may be a view of a scratch array)
    for part in parts[1:]:  # in slice order, whichever thread computed them
        acc += part
    out = acc.transpose(0, 2, 1).reshape(o, c // groups, kh, kw)
    return np.ascontiguousarray(out[:, :, ::-1, ::-1] if flip else out)


def _channel_major_partial(img: np.ndarray, topgrad: np.ndarray, geometry: tuple,
                           impl: ColumnKernels, dtype: str, slices: list[tuple[int, int]]
                           ) -> Callable[[int, int], Any]:
    """The filter gradient of a batch slice, (groups, K, out channels / groups), as one
    product per group of channel-major columns and output_grad (each slice's in its own
    row of one scratch array: they are summed in slice order after all have run)."""
    groups = geometry[-1]
    o, kc = topgrad.shape[1], img.shape[1] // groups
    kh, kw = geometry[1]
    parts = impl.scratch("parts", (len(slices), groups, kc * kh * kw, o // groups), dtype)
    step = max(1, slices[0][1] - slices[0][0])

    def partial(b0: int, b1: int) -> np.ndarray:
        cols = impl.columns(img[b0:b1], *geometry, scratch=True)
        gz = _channel_major(topgrad[b0:b1], groups)
        part = parts[b0 // step]
        for g in range(groups):
            # the sum over batch and output pixels is the GEMM's inner dimension; computed
            # as (cols @ gz.T).T, 1.2-4x faster with OpenBLAS than gz @ cols.T here
            np.matmul(cols[g], gz[g].T, out=part[g])
        return part

    return partial


def conv2d_grad_inputs(kern: np.ndarray, topgrad: np.ndarray, ishape: tuple[int, int],
                       border_mode: str | Pads, stride: tuple[int, int],
                       dilation: tuple[int, int], flip: bool, groups: int, dtype: str,
                       impl: ColumnKernels = NUMPY_COLUMNS) -> np.ndarray:
    """d sum(topgrad * conv2d(X, kern)) / dX for images X of spatial size `ishape` (col2im)."""
    o, kc, kh, kw = kern.shape
    n = topgrad.shape[0]
    h, w = ishape
    if topgrad.shape[1] != o:
        raise ValueError(f"conv2d_grad_wrt_inputs: output_grad has {topgrad.shape[1]} "
                         f"channels but there are {o} filters")
    if o % groups:
        raise ValueError(f"conv2d_grad_wrt_inputs: the {o} filters are not divisible by "
                         f"num_groups={groups}")
    pads = pads_for(border_mode, (kh, kw), dilation)
    oh = _out_size(h, kh, pads[0], stride[0], dilation[0], 2, "conv2d_grad_wrt_inputs")
    ow = _out_size(w, kw, pads[1], stride[1], dilation[1], 3, "conv2d_grad_wrt_inputs")
    _check_topgrad(topgrad, (n, oh, ow), "conv2d_grad_wrt_inputs")
    kern, topgrad = kern.astype(dtype, copy=False), topgrad.astype(dtype, copy=False)
    if flip:
        kern = kern[:, :, ::-1, ::-1]
    kmat = kern.reshape(groups, o // groups, kc * kh * kw)
    rows = groups * kc * kh * kw
    slices = _slices(n, impl.chunk(n, rows * oh * ow))
    gx = None if len(slices) == 1 else impl.empty((n, groups * kc, h, w), dtype)

    def images(b0: int, b1: int) -> np.ndarray:
        gz = _channel_major(topgrad[b0:b1], groups)
        # the gradient of each column entry (one GEMM per group), then col2im scatter-adds
        # every filter tap back into the images
        gcols = impl.scratch("column gradients", (groups, kc * kh * kw, (b1 - b0) * oh * ow),
                             dtype)
        for g in range(groups):
            np.matmul(kmat[g].T, gz[g], out=gcols[g])
        return impl.col2im(gcols.reshape(rows, b1 - b0, oh, ow), (b1 - b0, groups * kc, h, w),
                           pads, (kh, kw), stride, dilation, None if gx is None else gx[b0:b1])

    parts = impl.run_slices(images, slices)
    return parts[0] if gx is None else gx


def _check_topgrad(topgrad: np.ndarray, expected: tuple[int, int, int], where: str) -> None:
    n, oh, ow = expected
    if topgrad.shape[0] != n or topgrad.shape[2:] != (oh, ow):
        raise ValueError(f"{where}: output_grad has shape {topgrad.shape}, expected batch "
                         f"{n} and spatial shape {(oh, ow)} for these shapes and parameters")
