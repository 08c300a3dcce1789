/* tensordsl kernel fused: 0-d, 2 in, 1 out, ops mul,add */
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const long *in0, const long off0, __global const int *in1, const long off1, __global long *out0)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    long v0 = in0[off0];
    char v1 = ((char)2L);
    long v2 = ((long)((v0 * ((long)(v1)))));
    int v3 = in1[off1];
    long v4 = ((long)((v2 + ((long)(v3)))));
    out0[i] = ((long)(v4));
}

__kernel void td_strided(const long n, __global const long *in0, const long off0, __global const int *in1, const long off1, __global long *out0)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long p1 = off1;
    long v0 = in0[p0];
    char v1 = ((char)2L);
    long v2 = ((long)((v0 * ((long)(v1)))));
    int v3 = in1[p1];
    long v4 = ((long)((v2 + ((long)(v3)))));
    out0[i] = ((long)(v4));
}
