/* tensordsl kernel fused: 1-d, 2 in, 2 out, ops neg,sub,exp,add,reciprocal,gt */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global const double *in1, const long off1, __global double *out0, __global uchar *out1)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = in0[off0 + i];
    double v1 = ((double)((-v0)));
    double v2 = in1[off1];
    double v3 = ((double)((v1 - v2)));
    double v4 = ((double)(exp(v3)));
    char v5 = ((char)1L);
    double v6 = ((double)((((double)(v5)) + v4)));
    double v7 = ((double)((((double)0x1.0000000000000p+0) / v6)));
    float v8 = (0x1.0000000000000p-1f);
    int v9 = (((v7 > ((double)(v8)))) != 0);
    out0[i] = ((double)(v7));
    out1[i] = ((v9) != 0);
}

__kernel void td_strided(const long n, const long sh0, __global const double *in0, const long off0, const long st0_0, __global const double *in1, const long off1, const long st1_0, __global double *out0, __global uchar *out1)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long p1 = off1;
    long r = i, c;
    c = r;
    p0 += c * st0_0;
    p1 += c * st1_0;
    double v0 = in0[p0];
    double v1 = ((double)((-v0)));
    double v2 = in1[p1];
    double v3 = ((double)((v1 - v2)));
    double v4 = ((double)(exp(v3)));
    char v5 = ((char)1L);
    double v6 = ((double)((((double)(v5)) + v4)));
    double v7 = ((double)((((double)0x1.0000000000000p+0) / v6)));
    float v8 = (0x1.0000000000000p-1f);
    int v9 = (((v7 > ((double)(v8)))) != 0);
    out0[i] = ((double)(v7));
    out1[i] = ((v9) != 0);
}
