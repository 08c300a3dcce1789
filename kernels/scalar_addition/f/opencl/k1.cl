/* tensordsl kernel Elemwise_add: 16-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    double16 v0 = ((double16)(in0[off0]));
    double16 v1 = ((double16)(in1[off1]));
    double16 v2 = ((double16)((v0 + v1)));
    out0[16 * i + 0] = v2.s0;
    out0[16 * i + 1] = v2.s1;
    out0[16 * i + 2] = v2.s2;
    out0[16 * i + 3] = v2.s3;
    out0[16 * i + 4] = v2.s4;
    out0[16 * i + 5] = v2.s5;
    out0[16 * i + 6] = v2.s6;
    out0[16 * i + 7] = v2.s7;
    out0[16 * i + 8] = v2.s8;
    out0[16 * i + 9] = v2.s9;
    out0[16 * i + 10] = v2.sa;
    out0[16 * i + 11] = v2.sb;
    out0[16 * i + 12] = v2.sc;
    out0[16 * i + 13] = v2.sd;
    out0[16 * i + 14] = v2.se;
    out0[16 * i + 15] = v2.sf;
}
