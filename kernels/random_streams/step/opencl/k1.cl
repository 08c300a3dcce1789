/* tensordsl kernel fused: 2-d, 2 in, 2 out, ops lt,cast_float64,mul */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global const double *in1, const long off1, __global double *out0, __global double *out1)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = in0[off0 + i];
    float v1 = (0x1.0000000000000p-1f);
    int v2 = (((v0 < ((double)(v1)))) != 0);
    double v3 = ((double)(v2));
    double v4 = in1[off1 + i];
    double v5 = ((double)((v4 * v3)));
    out0[i] = ((double)(v3));
    out1[i] = ((double)(v5));
}

__kernel void td_strided(const long n, const long sh0, const long sh1, __global const double *in0, const long off0, const long st0_0, const long st0_1, __global const double *in1, const long off1, const long st1_0, const long st1_1, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long p1 = off1;
    long r = i, c;
    c = r % sh1; r /= sh1;
    p0 += c * st0_1;
    p1 += c * st1_1;
    c = r;
    p0 += c * st0_0;
    p1 += c * st1_0;
    double v0 = in0[p0];
    float v1 = (0x1.0000000000000p-1f);
    int v2 = (((v0 < ((double)(v1)))) != 0);
    double v3 = ((double)(v2));
    double v4 = in1[p1];
    double v5 = ((double)((v4 * v3)));
    out0[i] = ((double)(v3));
    out1[i] = ((double)(v5));
}
