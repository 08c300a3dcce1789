/* tensordsl kernel fused: 1-d, 2 in, 1 out, ops neg,log,mul,sub,sub,log,mul,sub */

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
double log(double);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);

static __attribute__((noinline)) void td_kernel_flat(long long lo, long long hi, const double *in0, const double *in1, double *out0)
{
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        double v0 = in0[i];
        double v1 = ((double)((-v0)));
        double v2 = in1[i];
        double v3 = ((double)(log(v2)));
        double v4 = ((double)((v1 * v3)));
        signed char v5 = ((signed char)1LL);
        double v6 = ((double)((((double)(v5)) - v0)));
        double v7 = ((double)((((double)(v5)) - v2)));
        double v8 = ((double)(log(v7)));
        double v9 = ((double)((v6 * v8)));
        double v10 = ((double)((v4 - v9)));
        out0[i] = v10;
    }
}

static __attribute__((noinline)) void td_kernel_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    #pragma omp simd
    for (long long i0 = lo; i0 < hi; i0++) {
        double v0 = *(const double *)(data[0] + i0 * st[0]);
        double v1 = ((double)((-v0)));
        double v2 = *(const double *)(data[1] + i0 * st[1]);
        double v3 = ((double)(log(v2)));
        double v4 = ((double)((v1 * v3)));
        signed char v5 = ((signed char)1LL);
        double v6 = ((double)((((double)(v5)) - v0)));
        double v7 = ((double)((((double)(v5)) - v2)));
        double v8 = ((double)(log(v7)));
        double v9 = ((double)((v6 * v8)));
        double v10 = ((double)((v4 - v9)));
        *(double *)(data[2] + i0 * st[2]) = v10;
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *a1, td_array *o0)
{
    long long shape[1], n = 1;
    for (int d = 0; d < 1; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 1; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (a0->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a0->dims[d] == shape[d];
    flat = flat && (a1->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a1->dims[d] == shape[d];
    flat = flat && (o0->flags & 1);
    char *data[3];
    long long st[3];
    data[0] = a0->data;
    for (int d = 0; d < 1; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = a1->data;
    for (int d = 0; d < 1; d++) st[1 + d] = a1->dims[d] == 1 ? 0 : a1->strides[d];
    data[2] = o0->data;
    for (int d = 0; d < 1; d++) st[2 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
    long long extent = flat ? n : (shape[0]);
    if (n >= 83334 && extent > 1) {
        int want = omp_get_max_threads();
        if (want > 256) want = 256;
        #pragma omp parallel num_threads(want)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long long lo = extent / nt * t + (t < extent % nt ? t : extent % nt);
            long long hi = lo + extent / nt + (t < extent % nt ? 1 : 0);
            if (flat) {
                td_kernel_flat(lo, hi, (const double *)a0->data, (const double *)a1->data, (double *)o0->data);
            } else {
                td_kernel_strided(lo, hi, shape, data, st);
            }
        }
    } else {
        if (flat) {
            td_kernel_flat(0, n, (const double *)a0->data, (const double *)a1->data, (double *)o0->data);
        } else {
            td_kernel_strided(0, shape[0], shape, data, st);
        }
    }
}

#pragma GCC pop_options
