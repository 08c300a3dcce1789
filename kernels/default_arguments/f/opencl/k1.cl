/* tensordsl kernel fused: 8-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    double8 v0 = ((double8)(in0[off0]));
    double8 v1 = ((double8)(in1[off1]));
    double8 v2 = ((double8)((v0 + v1)));
    double8 v3 = ((double8)(in2[off2]));
    double8 v4 = ((double8)((v2 * v3)));
    vstore8(v4, i, out0);
}
