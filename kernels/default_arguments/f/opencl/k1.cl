/* tensordsl kernel fused: 16-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    double16 v0 = ((double16)(in0[off0]));
    double16 v1 = ((double16)(in1[off1]));
    double16 v2 = ((double16)((v0 + v1)));
    double16 v3 = ((double16)(in2[off2]));
    double16 v4 = ((double16)((v2 * v3)));
    out0[16 * i + 0] = v4.s0;
    out0[16 * i + 1] = v4.s1;
    out0[16 * i + 2] = v4.s2;
    out0[16 * i + 3] = v4.s3;
    out0[16 * i + 4] = v4.s4;
    out0[16 * i + 5] = v4.s5;
    out0[16 * i + 6] = v4.s6;
    out0[16 * i + 7] = v4.s7;
    out0[16 * i + 8] = v4.s8;
    out0[16 * i + 9] = v4.s9;
    out0[16 * i + 10] = v4.sa;
    out0[16 * i + 11] = v4.sb;
    out0[16 * i + 12] = v4.sc;
    out0[16 * i + 13] = v4.sd;
    out0[16 * i + 14] = v4.se;
    out0[16 * i + 15] = v4.sf;
}
