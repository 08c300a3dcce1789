/* tensordsl MRG31k3p uniform draw (Theano's mrg_uniform), float64 samples */
/* ndarray head: the fields of numpy's PyArrayObject_fields we read (checked at load) */
typedef struct {
    long long ob_refcnt;
    void *ob_type;
    char *data;
    int nd;
    long long *dims;
    long long *strides;
    void *base;
    void *descr;
    int flags;
} td_array;

int omp_get_max_threads(void);
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

/* streams [s0, s1) of n_streams: all their samples of the n, then their new
   states; the block's states are kept component by component (x[c][j]) so
   the loop over its streams vectorises */
static void td_mrg_block(const int *state, int *next, double *out, long long n,
                         long long ns, long long s0, long long s1)
{
    int x[6][64];
    long long full = n / ns, rest = n % ns, r;
    int j, c, k, m = (int)(s1 - s0);
    int tail = rest <= s0 ? 0 : (rest >= s1 ? m : (int)(rest - s0));
    for (j = 0; j < m; j++)
        for (c = 0; c < 6; c++) x[c][j] = state[(s0 + j) * 6 + c];
    for (r = 0; r < full; r++) {
        double *row = out + r * ns + s0;
        for (j = 0; j < m; j++) {
            k = td_mrg_next(&x[0][j], &x[1][j], &x[2][j], &x[3][j], &x[4][j],
                            &x[5][j]);
            row[j] = (double)k * 4.656612873077393e-10;
        }
    }
    for (j = 0; j < tail; j++) {  /* the last, partial round */
        k = td_mrg_next(&x[0][j], &x[1][j], &x[2][j], &x[3][j], &x[4][j],
                        &x[5][j]);
        out[full * ns + s0 + j] = (double)k * 4.656612873077393e-10;
    }
    for (j = 0; j < m; j++)
        for (c = 0; c < 6; c++) next[(s0 + j) * 6 + c] = x[c][j];
}

void td_mrg_uniform(td_array *state_a, td_array *next_a, td_array *out_a, long long n, int nt)
{
    const int *state = (const int *)state_a->data;
    int *next = (int *)next_a->data;
    double *out = (double *)out_a->data;
    long long ns = state_a->dims[0];
    long long nb = (ns + 63) / 64, b;
    if (ns == 0) return;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (b = 0; b < nb; b++) {
        long long s0 = b * 64;
        long long s1 = s0 + 64 < ns ? s0 + 64 : ns;
        td_mrg_block(state, next, out, n, ns, s0, s1);
    }
    (void)nt;
}

int td_mrg_threads(void) { return omp_get_max_threads(); }
