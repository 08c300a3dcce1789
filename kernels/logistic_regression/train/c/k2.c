/* tensordsl row-block kernel: ops neg,sub,neg,sub,exp,add,reciprocal,gt,log,mul,sub,log,mul,sub,second,neg,mul,tru */

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
double exp(double);
#pragma omp declare simd notinbranch
double log(double);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);

static void rows(long long lo, long long hi, long long f, const double *restrict X, const double *restrict w, double *restrict acc, const double *restrict in1, const double *restrict in2, const double *restrict in3, unsigned char *restrict rout0, double *restrict rout1, double *restrict part0)
{
    double d[32], gv[32];
    const double s1 = in1[0];
    const double s3 = in3[0];
    double sum0 = 0;
    for (long long j = 0; j < f; j++) acc[j] = 0;
    for (long long r0 = lo; r0 < hi; r0 += 32) {
        long long nb = hi - r0 < 32 ? hi - r0 : 32;
        long long r = 0;
        for (; r < nb; r++) {
            const double *x0 = X + (r0 + r) * f;
            double a0 = 0;
            #pragma omp simd reduction(+:a0)
            for (long long j = 0; j < f; j++) a0 += x0[j] * w[j];
            d[r] = a0;
        }
        #pragma omp simd reduction(+:sum0)
        for (long long r = 0; r < nb; r++) {
            long long i = r0 + r;
            double v0 = d[r];
            double v1 = s1;
            double v2 = in2[i];
            double v3 = ((double)((-v2)));
            signed char v4 = ((signed char)1LL);
            double v5 = ((double)((((double)(v4)) - v2)));
            double v6 = s3;
            double v7 = ((double)((-v0)));
            double v8 = ((double)((v7 - v1)));
            double v9 = ((double)(exp(v8)));
            double v10 = ((double)((((double)(v4)) + v9)));
            double v11 = ((double)((((double)0x1.0000000000000p+0) / v10)));
            float v12 = ((float)0x1.0000000000000p-1);
            int v13 = (((v11 > ((double)(v12)))) != 0);
            double v14 = ((double)(log(v11)));
            double v15 = ((double)((v3 * v14)));
            double v16 = ((double)((((double)(v4)) - v11)));
            double v17 = ((double)(log(v16)));
            double v18 = ((double)((v5 * v17)));
            double v19 = ((double)((v15 - v18)));
            double v20 = ((double)(v6));
            double v21 = ((double)((-v20)));
            double v22 = ((double)((v21 * v5)));
            double v23 = ((double)((v22 / v16)));
            double v24 = ((double)((-v23)));
            double v25 = ((double)((v20 * v3)));
            double v26 = ((double)((v25 / v11)));
            double v27 = ((double)((v24 + v26)));
            double v28 = ((double)((-v27)));
            double v29 = ((double)((v10 * v10)));
            double v30 = ((double)((v28 / v29)));
            double v31 = ((double)((v30 * v9)));
            double v32 = ((double)((-v31)));
            gv[r] = v32;
            rout0[i] = v13;
            rout1[i] = v19;
            sum0 += v32;
        }
        r = 0;
        for (; r + 4 <= nb; r += 4) {
            const double *x0 = X + (r0 + r) * f, *x1 = x0 + f, *x2 = x1 + f, *x3 = x2 + f;
            double g0 = gv[r], g1 = gv[r + 1], g2 = gv[r + 2], g3 = gv[r + 3];
            #pragma omp simd
            for (long long j = 0; j < f; j++) {
                double s = acc[j];
                s += g0 * x0[j]; s += g1 * x1[j]; s += g2 * x2[j]; s += g3 * x3[j];
                acc[j] = s;
            }
        }
        for (; r < nb; r++) {
            const double *x0 = X + (r0 + r) * f;
            double g0 = gv[r];
            #pragma omp simd
            for (long long j = 0; j < f; j++) acc[j] += g0 * x0[j];
        }
    }
    part0[0] = sum0;
}

void td_rowblock(long long c_step, double alpha, double beta, int has_c, int nt, td_array *X_a, td_array *w_a, td_array *out_a, td_array *c_a, td_array *acc_a, td_array *part0_a, td_array *sum0_a, td_array *in1_a, td_array *in2_a, td_array *in3_a, td_array *rout0_a, td_array *rout1_a)
{
    const double *X = (const double *)X_a->data;
    const double *w = (const double *)w_a->data;
    double *out = (double *)out_a->data;
    const double *c = (const double *)c_a->data;
    double *acc = (double *)acc_a->data;
    double *part0 = (double *)part0_a->data;
    double *sum0 = (double *)sum0_a->data;
    const double *in1 = (const double *)in1_a->data;
    const double *in2 = (const double *)in2_a->data;
    const double *in3 = (const double *)in3_a->data;
    unsigned char *rout0 = (unsigned char *)rout0_a->data;
    double *rout1 = (double *)rout1_a->data;
    long long n = X_a->dims[0], f = X_a->dims[1];
    long long nc = acc_a->dims[0];
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
    for (long long ch = 0; ch < nc; ch++) {
        long long lo = n / nc * ch + (ch < n % nc ? ch : n % nc);
        long long hi = lo + n / nc + (ch < n % nc ? 1 : 0);
        rows(lo, hi, f, X, w, acc + (long long)ch * f, in1, in2, in3, rout0, rout1, part0 + ch);
    }
    for (long long j = 0; j < f; j++) {
        double s = acc[j];
        for (long long p = 1; p < nc; p++) s += acc[p * f + j];
        s = alpha * s;
        if (has_c) s += beta * c[j * c_step];
        out[j] = s;
    }
    { double s = part0[0];
      for (long long p = 1; p < nc; p++) s += part0[p];
      sum0[0] = s; }
}

int td_rowblock_threads(void) { return omp_get_max_threads(); }
