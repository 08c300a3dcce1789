/* tensordsl kernel Elemwise_neg: 16-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global double *out0)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    double16 v0 = ((double16)(in0[off0]));
    double16 v1 = ((double16)((-v0)));
    out0[16 * i + 0] = v1.s0;
    out0[16 * i + 1] = v1.s1;
    out0[16 * i + 2] = v1.s2;
    out0[16 * i + 3] = v1.s3;
    out0[16 * i + 4] = v1.s4;
    out0[16 * i + 5] = v1.s5;
    out0[16 * i + 6] = v1.s6;
    out0[16 * i + 7] = v1.s7;
    out0[16 * i + 8] = v1.s8;
    out0[16 * i + 9] = v1.s9;
    out0[16 * i + 10] = v1.sa;
    out0[16 * i + 11] = v1.sb;
    out0[16 * i + 12] = v1.sc;
    out0[16 * i + 13] = v1.sd;
    out0[16 * i + 14] = v1.se;
    out0[16 * i + 15] = v1.sf;
}
