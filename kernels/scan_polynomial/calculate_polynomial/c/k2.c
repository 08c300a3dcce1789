/* tensordsl kernel Reduce_add: 1-d, 1 in, 1 out, ops  */

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

static __attribute__((noinline)) void td_kernel_flatred(long long lo, long long hi, const double *restrict in0, double *res0)
{
    long long i = lo;
    double lane0[16];
    for (int l = 0; l < 16; l++) {
        lane0[l] = ((double)0x0.0p+0);
    }
    for (; i + 16 <= hi; i += 16) {
        #pragma omp simd
        for (int l = 0; l < 16; l++) {
            double v0 = in0[i + l];
            lane0[l] = (lane0[l] + v0);
        }
    }
    double acc0 = lane0[0];
    for (int l = 1; l < 16; l++) {
        acc0 = (acc0 + lane0[l]);
    }
    for (; i < hi; i++) {
        double v0 = in0[i];
        acc0 = (acc0 + v0);
    }
    *res0 = acc0;
}

static __attribute__((noinline)) void td_kernel_reduce(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    double acc0 = ((double)0x0.0p+0);
    double lane0[16];
    for (int l = 0; l < 16; l++) {
        lane0[l] = ((double)0x0.0p+0);
    }
    long long i0 = 0;
    for (; i0 + 16 <= shape[0]; i0 += 16) {
        #pragma omp simd
        for (int l = 0; l < 16; l++) {
            double v0 = *(const double *)(data[0] + (i0 + l) * st[0]);
            lane0[l] = (lane0[l] + v0);
        }
    }
    for (; i0 < shape[0]; i0++) {
        double v0 = *(const double *)(data[0] + i0 * st[0]);
        acc0 = (acc0 + v0);
    }
    double all0 = lane0[0];
    for (int l = 1; l < 16; l++) all0 = (all0 + lane0[l]);
    all0 = (all0 + acc0);
    *(double *)(data[1] + 0) = (double)all0;
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *o0)
{
    long long shape[1], n = 1;
    for (int d = 0; d < 1; d++) {
        shape[d] = 1;
        if (a0->dims[d] != 1) shape[d] = a0->dims[d];
    }
    for (int d = 0; d < 1; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (a0->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a0->dims[d] == shape[d];
    flat = flat && (o0->flags & 1);
    if (flat) {
        int nparts = 1;
        double part0[256];
        if (n >= 500000 && n > 1) {
            int want = omp_get_max_threads();
            if (want > 256) want = 256;
            #pragma omp parallel num_threads(want)
            {
                int t = omp_get_thread_num(), nt = omp_get_num_threads();
                long long lo = n / nt * t + (t < n % nt ? t : n % nt);
                long long hi = lo + n / nt + (t < n % nt ? 1 : 0);
                td_kernel_flatred(lo, hi, (const double *)a0->data, &part0[t]);
                if (t == 0) nparts = nt;
            }
        } else {
            td_kernel_flatred(0, n, (const double *)a0->data, &part0[0]);
        }
        double acc0 = part0[0];
        for (int p = 1; p < nparts; p++) acc0 = (acc0 + part0[p]);
        ((double *)o0->data)[0] = (double)acc0;
        return;
    }
    char *data[2];
    long long st[2];
    data[0] = a0->data;
    for (int d = 0; d < 1; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = o0->data;
    st[1] = 0;
    td_kernel_reduce(0, 1, shape, data, st);
}

#pragma GCC pop_options
