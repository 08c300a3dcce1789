/* tensordsl kernel Elemwise_abs: 2-d, 1 in, 1 out, ops abs */

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

double fabs(double);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);

static __attribute__((noinline)) void td_kernel_flat(long long lo, long long hi, const double *restrict in0, double *restrict out0)
{
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        double v0 = in0[i];
        double v1 = ((double)(fabs(v0)));
        out0[i] = v1;
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
static __attribute__((noinline)) void td_kernel_gather(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    for (long long i0 = lo; i0 < hi; i0++) {
        char *b0 = (data[0] + i0 * st[0]);
        char *b1 = (data[1] + i0 * st[2]);
        for (long long i = 0; i < shape[1]; i++) {
            double v0 = *(const double *)(b0 + i * st[1]);
            double v1 = ((double)(fabs(v0)));
            *(double *)(b1 + i * st[3]) = v1;
        }
    }
}

#pragma GCC pop_options

static __attribute__((noinline)) void td_kernel_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    if (!(st[1] == sizeof(double) && st[3] == sizeof(double))) {
        td_kernel_gather(lo, hi, shape, data, st);
        return;
    }
    for (long long i0 = lo; i0 < hi; i0++) {
        char *b0 = (data[0] + i0 * st[0]);
        char *b1 = (data[1] + i0 * st[2]);
        #pragma omp simd
        for (long long i = 0; i < shape[1]; i++) {
            double v0 = ((const double *)b0)[i];
            double v1 = ((double)(fabs(v0)));
            ((double *)b1)[i] = v1;
        }
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *o0)
{
    long long shape[2], n = 1;
    for (int d = 0; d < 2; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 2; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (a0->flags & 1);
    for (int d = 0; d < 2; d++) flat = flat && a0->dims[d] == shape[d];
    flat = flat && (o0->flags & 1);
    char *data[2];
    long long st[4];
    data[0] = a0->data;
    for (int d = 0; d < 2; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = o0->data;
    for (int d = 0; d < 2; d++) st[2 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
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
                td_kernel_flat(lo, hi, (const double *)a0->data, (double *)o0->data);
            } else {
                td_kernel_strided(lo, hi, shape, data, st);
            }
        }
    } else {
        if (flat) {
            td_kernel_flat(0, n, (const double *)a0->data, (double *)o0->data);
        } else {
            td_kernel_strided(0, shape[0], shape, data, st);
        }
    }
}

#pragma GCC pop_options
