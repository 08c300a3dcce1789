/* tensordsl MRG31k3p uniform draw (Theano's mrg_uniform), float64 samples, one work-item per stream */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

/* int32 wrap-around: the unsigned value as a two's-complement int (no overflow) */
static inline int td_s32(unsigned int u)
{
    return u < 2147483648u ? (int)u : -(int)(4294967295u - u) - 1;
}

/* Theano's conditional subtraction: y - m when y is negative or at least m */
static inline int td_fold(int y, int m)
{
    return td_s32((unsigned int)y - (((y < 0) | (y >= m)) ? (unsigned int)m : 0u));
}

/* one MRG31k3p step of a stream (x11 x12 x13 x21 x22 x23, each by pointer: the C unit
   passes elements of per-component arrays, the OpenCL kernel private variables);
   returns k in [1, M1]. Branch-free (conditional values), so loops over streams
   vectorise once it is inlined */
static inline int td_mrg_next(int *p11, int *p12, int *p13, int *p21, int *p22, int *p23)
{
    int x11 = *p11, x12 = *p12, x13 = *p13, x21 = *p21, x22 = *p22, x23 = *p23;
    unsigned int u;
    int y1, y2;
    u = ((unsigned int)(x12 & 511) << 22) + (unsigned int)(x12 >> 9)
        + ((unsigned int)(x13 & 16777215) << 7) + (unsigned int)(x13 >> 24);
    y1 = td_fold(td_s32(u), 2147483647);
    y1 = td_fold(td_s32((unsigned int)y1 + (unsigned int)x13), 2147483647);
    *p13 = x12;
    *p12 = x11;
    *p11 = y1;
    x11 = y1;
    u = ((unsigned int)(x21 & 65535) << 15) + (unsigned int)21069 * (unsigned int)(x21 >> 16);
    y1 = td_fold(td_s32(u), 2147462579);
    u = ((unsigned int)(x23 & 65535) << 15) + (unsigned int)21069 * (unsigned int)(x23 >> 16);
    y2 = td_fold(td_s32(u), 2147462579);
    y2 = td_fold(td_s32((unsigned int)y2 + (unsigned int)x23), 2147462579);
    y2 = td_fold(td_s32((unsigned int)y2 + (unsigned int)y1), 2147462579);
    *p23 = x22;
    *p22 = x21;
    *p21 = y2;
    return x11 <= y2 ? td_s32((unsigned int)x11 - (unsigned int)y2 + 2147483647u) : x11 - y2;
}

__kernel void td_mrg_uniform(__global const int *state, const long off, __global int *next, __global double *out, const long n, const long ns)
{
    const long s = get_global_id(0);
    int x11, x12, x13, x21, x22, x23, k;
    const long full = n / ns, rest = n % ns;
    long r;
    if (s >= ns) return;
    x11 = state[off + s * 6]; x12 = state[off + s * 6 + 1];
    x13 = state[off + s * 6 + 2]; x21 = state[off + s * 6 + 3];
    x22 = state[off + s * 6 + 4]; x23 = state[off + s * 6 + 5];
    for (r = 0; r < full; r++) {  /* the same trip count in every work-item */
        k = td_mrg_next(&x11, &x12, &x13, &x21, &x22, &x23);
        out[r * ns + s] = (double)k * 4.656612873077393e-10;
    }
    if (s < rest) {  /* the last, partial round */
        k = td_mrg_next(&x11, &x12, &x13, &x21, &x22, &x23);
        out[full * ns + s] = (double)k * 4.656612873077393e-10;
    }
    next[s * 6] = x11; next[s * 6 + 1] = x12; next[s * 6 + 2] = x13;
    next[s * 6 + 3] = x21; next[s * 6 + 4] = x22; next[s * 6 + 5] = x23;
}
