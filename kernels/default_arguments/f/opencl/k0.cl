/* tensordsl kernel fused: 0-d, 3 in, 1 out, ops add,mul */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global double *out0)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = in0[off0];
    double v1 = in1[off1];
    double v2 = ((double)((v0 + v1)));
    double v3 = in2[off2];
    double v4 = ((double)((v2 * v3)));
    out0[i] = ((double)(v4));
}

__kernel void td_strided(const long n, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long p1 = off1;
    long p2 = off2;
    double v0 = in0[p0];
    double v1 = in1[p1];
    double v2 = ((double)((v0 + v1)));
    double v3 = in2[p2];
    double v4 = ((double)((v2 * v3)));
    out0[i] = ((double)(v4));
}
