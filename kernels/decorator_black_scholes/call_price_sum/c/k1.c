/* tensordsl kernel fused: 1-d, 6 in, 1 out, ops true_div,log,mul,mul,add,mul,add,sqrt,mul,true_div,mul,erf,add,mul,mul,mul,exp,m */

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

static __attribute__((noinline)) void td_kernel_flatred(long long lo, long long hi, const double *restrict in0, const double *restrict in1, const double *restrict in2, const double *restrict in3, const double *restrict in4, const double *restrict in5, double *res0)
{
    const double s3 = in3[0];
    const double s5 = in5[0];
    long long i = lo;
    double lane0[16];
    for (int l = 0; l < 16; l++) {
        lane0[l] = ((double)0x0.0p+0);
    }
    for (; i + 16 <= hi; i += 16) {
        #pragma omp simd
        for (int l = 0; l < 16; l++) {
            double v0 = in0[i + l];
            double v1 = in1[i + l];
            double v2 = ((double)((v0 / v1)));
            double v3 = ((double)(log(v2)));
            double v4 = ((double)0x1.0000000000000p-1);
            double v5 = in2[i + l];
            double v6 = ((double)((v4 * v5)));
            double v7 = ((double)((v6 * v5)));
            double v8 = s3;
            double v9 = ((double)((v8 + v7)));
            double v10 = in4[i + l];
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
            lane0[l] = (lane0[l] + v33);
        }
    }
    double acc0 = lane0[0];
    for (int l = 1; l < 16; l++) {
        acc0 = (acc0 + lane0[l]);
    }
    for (; i < hi; i++) {
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
        acc0 = (acc0 + v33);
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
            double v1 = *(const double *)(data[1] + (i0 + l) * st[1]);
            double v2 = ((double)((v0 / v1)));
            double v3 = ((double)(log(v2)));
            double v4 = ((double)0x1.0000000000000p-1);
            double v5 = *(const double *)(data[2] + (i0 + l) * st[2]);
            double v6 = ((double)((v4 * v5)));
            double v7 = ((double)((v6 * v5)));
            double v8 = *(const double *)(data[3] + (i0 + l) * st[3]);
            double v9 = ((double)((v8 + v7)));
            double v10 = *(const double *)(data[4] + (i0 + l) * st[4]);
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
            double v23 = *(const double *)(data[5] + (i0 + l) * st[5]);
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
            lane0[l] = (lane0[l] + v33);
        }
    }
    for (; i0 < shape[0]; i0++) {
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
        acc0 = (acc0 + v33);
    }
    double all0 = lane0[0];
    for (int l = 1; l < 16; l++) all0 = (all0 + lane0[l]);
    all0 = (all0 + acc0);
    *(double *)(data[6] + 0) = (double)all0;
}

#pragma GCC push_options
#pragma GCC optimize("O1")
void td_kernel(td_array *a0, td_array *a1, td_array *a2, td_array *a3, td_array *a4, td_array *a5, td_array *o0)
{
    long long shape[1], n = 1;
    for (int d = 0; d < 1; d++) {
        shape[d] = 1;
        if (a0->dims[d] != 1) shape[d] = a0->dims[d];
        if (a1->dims[d] != 1) shape[d] = a1->dims[d];
        if (a2->dims[d] != 1) shape[d] = a2->dims[d];
        if (a3->dims[d] != 1) shape[d] = a3->dims[d];
        if (a4->dims[d] != 1) shape[d] = a4->dims[d];
        if (a5->dims[d] != 1) shape[d] = a5->dims[d];
    }
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
    if (flat) {
        int nparts = 1;
        double part0[256];
        if (n >= 37038 && n > 1) {
            int want = omp_get_max_threads();
            if (want > 256) want = 256;
            #pragma omp parallel num_threads(want)
            {
                int t = omp_get_thread_num(), nt = omp_get_num_threads();
                long long lo = n / nt * t + (t < n % nt ? t : n % nt);
                long long hi = lo + n / nt + (t < n % nt ? 1 : 0);
                td_kernel_flatred(lo, hi, (const double *)a0->data, (const double *)a1->data, (const double *)a2->data, (const double *)a3->data, (const double *)a4->data, (const double *)a5->data, &part0[t]);
                if (t == 0) nparts = nt;
            }
        } else {
            td_kernel_flatred(0, n, (const double *)a0->data, (const double *)a1->data, (const double *)a2->data, (const double *)a3->data, (const double *)a4->data, (const double *)a5->data, &part0[0]);
        }
        double acc0 = part0[0];
        for (int p = 1; p < nparts; p++) acc0 = (acc0 + part0[p]);
        ((double *)o0->data)[0] = (double)acc0;
        return;
    }
    char *data[7];
    long long st[7];
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
    st[6] = 0;
    td_kernel_reduce(0, 1, shape, data, st);
}

#pragma GCC pop_options
