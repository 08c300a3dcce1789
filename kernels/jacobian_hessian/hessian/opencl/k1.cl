/* tensordsl kernel Elemwise_second: 8-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    const long p0 = off0 + 8 * i;
    double v0 = ((double)0x0.0p+0);
    vstore8(v0, i, out0);
}
