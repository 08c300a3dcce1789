/* tensordsl kernel Elemwise_second: 16-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    const long p0 = off0 + 16 * i;
    double v0 = ((double)0x0.0p+0);
    out0[16 * i + 0] = v0;
    out0[16 * i + 1] = v0;
    out0[16 * i + 2] = v0;
    out0[16 * i + 3] = v0;
    out0[16 * i + 4] = v0;
    out0[16 * i + 5] = v0;
    out0[16 * i + 6] = v0;
    out0[16 * i + 7] = v0;
    out0[16 * i + 8] = v0;
    out0[16 * i + 9] = v0;
    out0[16 * i + 10] = v0;
    out0[16 * i + 11] = v0;
    out0[16 * i + 12] = v0;
    out0[16 * i + 13] = v0;
    out0[16 * i + 14] = v0;
    out0[16 * i + 15] = v0;
}
