/* tensordsl kernel Elemwise_minimum: 0-d, 1 in, 1 out, ops minimum */
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const long *in0, const long off0, __global long *out0)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    long v0 = in0[off0];
    long v1 = ((long)10000L);
    long v2 = ((long)(((v0 <= v1) ? v0 : v1)));
    out0[i] = ((long)(v2));
}

__kernel void td_strided(const long n, __global const long *in0, const long off0, __global long *out0)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long v0 = in0[p0];
    long v1 = ((long)10000L);
    long v2 = ((long)(((v0 <= v1) ? v0 : v1)));
    out0[i] = ((long)(v2));
}
