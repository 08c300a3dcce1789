/* tensordsl kernel fused: 0-d, 2 in, 1 out, ops cast_float64,reciprocal,mul */

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

static __attribute__((noinline)) void td_kernel_flat(long long lo, long long hi, const long long *in0, const double *in1, double *out0)
{
    const long long s0 = in0[0];
    const double s1 = in1[0];
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        long long v0 = s0;
        double v1 = ((double)(v0));
        double v2 = ((double)((((double)0x1.0000000000000p+0) / v1)));
        double v3 = s1;
        double v4 = ((double)((v3 * v2)));
        out0[i] = v4;
    }
}

static __attribute__((noinline)) void td_kernel_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    long long v0 = *(const long long *)(data[0] + 0);
    double v1 = ((double)(v0));
    double v2 = ((double)((((double)0x1.0000000000000p+0) / v1)));
    double v3 = *(const double *)(data[1] + 0);
    double v4 = ((double)((v3 * v2)));
    *(double *)(data[2] + 0) = v4;
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *a1, td_array *o0)
{
    long long shape[1] = {0}, n = 1;
    for (int d = 0; d < 0; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 0; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (o0->flags & 1);
    if (flat) {
        if (n >= 272728 && n > 1) {
            int want = omp_get_max_threads();
            if (want > 256) want = 256;
            #pragma omp parallel num_threads(want)
            {
                int t = omp_get_thread_num(), nt = omp_get_num_threads();
                long long lo = n / nt * t + (t < n % nt ? t : n % nt);
                long long hi = lo + n / nt + (t < n % nt ? 1 : 0);
                td_kernel_flat(lo, hi, (const long long *)a0->data, (const double *)a1->data, (double *)o0->data);
            }
        } else {
            td_kernel_flat(0, n, (const long long *)a0->data, (const double *)a1->data, (double *)o0->data);
        }
        return;
    }
    char *data[3];
    long long st[1] = {0};
    data[0] = a0->data;
    for (int d = 0; d < 0; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = a1->data;
    for (int d = 0; d < 0; d++) st[0 + d] = a1->dims[d] == 1 ? 0 : a1->strides[d];
    data[2] = o0->data;
    for (int d = 0; d < 0; d++) st[0 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
    td_kernel_strided(0, 1, shape, data, st);
}

#pragma GCC pop_options

void td_kernel_raw(void *const *args)
{
    long long v0 = *(const long long *)args[0];
    double v1 = ((double)(v0));
    double v2 = ((double)((((double)0x1.0000000000000p+0) / v1)));
    double v3 = *(const double *)args[1];
    double v4 = ((double)((v3 * v2)));
    *(double *)args[2] = v4;
}
