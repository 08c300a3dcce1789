/* tensordsl kernel fused: 1-d, 1 in, 2 out, ops mul */

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

int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);

static __attribute__((noinline)) void td_kernel_flat(long long lo, long long hi, const double *restrict in0, double *restrict out0, double *restrict out1)
{
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        double v0 = ((double)0x1.0000000000000p+0);
        signed char v1 = ((signed char)2LL);
        double v2 = ((double)((v0 * ((double)(v1)))));
        out0[i] = v0;
        out1[i] = v2;
    }
}

static __attribute__((noinline)) void td_kernel_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    #pragma omp simd
    for (long long i0 = lo; i0 < hi; i0++) {
        double v0 = ((double)0x1.0000000000000p+0);
        signed char v1 = ((signed char)2LL);
        double v2 = ((double)((v0 * ((double)(v1)))));
        *(double *)(data[1] + i0 * st[1]) = v0;
        *(double *)(data[2] + i0 * st[2]) = v2;
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *o0, td_array *o1)
{
    long long shape[1], n = 1;
    for (int d = 0; d < 1; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 1; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (o0->flags & 1);
    flat = flat && (o1->flags & 1);
    char *data[3];
    long long st[3];
    data[0] = a0->data;
    for (int d = 0; d < 1; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = o0->data;
    for (int d = 0; d < 1; d++) st[1 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
    data[2] = o1->data;
    for (int d = 0; d < 1; d++) st[2 + d] = o1->dims[d] == 1 ? 0 : o1->strides[d];
    long long extent = flat ? n : (shape[0]);
    if (n >= 428572 && extent > 1) {
        int want = omp_get_max_threads();
        if (want > 256) want = 256;
        #pragma omp parallel num_threads(want)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long long lo = extent / nt * t + (t < extent % nt ? t : extent % nt);
            long long hi = lo + extent / nt + (t < extent % nt ? 1 : 0);
            if (flat) {
                td_kernel_flat(lo, hi, (const double *)a0->data, (double *)o0->data, (double *)o1->data);
            } else {
                td_kernel_strided(lo, hi, shape, data, st);
            }
        }
    } else {
        if (flat) {
            td_kernel_flat(0, n, (const double *)a0->data, (double *)o0->data, (double *)o1->data);
        } else {
            td_kernel_strided(0, shape[0], shape, data, st);
        }
    }
}

#pragma GCC pop_options
