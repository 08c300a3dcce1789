/* tensordsl kernel fused: 1-d, 6 in, 2 out, ops true_div,log,mul,mul,add,mul,add,sqrt,mul,true_div,mul,erf,add,mul,mul,mul,exp,m */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global const double *in3, const long off3, __global const double *in4, const long off4, __global const double *in5, const long off5, __global double *out0, __global double *out1)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = in0[off0 + i];
    double v1 = in1[off1 + i];
    double v2 = ((double)((v0 / v1)));
    double v3 = ((double)(log(v2)));
    double v4 = ((double)0x1.0000000000000p-1);
    double v5 = in2[off2 + i];
    double v6 = ((double)((v4 * v5)));
    double v7 = ((double)((v6 * v5)));
    double v8 = in3[off3];
    double v9 = ((double)((v8 + v7)));
    double v10 = in4[off4 + i];
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
    double v23 = in5[off5];
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
    out0[i] = ((double)(v33));
    out1[i] = ((double)(v35));
}

__kernel void td_strided(const long n, const long sh0, __global const double *in0, const long off0, const long st0_0, __global const double *in1, const long off1, const long st1_0, __global const double *in2, const long off2, const long st2_0, __global const double *in3, const long off3, const long st3_0, __global const double *in4, const long off4, const long st4_0, __global const double *in5, const long off5, const long st5_0, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long p1 = off1;
    long p2 = off2;
    long p3 = off3;
    long p4 = off4;
    long p5 = off5;
    long r = i, c;
    c = r;
    p0 += c * st0_0;
    p1 += c * st1_0;
    p2 += c * st2_0;
    p3 += c * st3_0;
    p4 += c * st4_0;
    p5 += c * st5_0;
    double v0 = in0[p0];
    double v1 = in1[p1];
    double v2 = ((double)((v0 / v1)));
    double v3 = ((double)(log(v2)));
    double v4 = ((double)0x1.0000000000000p-1);
    double v5 = in2[p2];
    double v6 = ((double)((v4 * v5)));
    double v7 = ((double)((v6 * v5)));
    double v8 = in3[p3];
    double v9 = ((double)((v8 + v7)));
    double v10 = in4[p4];
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
    double v23 = in5[p5];
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
    out0[i] = ((double)(v33));
    out1[i] = ((double)(v35));
}
