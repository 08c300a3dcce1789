"""The C unit of the convolution and pooling helpers (`nnet.py` calls them).

One fixed template per element type (float32 or float64): the C type, the -inf
literal, the fma function and the register block's fixed sizes (GM, GN) are the only
substitutions, so nothing a user wrote reaches the source. Entry
`td_nn` answers the OpenMP thread count; the other exported names are `td_nn` + suffix:

- `_im2col(x, cols, p, nt)`: every window of the images x (n, c, h, w; any strides,
  zero padding implicit) as rows (channel, tap row, tap col) of `cols`; row r of sample
  b starts at `r * p[10] + b * p[11]` (channel-major or per-sample layout), its out rows
  x out cols entries contiguous.
- `_col2im(gcols, gx, p, nt)`: the adjoint: gx (n, c, h, w, C-contiguous, overwritten)
  = the sum of every column entry at the pixel it was read from, taps added in (tap
  row, tap col) order per pixel, as the numpy col2im does.
- `_maxpool(x, out, p, nt)`: max over each window clipped to the image (padding and
  partial windows never win; a NaN in a window gives NaN, as np.maximum does).
- `_maxpool_grad(x, maxout, gz, gx, p, nt)`: gx (any strides, overwritten) = for each
  window, gz added to every element equal to the window's maxout (Theano's rule).
- `_gemm(a, b, out, p, nt)`: out[i] = a @ b[i] (a 2-d, b and out 3-d, unit column
  strides, any row strides): GM x GN blocks with their sums in registers (the filter
  products, where `nnet.use_gemm` says it beats OpenBLAS).
- `_im2col_t(x, cols, p, nt)`: pixel-major columns: one row per (sample, out pixel),
  the window's (channel, tap row, tap col) entries, then zeros to the row's end p[10]
  (the filter gradient's right operand).

p is an int64 vector of the geometry (order in each function). The loops run over
independent (sample, channel) planes or column rows, in parallel when `nt > 1`.
"""

from __future__ import annotations

import re

from tensordsl.backends.c.render import PRELUDE
from tensordsl.backends.cfamily.lowering import c_const

DTYPES = ("float32", "float64")
ENTRY = "td_nn"
SUFFIXES = ("_im2col", "_col2im", "_maxpool", "_maxpool_grad", "_gemm", "_im2col_t")
# td_nn_gemm's register block: GM rows of A by GN_BYTES of a row of B (10 x 2 zmm)
GM = 10
GN_BYTES = 128

_BODY = r"""
typedef long long td_ll;

/* 8 elements copied as one: a struct assignment, which gcc does as one vector move with
   no aliasing check (a loop of unknown short length, 8-24 here, stayed scalar or
   behind a runtime overlap test) */
typedef struct { T v[8]; } td_nn_blk8;

/* the first j >= 0 with j * st + off >= 0 */
static td_ll td_nn_lo(td_ll off, td_ll st)
{
    return off >= 0 ? 0 : (-off + st - 1) / st;
}

/* one past the last j < n with j * st + off < size (at least lo: an empty range) */
static td_ll td_nn_hi(td_ll off, td_ll st, td_ll size, td_ll n, td_ll lo)
{
    td_ll hi;
    if (off > size - 1) return lo;
    hi = (size - 1 - off) / st + 1;
    if (hi > n) hi = n;
    return hi > lo ? hi : lo;
}

/* np.maximum's rule: NaN when either is NaN (selects, so the loops vectorise) */
static T td_nn_max(T a, T b)
{
    return ((b > a) | (b != b)) ? b : a;
}

/* g where a == m, else +0: a bit mask instead of a select, which gcc left as a branch
   in the 2x2 gradient's short rows (mispredicted on every other element of real data);
   exact for any g (inf and NaN too), unlike g * (a == m) */
static T td_nn_pick(T a, T m, T g)
{
    union { T f; TU u; } v;
    v.f = g;
    v.u &= (TU)0 - (TU)(a == m);
    return v.f;
}

int td_nn(void)
{
    return OMP_MAX_THREADS;
}

/* p: kh, kw, oh, ow, sh, sw, dh, dw, pad top, pad left, row step, sample step */
void td_nn_im2col(td_array *xa, td_array *ca, td_array *pa, int nt)
{
    const td_ll *p = (const td_ll *)pa->data;
    const td_ll kh = p[0], kw = p[1], oh = p[2], ow = p[3], sh = p[4], sw = p[5];
    const td_ll dh = p[6], dw = p[7], pt = p[8], pl = p[9], rs = p[10], bs = p[11];
    const td_ll n = xa->dims[0], c = xa->dims[1], h = xa->dims[2], w = xa->dims[3];
    const td_ll x0 = xa->strides[0] / (td_ll)sizeof(T), x1 = xa->strides[1] / (td_ll)sizeof(T);
    const td_ll x2 = xa->strides[2] / (td_ll)sizeof(T), x3 = xa->strides[3] / (td_ll)sizeof(T);
    const T *x = (const T *)xa->data;
    T *cols = (T *)ca->data;
    const td_ll rows = c * kh * kw, pixels = oh * ow;
    const int unit = sw == 1 && x3 == 1;
    td_ll r;
    (void)nt;
    /* one column row (channel, tap) at a time over the samples: its geometry (the
       divisions, the rows and cols of the tap inside the image) once per row, not per
       (row, sample), and no bounds test per output row */
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (r = 0; r < rows; r++) {
        const td_ll ci = r / (kh * kw), u = (r / kw) % kh, v = r % kw;
        const td_ll off = v * dw - pl, yoff = u * dh - pt;
        const td_ll jlo = td_nn_lo(off, sw), jhi = td_nn_hi(off, sw, w, ow, jlo);
        const td_ll ilo = td_nn_lo(yoff, sh), ihi = td_nn_hi(yoff, sh, h, oh, ilo);
        /* every column of the tap inside the image, unit steps: whole rows copied */
        const int inner = unit && jlo == 0 && jhi == ow && ow >= 8;
        td_ll b;
        for (b = 0; b < n; b++) {
            const T *src = x + b * x0 + ci * x1;
            T *dst = cols + r * rs + b * bs;
            td_ll i, j;
            for (j = 0; j < ilo * ow; j++) dst[j] = 0;
            if (inner) {
                for (i = ilo; i < ihi; i++) {
                    const T *s = src + (i * sh + yoff) * x2 + off;
                    T *e = dst + i * ow;
                    /* the last block overlaps the one before when 8 does not divide ow:
                       the same values written twice, and no scalar tail */
                    for (j = 0; j < ow - 8; j += 8)
                        *(td_nn_blk8 *)(e + j) = *(const td_nn_blk8 *)(s + j);
                    *(td_nn_blk8 *)(e + ow - 8) = *(const td_nn_blk8 *)(s + ow - 8);
                }
                for (j = ihi * ow; j < pixels; j++) dst[j] = 0;
                continue;
            }
            for (i = ilo; i < ihi; i++) {
                const T *row = src + (i * sh + yoff) * x2;
                T *d = dst + i * ow;
                for (j = 0; j < jlo; j++) d[j] = 0;
                if (unit) {
                    /* clipped row (padding): blocks of 8, then the rest one by one */
                    const T *s = row + (jlo + off);
                    T *e = d + jlo;
                    const td_ll len = jhi - jlo;
                    for (j = 0; j + 8 <= len; j += 8)
                        *(td_nn_blk8 *)(e + j) = *(const td_nn_blk8 *)(s + j);
                    for (; j < len; j++) e[j] = s[j];
                } else {
                    for (j = jlo; j < jhi; j++) d[j] = row[(j * sw + off) * x3];
                }
                for (j = jhi; j < ow; j++) d[j] = 0;
            }
            for (j = ihi * ow; j < pixels; j++) dst[j] = 0;
        }
    }
}

/* pixel-major columns: row (sample, out row, out col) of cols (C-contiguous, rows of
   p[10] >= c * kh * kw + 8 entries) holds that window, (channel, tap row, tap col) in
   order, zero where it lies in the padding, then zeros to the row's end.
   p: as td_nn_im2col (p[11] unused). The filter gradient multiplies the output_grad by
   these rows (td_nn_gemm), not transposed. */
void td_nn_im2col_t(td_array *xa, td_array *ca, td_array *pa, int nt)
{
    const td_ll *p = (const td_ll *)pa->data;
    const td_ll kh = p[0], kw = p[1], oh = p[2], ow = p[3], sh = p[4], sw = p[5];
    const td_ll dh = p[6], dw = p[7], pt = p[8], pl = p[9], ld = p[10];
    const td_ll n = xa->dims[0], c = xa->dims[1], h = xa->dims[2], w = xa->dims[3];
    const td_ll x0 = xa->strides[0] / (td_ll)sizeof(T), x1 = xa->strides[1] / (td_ll)sizeof(T);
    const td_ll x2 = xa->strides[2] / (td_ll)sizeof(T), x3 = xa->strides[3] / (td_ll)sizeof(T);
    const T *x = (const T *)xa->data;
    T *cols = (T *)ca->data;
    const td_ll lines = n * oh;
    /* a tap row as one 8-element block: unit steps, rows adjacent in the plane (a read
       past the row's end stays in the plane), the 8 - kw extra entries overwritten by
       the next tap row (or in the row's slack past c * kh * kw) */
    const int blocks = dw == 1 && x3 == 1 && x2 == w && kw <= 8;
    td_ll t;
    (void)nt;
    /* one output row (sample, out row) per iteration: its divisions once per row */
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (t = 0; t < lines; t++) {
        const td_ll b = t / oh, i = t % oh;
        const td_ll ytop = i * sh - pt, ybot = ytop + (kh - 1) * dh;
        const T *xb = x + b * x0;
        td_ll j;
        for (j = 0; j < ow; j++) {
            const td_ll xl = j * sw - pl;
            T *dst = cols + (t * ow + j) * ld;
            td_ll ci, u, v;
            if (blocks && ytop >= 0 && ybot < h && xl >= 0 && xl + kw <= w
                    && ybot * w + xl + 8 <= h * w) {
                /* the whole window inside the image: no test per tap row (2.1 -> 0.7 ns
                   a row for LeNet's second layer) */
                const T *src = xb + ytop * w + xl;
                T *d = dst;
                for (ci = 0; ci < c; ci++, src += x1)
                    for (u = 0; u < kh; u++, d += kw)
                        *(td_nn_blk8 *)d = *(const td_nn_blk8 *)(src + u * dh * w);
            } else {
                for (ci = 0; ci < c; ci++) {
                    const T *plane = xb + ci * x1;
                    for (u = 0; u < kh; u++) {
                        const td_ll y = ytop + u * dh;
                        T *d = dst + (ci * kh + u) * kw;
                        if (y < 0 || y >= h) {
                            for (v = 0; v < kw; v++) d[v] = 0;
                            continue;
                        }
                        if (blocks && xl >= 0 && xl + kw <= w && y * w + xl + 8 <= h * w) {
                            *(td_nn_blk8 *)d = *(const td_nn_blk8 *)(plane + y * w + xl);
                            continue;
                        }
                        for (v = 0; v < kw; v++) {
                            const td_ll xc = xl + v * dw;
                            d[v] = xc >= 0 && xc < w ? plane[y * x2 + xc * x3] : (T)0;
                        }
                    }
                }
            }
            for (v = c * kh * kw; v < ld; v++) dst[v] = 0;  /* the slack: defined, zero */
        }
    }
}

/* p: as td_nn_im2col; gx (n, c, h, w) C-contiguous */
void td_nn_col2im(td_array *ga, td_array *xa, td_array *pa, int nt)
{
    const td_ll *p = (const td_ll *)pa->data;
    const td_ll kh = p[0], kw = p[1], oh = p[2], ow = p[3], sh = p[4], sw = p[5];
    const td_ll dh = p[6], dw = p[7], pt = p[8], pl = p[9], rs = p[10], bs = p[11];
    const td_ll n = xa->dims[0], c = xa->dims[1], h = xa->dims[2], w = xa->dims[3];
    const T *g = (const T *)ga->data;
    T *gx = (T *)xa->data;
    const td_ll total = n * c;
    td_ll t;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (t = 0; t < total; t++) {
        const td_ll b = t / c, ci = t % c;
        T *dst = gx + t * h * w;
        td_ll u, v, i, j;
        for (i = 0; i < h * w; i++) dst[i] = 0;
        for (u = 0; u < kh; u++) {
            for (v = 0; v < kw; v++) {
                const td_ll off = v * dw - pl;
                const td_ll jlo = td_nn_lo(off, sw), jhi = td_nn_hi(off, sw, w, ow, jlo);
                const T *src = g + ((ci * kh + u) * kw + v) * rs + b * bs;
                const td_ll yoff = u * dh - pt;
                const td_ll ilo = td_nn_lo(yoff, sh), ihi = td_nn_hi(yoff, sh, h, oh, ilo);
                if (sw == 1 && jlo == 0 && jhi == ow) {
                    /* the tap's columns wholly inside the image: its rows' range hoisted
                       (no test per row), blocks of 8 through local copies (one vector
                       add, no overlap test), the rest one by one (6.6 -> 4.1 ms for
                       LeNet's second layer; an overlapping last block with a blend of
                       the new lanes was slower than this scalar tail) */
                    for (i = ilo; i < ihi; i++) {
                        T *dd = dst + (i * sh + yoff) * w + off;
                        const T *ss = src + i * ow;
                        td_nn_blk8 acc, add;
                        td_ll q;
                        for (j = 0; j + 8 <= ow; j += 8) {
                            acc = *(td_nn_blk8 *)(dd + j);
                            add = *(const td_nn_blk8 *)(ss + j);
                            for (q = 0; q < 8; q++) acc.v[q] += add.v[q];
                            *(td_nn_blk8 *)(dd + j) = acc;
                        }
                        for (; j < ow; j++) dd[j] += ss[j];
                    }
                    continue;
                }
                for (i = 0; i < oh; i++) {
                    const td_ll y = i * sh + u * dh - pt;
                    const T *s = src + i * ow;
                    T *d;
                    if (y < 0 || y >= h) continue;
                    d = dst + y * w;
                    if (sw == 1) {  /* blocks of 8, as in td_nn_im2col */
                        T *restrict dd = d + (jlo + off);
                        const T *restrict ss = s + jlo;
                        const td_ll len = jhi - jlo;
                        td_ll q;
                        for (j = 0; j + 8 <= len; j += 8)
                            for (q = 0; q < 8; q++) dd[j + q] += ss[j + q];
                        for (; j < len; j++) dd[j] += ss[j];
                    } else {
                        for (j = jlo; j < jhi; j++) d[j * sw + off] += s[j];
                    }
                }
            }
        }
    }
}

/* the conv product td_nn_gemm: its register block laid out for 512-bit vectors where
   the CPU has them (gcc's default for this family is 256-bit) */
#pragma GCC push_options
#pragma GCC target("prefer-vector-width=512")

/* o[b] (m x n, rows o1 apart, unit columns) = A (m x k, rows a1 apart, unit columns) @
   B[b] (k x n, rows b1 apart, unit columns) for every b < batch. Each GM x GN block of o
   keeps its accumulators in registers over the whole k, broadcasting GM values of A per
   step (OpenBLAS's sgemm ran 60-117 GFLOP/s on LeNet's 50-row products); a last block
   of fewer rows reads its last row of A again (results not stored). p is unused. */
void td_nn_gemm(td_array *aa, td_array *ba, td_array *oa, td_array *pa, int nt)
{
    const td_ll m = aa->dims[0], k = aa->dims[1];
    const td_ll a1 = aa->strides[0] / (td_ll)sizeof(T);
    const td_ll batch = ba->dims[0], n = ba->dims[2];
    const td_ll b0s = ba->strides[0] / (td_ll)sizeof(T), b1 = ba->strides[1] / (td_ll)sizeof(T);
    const td_ll o0s = oa->strides[0] / (td_ll)sizeof(T), o1 = oa->strides[1] / (td_ll)sizeof(T);
    const T *ad = (const T *)aa->data;
    td_ll t;
    const td_ll panels = (n + GN - 1) / GN, tasks = batch * panels;
    (void)pa;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (t = 0; t < tasks; t++) {
        const td_ll bt = t / panels, j0 = (t % panels) * GN;
        const T *b = (const T *)ba->data + bt * b0s + j0;
        T *o = (T *)oa->data + bt * o0s + j0;
        const td_ll nw = n - j0 < GN ? n - j0 : GN;
        td_ll i0;
        for (i0 = 0; i0 < m; i0 += GM) {
            const td_ll mr = m - i0 < GM ? m - i0 : GM;
            const T *ar[GM];
            T acc[GM][GN];
            td_ll q, r, j;
            for (r = 0; r < GM; r++) ar[r] = ad + (i0 + (r < mr ? r : mr - 1)) * a1;
            for (r = 0; r < GM; r++)
                for (j = 0; j < GN; j++) acc[r][j] = 0;
            if (nw == GN) {
                for (q = 0; q < k; q++) {
                    const T *br = b + q * b1;
                    /* unrolled, so that the block stays in registers (gcc kept the
                       float64 one on the stack without the pragma: 7 GFLOP/s) */
#pragma GCC unroll 16
                    for (r = 0; r < GM; r++) {
                        const T av = ar[r][q];
                        for (j = 0; j < GN; j++) acc[r][j] = FMA(av, br[j], acc[r][j]);
                    }
                }
            } else {  /* the last, narrower panel */
                for (q = 0; q < k; q++) {
                    const T *br = b + q * b1;
                    for (r = 0; r < GM; r++) {
                        const T av = ar[r][q];
                        for (j = 0; j < nw; j++) acc[r][j] = FMA(av, br[j], acc[r][j]);
                    }
                }
            }
            if (mr == GM && nw == GN) {
                for (r = 0; r < GM; r++)
                    for (j = 0; j < GN; j++) o[(i0 + r) * o1 + j] = acc[r][j];
            } else {
                for (r = 0; r < mr; r++)
                    for (j = 0; j < nw; j++) o[(i0 + r) * o1 + j] = acc[r][j];
            }
        }
    }
}
#pragma GCC pop_options

/* p: window rows, cols, stride rows, cols, pad rows, cols; out (n, c, oh, ow) C-contiguous */
void td_nn_maxpool(td_array *xa, td_array *oa, td_array *pa, int nt)
{
    const td_ll *p = (const td_ll *)pa->data;
    const td_ll wh = p[0], ww = p[1], sh = p[2], sw = p[3], ph = p[4], pw = p[5];
    const td_ll c = xa->dims[1], h = xa->dims[2], w = xa->dims[3];
    const td_ll oh = oa->dims[2], ow = oa->dims[3];
    const td_ll x0 = xa->strides[0] / (td_ll)sizeof(T), x1 = xa->strides[1] / (td_ll)sizeof(T);
    const td_ll x2 = xa->strides[2] / (td_ll)sizeof(T), x3 = xa->strides[3] / (td_ll)sizeof(T);
    const T *x = (const T *)xa->data;
    T *out = (T *)oa->data;
    const td_ll total = oa->dims[0] * c;
    const int tiles2 = wh == 2 && ww == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0
                       && x3 == 1 && 2 * oh <= h && 2 * ow <= w;
    td_ll t;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (t = 0; t < total; t++) {
        const T *src = x + (t / c) * x0 + (t % c) * x1;
        T *dst = out + t * oh * ow;
        td_ll i, j, y, k;
        if (tiles2) {  /* 2x2 windows tiling the image: no clipping, unit steps */
            for (i = 0; i < oh; i++) {
                const T *r0 = src + 2 * i * x2, *r1 = r0 + x2;
                T *d = dst + i * ow;
                for (j = 0; j < ow; j++)
                    d[j] = td_nn_max(td_nn_max(td_nn_max(r0[2 * j], r0[2 * j + 1]),
                                               r1[2 * j]), r1[2 * j + 1]);
            }
            continue;
        }
        for (i = 0; i < oh; i++) {
            const td_ll y0 = i * sh - ph;
            const td_ll ylo = y0 < 0 ? 0 : y0, yhi = y0 + wh < h ? y0 + wh : h;
            for (j = 0; j < ow; j++) {
                const td_ll k0 = j * sw - pw;
                const td_ll klo = k0 < 0 ? 0 : k0, khi = k0 + ww < w ? k0 + ww : w;
                T m = NEG_INF;
                for (y = ylo; y < yhi; y++) {
                    const T *row = src + y * x2;
                    for (k = klo; k < khi; k++) {
                        m = td_nn_max(m, row[k * x3]);
                    }
                }
                dst[i * ow + j] = m;
            }
        }
    }
}

/* p: as td_nn_maxpool; x, maxout, gz and gx with any strides (gx shaped like x) */
void td_nn_maxpool_grad(td_array *xa, td_array *ma, td_array *za, td_array *ga,
                        td_array *pa, int nt)
{
    const td_ll *p = (const td_ll *)pa->data;
    const td_ll wh = p[0], ww = p[1], sh = p[2], sw = p[3], ph = p[4], pw = p[5];
    const td_ll c = xa->dims[1], h = xa->dims[2], w = xa->dims[3];
    const td_ll oh = ma->dims[2], ow = ma->dims[3];
    const td_ll x0 = xa->strides[0] / (td_ll)sizeof(T), x1 = xa->strides[1] / (td_ll)sizeof(T);
    const td_ll x2 = xa->strides[2] / (td_ll)sizeof(T), x3 = xa->strides[3] / (td_ll)sizeof(T);
    const td_ll m0 = ma->strides[0] / (td_ll)sizeof(T), m1 = ma->strides[1] / (td_ll)sizeof(T);
    const td_ll m2 = ma->strides[2] / (td_ll)sizeof(T), m3 = ma->strides[3] / (td_ll)sizeof(T);
    const td_ll z0 = za->strides[0] / (td_ll)sizeof(T), z1 = za->strides[1] / (td_ll)sizeof(T);
    const td_ll z2 = za->strides[2] / (td_ll)sizeof(T), z3 = za->strides[3] / (td_ll)sizeof(T);
    const td_ll g0 = ga->strides[0] / (td_ll)sizeof(T), g1 = ga->strides[1] / (td_ll)sizeof(T);
    const td_ll g2 = ga->strides[2] / (td_ll)sizeof(T), g3 = ga->strides[3] / (td_ll)sizeof(T);
    const T *x = (const T *)xa->data, *mx = (const T *)ma->data, *gz = (const T *)za->data;
    T *gx = (T *)ga->data;
    const td_ll total = xa->dims[0] * c;
    const int tiles2 = wh == 2 && ww == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0
                       && x3 == 1 && g3 == 1 && 2 * oh == h && 2 * ow == w;
    /* the planes in x's memory order: a channel-major x (a conv output) and its gx read
       and written plane after plane instead of a channel apart */
    const int cmajor = (x1 < 0 ? -x1 : x1) > (x0 < 0 ? -x0 : x0);
    const td_ll nb = xa->dims[0];
    td_ll t;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (t = 0; t < total; t++) {
        const td_ll b = cmajor ? t % nb : t / c, ci = cmajor ? t / nb : t % c;
        const T *src = x + b * x0 + ci * x1;
        const T *mp = mx + b * m0 + ci * m1, *zp = gz + b * z0 + ci * z1;
        T *dst = gx + b * g0 + ci * g1;
        td_ll i, j, y, k;
        if (tiles2) {  /* every element in exactly one 2x2 window: assigned, not added */
            for (i = 0; i < oh; i++) {
                const T *r0 = src + 2 * i * x2, *r1 = r0 + x2;
                T *d0 = dst + 2 * i * g2, *d1 = d0 + g2;
                for (j = 0; j < ow; j++) {
                    const T m = mp[i * m2 + j * m3], gv = zp[i * z2 + j * z3];
                    d0[2 * j] = td_nn_pick(r0[2 * j], m, gv);
                    d0[2 * j + 1] = td_nn_pick(r0[2 * j + 1], m, gv);
                    d1[2 * j] = td_nn_pick(r1[2 * j], m, gv);
                    d1[2 * j + 1] = td_nn_pick(r1[2 * j + 1], m, gv);
                }
            }
            continue;
        }
        for (y = 0; y < h; y++)
            for (k = 0; k < w; k++) dst[y * g2 + k * g3] = 0;
        for (i = 0; i < oh; i++) {
            const td_ll y0 = i * sh - ph;
            const td_ll ylo = y0 < 0 ? 0 : y0, yhi = y0 + wh < h ? y0 + wh : h;
            for (j = 0; j < ow; j++) {
                const td_ll k0 = j * sw - pw;
                const td_ll klo = k0 < 0 ? 0 : k0, khi = k0 + ww < w ? k0 + ww : w;
                const T m = mp[i * m2 + j * m3], gv = zp[i * z2 + j * z3];
                for (y = ylo; y < yhi; y++)
                    for (k = klo; k < khi; k++)
                        if (src[y * x2 + k * x3] == m) dst[y * g2 + k * g3] += gv;
            }
        }
    }
}
"""


def c_type(dtype: str) -> str:
    """The C element type of a float dtype this unit supports."""
    return {"float32": "float", "float64": "double"}[dtype]


def render_nnet(dtype: str, openmp: bool) -> str:
    """The C99 unit of the helpers for `dtype` elements (validated by the caller)."""
    if dtype not in DTYPES:
        raise ValueError(f"conv/pool C helpers: dtype must be one of {DTYPES}, got {dtype!r}")
    size = 4 if dtype == "float32" else 8
    body = (_BODY.replace("NEG_INF", c_const(float("-inf"), dtype))
            .replace("FMA(", "fmaf(" if dtype == "float32" else "fma(")
            .replace("OMP_MAX_THREADS", "omp_get_max_threads()" if openmp else "1"))
    # the register blocks' sizes (fixed numbers: nothing from the caller)
    blocks = {"GM": GM, "GN": GN_BYTES // size}
    body = re.sub(r"\b(GM|GN)\b", lambda m: str(blocks[m.group(1)]), body)
    if not openmp:  # the pragmas would only be ignored; keep the unit free of them
        body = "\n".join(line for line in body.splitlines()
                         if not line.startswith("#pragma omp"))
    head = [f"/* tensordsl conv and pool helpers, {dtype} elements */", PRELUDE,
            f"typedef {c_type(dtype)} T;",
            # the unsigned integer of T's size (td_nn_pick's mask)
            f"typedef {'unsigned int' if dtype == 'float32' else 'unsigned long long'} TU;",
            # explicit fused multiply-adds (the unit is built with -ffp-contract=off)
            f"{c_type(dtype)} {'fmaf' if dtype == 'float32' else 'fma'}"
            f"({c_type(dtype)}, {c_type(dtype)}, {c_type(dtype)});"]
    if openmp:
        head.append("int omp_get_max_threads(void);")
    return "\n".join(head) + body


__all__ = ["DTYPES", "ENTRY", "SUFFIXES", "c_type", "render_nnet"]
