/* tensordsl kernel Elemwise_neg: 0-d, 1 in, 1 out, ops neg */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global double *out0)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = in0[off0];
    double v1 = ((double)((-v0)));
    out0[i] = ((double)(v1));
}

__kernel void td_strided(const long n, __global const double *in0, const long off0, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    double v0 = in0[p0];
    double v1 = ((double)((-v0)));
    out0[i] = ((double)(v1));
}
