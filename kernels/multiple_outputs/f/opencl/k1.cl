/* tensordsl kernel fused: 16-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    const long p0 = off0 + 16 * i;
    const long p1 = off1 + 16 * i;
    double16 v0 = ((double16)(in0[p0 + 0], in0[p0 + 1], in0[p0 + 2], in0[p0 + 3], in0[p0 + 4], in0[p0 + 5], in0[p0 + 6], in0[p0 + 7], in0[p0 + 8], in0[p0 + 9], in0[p0 + 10], in0[p0 + 11], in0[p0 + 12], in0[p0 + 13], in0[p0 + 14], in0[p0 + 15]));
    double16 v1 = ((double16)(in1[p1 + 0], in1[p1 + 1], in1[p1 + 2], in1[p1 + 3], in1[p1 + 4], in1[p1 + 5], in1[p1 + 6], in1[p1 + 7], in1[p1 + 8], in1[p1 + 9], in1[p1 + 10], in1[p1 + 11], in1[p1 + 12], in1[p1 + 13], in1[p1 + 14], in1[p1 + 15]));
    double16 v2 = ((double16)((v0 - v1)));
    double16 v3 = ((double16)((v2 * v2)));
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
    out1[16 * i + 0] = v3.s0;
    out1[16 * i + 1] = v3.s1;
    out1[16 * i + 2] = v3.s2;
    out1[16 * i + 3] = v3.s3;
    out1[16 * i + 4] = v3.s4;
    out1[16 * i + 5] = v3.s5;
    out1[16 * i + 6] = v3.s6;
    out1[16 * i + 7] = v3.s7;
    out1[16 * i + 8] = v3.s8;
    out1[16 * i + 9] = v3.s9;
    out1[16 * i + 10] = v3.sa;
    out1[16 * i + 11] = v3.sb;
    out1[16 * i + 12] = v3.sc;
    out1[16 * i + 13] = v3.sd;
    out1[16 * i + 14] = v3.se;
    out1[16 * i + 15] = v3.sf;
}
