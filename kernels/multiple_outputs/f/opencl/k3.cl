/* tensordsl kernel Elemwise_abs: 8-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    const long p0 = off0 + 8 * i;
    double8 v0 = ((double8)(in0[p0 + 0], in0[p0 + 1], in0[p0 + 2], in0[p0 + 3], in0[p0 + 4], in0[p0 + 5], in0[p0 + 6], in0[p0 + 7]));
    double8 v1 = ((double8)(fabs(v0)));
    vstore8(v1, i, out0);
}
