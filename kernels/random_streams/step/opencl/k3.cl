/* tensordsl kernel Elemwise_second: 2-d, 1 in, 1 out, ops  */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global double *out0)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = ((double)0x1.0000000000000p+0);
    out0[i] = ((double)(v0));
}

__kernel void td_strided(const long n, const long sh0, const long sh1, __global const double *in0, const long off0, const long st0_0, const long st0_1, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long r = i, c;
    c = r % sh1; r /= sh1;
    p0 += c * st0_1;
    c = r;
    p0 += c * st0_0;
    double v0 = ((double)0x1.0000000000000p+0);
    out0[i] = ((double)(v0));
}
