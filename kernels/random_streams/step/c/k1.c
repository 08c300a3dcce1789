/* tensordsl kernel fused: 2-d, 2 in, 2 out, ops lt,cast_float64,mul */

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

static __attribute__((noinline)) void td_kernel_flat(long long lo, long long hi, const double *restrict in0, const double *restrict in1, double *restrict out0, double *restrict out1)
{
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        double v0 = in0[i];
        float v1 = ((float)0x1.0000000000000p-1);
        int v2 = (((v0 < ((double)(v1)))) != 0);
        double v3 = ((double)(v2));
        double v4 = in1[i];
        double v5 = ((double)((v4 * v3)));
        out0[i] = v3;
        out1[i] = v5;
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
static __attribute__((noinline)) void td_kernel_gather(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    for (long long i0 = lo; i0 < hi; i0++) {
        char *b0 = (data[0] + i0 * st[0]);
        char *b1 = (data[1] + i0 * st[2]);
        char *b2 = (data[2] + i0 * st[4]);
        char *b3 = (data[3] + i0 * st[6]);
        for (long long i = 0; i < shape[1]; i++) {
            double v0 = *(const double *)(b0 + i * st[1]);
            float v1 = ((float)0x1.0000000000000p-1);
            int v2 = (((v0 < ((double)(v1)))) != 0);
            double v3 = ((double)(v2));
            double v4 = *(const double *)(b1 + i * st[3]);
            double v5 = ((double)((v4 * v3)));
            *(double *)(b2 + i * st[5]) = v3;
            *(double *)(b3 + i * st[7]) = v5;
        }
    }
}

#pragma GCC pop_options

static __attribute__((noinline)) void td_kernel_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    if (!(st[1] == sizeof(double) && st[3] == sizeof(double) && st[5] == sizeof(double) && st[7] == sizeof(double))) {
        td_kernel_gather(lo, hi, shape, data, st);
        return;
    }
    for (long long i0 = lo; i0 < hi; i0++) {
        char *b0 = (data[0] + i0 * st[0]);
        char *b1 = (data[1] + i0 * st[2]);
        char *b2 = (data[2] + i0 * st[4]);
        char *b3 = (data[3] + i0 * st[6]);
        #pragma omp simd
        for (long long i = 0; i < shape[1]; i++) {
            double v0 = ((const double *)b0)[i];
            float v1 = ((float)0x1.0000000000000p-1);
            int v2 = (((v0 < ((double)(v1)))) != 0);
            double v3 = ((double)(v2));
            double v4 = ((const double *)b1)[i];
            double v5 = ((double)((v4 * v3)));
            ((double *)b2)[i] = v3;
            ((double *)b3)[i] = v5;
        }
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *a1, td_array *o0, td_array *o1)
{
    long long shape[2], n = 1;
    for (int d = 0; d < 2; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 2; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (a0->flags & 1);
    for (int d = 0; d < 2; d++) flat = flat && a0->dims[d] == shape[d];
    flat = flat && (a1->flags & 1);
    for (int d = 0; d < 2; d++) flat = flat && a1->dims[d] == shape[d];
    flat = flat && (o0->flags & 1);
    flat = flat && (o1->flags & 1);
    char *data[4];
    long long st[8];
    data[0] = a0->data;
    for (int d = 0; d < 2; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = a1->data;
    for (int d = 0; d < 2; d++) st[2 + d] = a1->dims[d] == 1 ? 0 : a1->strides[d];
    data[2] = o0->data;
    for (int d = 0; d < 2; d++) st[4 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
    data[3] = o1->data;
    for (int d = 0; d < 2; d++) st[6 + d] = o1->dims[d] == 1 ? 0 : o1->strides[d];
    long long extent = flat ? n : (shape[0]);
    if (n >= 333334 && extent > 1) {
        int want = omp_get_max_threads();
        if (want > 256) want = 256;
        #pragma omp parallel num_threads(want)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long long lo = extent / nt * t + (t < extent % nt ? t : extent % nt);
            long long hi = lo + extent / nt + (t < extent % nt ? 1 : 0);
            if (flat) {
                td_kernel_flat(lo, hi, (const double *)a0->data, (const double *)a1->data, (double *)o0->data, (double *)o1->data);
            } else {
                td_kernel_strided(lo, hi, shape, data, st);
            }
        }
    } else {
        if (flat) {
            td_kernel_flat(0, n, (const double *)a0->data, (const double *)a1->data, (double *)o0->data, (double *)o1->data);
        } else {
            td_kernel_strided(0, shape[0], shape, data, st);
        }
    }
}

#pragma GCC pop_options
