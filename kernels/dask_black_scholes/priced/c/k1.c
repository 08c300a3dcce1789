/* tensordsl kernel fused: 1-d, 6 in, 2 out, ops true_div,log,mul,mul,add,mul,add,sqrt,mul,true_div,mul,erf,add,mul,mul,mul,exp,m */

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
double erf(double);
#pragma omp declare simd notinbranch
double exp(double);
#pragma omp declare simd notinbranch
double log(double);
double sqrt(double);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);

static __attribute__((noinline)) void td_kernel_flat(long long lo, long long hi, const double *restrict in0, const double *restrict in1, const double *restrict in2, const double *restrict in3, const double *restrict in4, const double *restrict in5, double *restrict out0, double *restrict out1)
{
    const double s3 = in3[0];
    const double s5 = in5[0];
    #pragma omp simd
    for (long long i = lo; i < hi; i++) {
        double v0 = in0[i];
        double v1 = in1[i];
        double v2 = ((double)((v0 / v1)));
        double v3 = ((double)(log(v2)));
        double v4 = ((double)0x1.0000000000000p-1);
        double v5 = in2[i];
        double v6 = ((double)((v4 * v5)));
        double v7 = ((double)((v6 * v5)));
        double v8 = s3;
        double v9 = ((double)((v8 + v7)));
        double v10 = in4[i];
        double v11 = ((double)((v9 * v10)));
        double v12 = ((double)((v3 + v11)));
        double v13 = ((double)(sqrt(v10)));
        double v14 = ((double)((v5 * v13)));
        double v15 = ((double)((v12 / v14)));
        double v16 = ((double)0x1.6a09e667f3bccp-1);
        double v17 = ((double)((v15 * v16)));
        double v18 = ((double)(erf(v17)));
        double v19 = ((double)0x1.0000000000000p+0);
        double v20 = ((double)((v19 + v18)));
        double v21 = ((double)((v4 * v20)));
        double v22 = ((double)((v0 * v21)));
        double v23 = s5;
        double v24 = ((double)((v23 * v10)));
        double v25 = ((double)(exp(v24)));
        double v26 = ((double)((v1 * v25)));
        double v27 = ((double)((v15 - v14)));
        double v28 = ((double)((v27 * v16)));
        double v29 = ((double)(erf(v28)));
        double v30 = ((double)((v19 + v29)));
        double v31 = ((double)((v4 * v30)));
        double v32 = ((double)((v26 * v31)));
        double v33 = ((double)((v22 - v32)));
        double v34 = ((double)((v33 - v0)));
        double v35 = ((double)((v34 + v26)));
        out0[i] = v33;
        out1[i] = v35;
    }
}

static __attribute__((noinline)) void td_kernel_strided(long long lo, long long hi, const long long *shape, char *const *data, const long long *st)
{
    #pragma omp simd
    for (long long i0 = lo; i0 < hi; i0++) {
        double v0 = *(const double *)(data[0] + i0 * st[0]);
        double v1 = *(const double *)(data[1] + i0 * st[1]);
        double v2 = ((double)((v0 / v1)));
        double v3 = ((double)(log(v2)));
        double v4 = ((double)0x1.0000000000000p-1);
        double v5 = *(const double *)(data[2] + i0 * st[2]);
        double v6 = ((double)((v4 * v5)));
        double v7 = ((double)((v6 * v5)));
        double v8 = *(const double *)(data[3] + i0 * st[3]);
        double v9 = ((double)((v8 + v7)));
        double v10 = *(const double *)(data[4] + i0 * st[4]);
        double v11 = ((double)((v9 * v10)));
        double v12 = ((double)((v3 + v11)));
        double v13 = ((double)(sqrt(v10)));
        double v14 = ((double)((v5 * v13)));
        double v15 = ((double)((v12 / v14)));
        double v16 = ((double)0x1.6a09e667f3bccp-1);
        double v17 = ((double)((v15 * v16)));
        double v18 = ((double)(erf(v17)));
        double v19 = ((double)0x1.0000000000000p+0);
        double v20 = ((double)((v19 + v18)));
        double v21 = ((double)((v4 * v20)));
        double v22 = ((double)((v0 * v21)));
        double v23 = *(const double *)(data[5] + i0 * st[5]);
        double v24 = ((double)((v23 * v10)));
        double v25 = ((double)(exp(v24)));
        double v26 = ((double)((v1 * v25)));
        double v27 = ((double)((v15 - v14)));
        double v28 = ((double)((v27 * v16)));
        double v29 = ((double)(erf(v28)));
        double v30 = ((double)((v19 + v29)));
        double v31 = ((double)((v4 * v30)));
        double v32 = ((double)((v26 * v31)));
        double v33 = ((double)((v22 - v32)));
        double v34 = ((double)((v33 - v0)));
        double v35 = ((double)((v34 + v26)));
        *(double *)(data[6] + i0 * st[6]) = v33;
        *(double *)(data[7] + i0 * st[7]) = v35;
    }
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *a1, td_array *a2, td_array *a3, td_array *a4, td_array *a5, td_array *o0, td_array *o1)
{
    long long shape[1], n = 1;
    for (int d = 0; d < 1; d++) shape[d] = o0->dims[d];
    for (int d = 0; d < 1; d++) n *= shape[d];
    int flat = 1;
    flat = flat && (a0->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a0->dims[d] == shape[d];
    flat = flat && (a1->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a1->dims[d] == shape[d];
    flat = flat && (a2->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a2->dims[d] == shape[d];
    flat = flat && (a4->flags & 1);
    for (int d = 0; d < 1; d++) flat = flat && a4->dims[d] == shape[d];
    flat = flat && (o0->flags & 1);
    flat = flat && (o1->flags & 1);
    char *data[8];
    long long st[8];
    data[0] = a0->data;
    for (int d = 0; d < 1; d++) st[0 + d] = a0->dims[d] == 1 ? 0 : a0->strides[d];
    data[1] = a1->data;
    for (int d = 0; d < 1; d++) st[1 + d] = a1->dims[d] == 1 ? 0 : a1->strides[d];
    data[2] = a2->data;
    for (int d = 0; d < 1; d++) st[2 + d] = a2->dims[d] == 1 ? 0 : a2->strides[d];
    data[3] = a3->data;
    for (int d = 0; d < 1; d++) st[3 + d] = a3->dims[d] == 1 ? 0 : a3->strides[d];
    data[4] = a4->data;
    for (int d = 0; d < 1; d++) st[4 + d] = a4->dims[d] == 1 ? 0 : a4->strides[d];
    data[5] = a5->data;
    for (int d = 0; d < 1; d++) st[5 + d] = a5->dims[d] == 1 ? 0 : a5->strides[d];
    data[6] = o0->data;
    for (int d = 0; d < 1; d++) st[6 + d] = o0->dims[d] == 1 ? 0 : o0->strides[d];
    data[7] = o1->data;
    for (int d = 0; d < 1; d++) st[7 + d] = o1->dims[d] == 1 ? 0 : o1->strides[d];
    long long extent = flat ? n : (shape[0]);
    if (n >= 36145 && extent > 1) {
        int want = omp_get_max_threads();
        if (want > 256) want = 256;
        #pragma omp parallel num_threads(want)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long long lo = extent / nt * t + (t < extent % nt ? t : extent % nt);
            long long hi = lo + extent / nt + (t < extent % nt ? 1 : 0);
            if (flat) {
                td_kernel_flat(lo, hi, (const double *)a0->data, (const double *)a1->data, (const double *)a2->data, (const double *)a3->data, (const double *)a4->data, (const double *)a5->data, (double *)o0->data, (double *)o1->data);
            } else {
                td_kernel_strided(lo, hi, shape, data, st);
            }
        }
    } else {
        if (flat) {
            td_kernel_flat(0, n, (const double *)a0->data, (const double *)a1->data, (const double *)a2->data, (const double *)a3->data, (const double *)a4->data, (const double *)a5->data, (double *)o0->data, (double *)o1->data);
        } else {
            td_kernel_strided(0, shape[0], shape, data, st);
        }
    }
}

#pragma GCC pop_options
