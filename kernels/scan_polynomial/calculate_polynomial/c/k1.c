/* tensordsl compiled scan loop */
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

#pragma omp declare simd notinbranch
double pow(double, double);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);
#pragma GCC push_options
#pragma GCC optimize("O1")
void *memcpy(void *, const void *, unsigned long);
typedef void (*td_gemm_fn)(char *, char *, int *, int *, int *, void *, void *, int *,
                           void *, int *, void *, void *, int *);

/* copy a value of any layout into contiguous rows (dst), element by element */
static void td_copy(const td_array *src, char *dst, long long item, long long contiguous)
{
    long long total = 1, idx[16];
    for (int d = 0; d < src->nd; d++) { total *= src->dims[d]; idx[d] = 0; }
    if (contiguous) { memcpy(dst, src->data, (unsigned long)(total * item)); return; }
    for (long long e = 0; e < total; e++) {
        const char *p = src->data;
        for (int d = 0; d < src->nd; d++) p += idx[d] * src->strides[d];
        if (item == 8) ((long long *)dst)[e] = *(const long long *)p;
        else if (item == 4) ((int *)dst)[e] = *(const int *)p;
        else for (long long b = 0; b < item; b++) dst[e * item + b] = p[b];
        for (int d = src->nd - 1; d >= 0; d--) {
            if (++idx[d] < src->dims[d]) break;
            idx[d] = 0;
        }
    }
}

#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("prefer-vector-width=512")



static __attribute__((noinline)) void td_k0_flat(long long lo, long long hi, const double *restrict in0, const long long *restrict in1, const double *restrict in2, double *restrict out0)
{
    const double s0 = in0[0];
    const long long s1 = in1[0];
    const double s2 = in2[0];
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        double v0 = s0;
        long long v1 = s1;
        double v2 = ((double)(pow(v0, ((double)(v1)))));
        double v3 = s2;
        double v4 = ((double)((v3 * v2)));
        out0[i] = v4;
    }
}

static __attribute__((noinline)) void td_k0_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    double v0 = *(const double *)(data[0] + 0);
    long long v1 = *(const long long *)(data[1] + 0);
    double v2 = ((double)(pow(v0, ((double)(v1)))));
    double v3 = *(const double *)(data[2] + 0);
    double v4 = ((double)((v3 * v2)));
    *(double *)(data[3] + 0) = v4;
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_k0(td_array *a0, td_array *a1, td_array *a2, td_array *o0)
{
    long long shape[1] = {0}, n = 1;
    for (int d = 0; d < 0; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 0; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (o0->flags & 1);
    if (flat) {
        if (n >= 157895 && n > 1) {
            int want = omp_get_max_threads();
            if (want > 256) want = 256;
            #pragma omp parallel num_threads(want)
            {
                int t = omp_get_thread_num(), nt = omp_get_num_threads();
                long long lo = n / nt * t + (t < n % nt ? t : n % nt);
                long long hi = lo + n / nt + (t < n % nt ? 1 : 0);
                td_k0_flat(lo, hi, (const double *)a0->data, (const long long *)a1->data, (const double *)a2->data, (double *)o0->data);
            }
        } else {
            td_k0_flat(0, n, (const double *)a0->data, (const long long *)a1->data, (const double *)a2->data, (double *)o0->data);
        }
        return;
    }
    char *data[4];
    long long st[1] = {0};
    data[0] = a0->data;
    for (int d = 0; d < 0; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = a1->data;
    for (int d = 0; d < 0; d++) st[0 + d] = a1->dims[d] == 1 ? 0 : a1->strides[d];
    data[2] = a2->data;
    for (int d = 0; d < 0; d++) st[0 + d] = a2->dims[d] == 1 ? 0 : a2->strides[d];
    data[3] = o0->data;
    for (int d = 0; d < 0; d++) st[0 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
    td_k0_strided(0, 1, shape, data, st);
}

#pragma GCC pop_options

void td_k0_raw(void *const *args)
{
    double v0 = *(const double *)args[0];
    long long v1 = *(const long long *)args[1];
    double v2 = ((double)(pow(v0, ((double)(v1)))));
    double v3 = *(const double *)args[2];
    double v4 = ((double)((v3 * v2)));
    *(double *)args[3] = v4;
}

#pragma GCC pop_options
long long td_scan(long long n, char *const *ptr, const long long *M, void *const *blas)
{
    char *ws = ptr[4];
    td_array A[4];
    (void)blas; (void)ws;
    static const long long td_heads[4][5] = {
        {0, 0, 0, 0, 0}, {1, 0, 2, 2, 2}, {2, 0, 4, 4, 4}, {3, 0, 6, 6, 6}
    };
    for (int v = 0; v < 4; v++) {
        const long long *h = td_heads[v];
        A[h[0]].nd = (int)h[1];
        A[h[0]].dims = (long long *)(M + h[2]);
        A[h[0]].strides = (long long *)(M + h[3]);
        A[h[0]].flags = (int)M[h[4]];
        A[h[0]].data = 0;
    }
    A[2].data = ptr[2];
    for (long long t = 0; t < n; t++) {
        A[0].data = ptr[0] + (t + 0) * M[8];
        A[1].data = ptr[1] + (t + 0) * M[9];
        A[3].data = M[12] ? ptr[3] + t * M[10] : ws + M[7];
        td_k0(&A[2], &A[1], &A[0], &A[3]);
        if (!M[12]) td_copy(&A[3], ptr[3] + t * M[10], 8, M[11]);
    }
    return n;
}
