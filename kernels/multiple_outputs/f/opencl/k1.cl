/* tensordsl kernel fused: 8-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    const long p0 = off0 + 8 * i;
    const long p1 = off1 + 8 * i;
    double8 v0 = ((double8)(in0[p0 + 0], in0[p0 + 1], in0[p0 + 2], in0[p0 + 3], in0[p0 + 4], in0[p0 + 5], in0[p0 + 6], in0[p0 + 7]));
    double8 v1 = ((double8)(in1[p1 + 0], in1[p1 + 1], in1[p1 + 2], in1[p1 + 3], in1[p1 + 4], in1[p1 + 5], in1[p1 + 6], in1[p1 + 7]));
    double8 v2 = ((double8)((v0 - v1)));
    double8 v3 = ((double8)((v2 * v2)));
    vstore8(v2, i, out0);
    vstore8(v3, i, out1);
}
