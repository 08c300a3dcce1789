/* tensordsl kernel fused: 8-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global const double *in3, const long off3, __global const double *in4, const long off4, __global const double *in5, const long off5, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    double8 v0 = vload8(i, in0 + off0);
    double8 v1 = vload8(i, in1 + off1);
    double8 v2 = ((double8)((v0 / v1)));
    double8 v3 = ((double8)(log(v2)));
    double v4 = ((double)0x1.0000000000000p-1);
    double8 v5 = vload8(i, in2 + off2);
    double8 v6 = ((double8)((v4 * v5)));
    double8 v7 = ((double8)((v6 * v5)));
    double8 v8 = ((double8)(in3[off3]));
    double8 v9 = ((double8)((v8 + v7)));
    double8 v10 = vload8(i, in4 + off4);
    double8 v11 = ((double8)((v9 * v10)));
    double8 v12 = ((double8)((v3 + v11)));
    double8 v13 = ((double8)(sqrt(v10)));
    double8 v14 = ((double8)((v5 * v13)));
    double8 v15 = ((double8)((v12 / v14)));
    double v16 = ((double)0x1.6a09e667f3bccp-1);
    double8 v17 = ((double8)((v15 * v16)));
    double8 v18 = ((double8)(erf(v17)));
    double v19 = ((double)0x1.0000000000000p+0);
    double8 v20 = ((double8)((v19 + v18)));
    double8 v21 = ((double8)((v4 * v20)));
    double8 v22 = ((double8)((v0 * v21)));
    double8 v23 = ((double8)(in5[off5]));
    double8 v24 = ((double8)((v23 * v10)));
    double8 v25 = ((double8)(exp(v24)));
    double8 v26 = ((double8)((v1 * v25)));
    double8 v27 = ((double8)((v15 - v14)));
    double8 v28 = ((double8)((v27 * v16)));
    double8 v29 = ((double8)(erf(v28)));
    double8 v30 = ((double8)((v19 + v29)));
    double8 v31 = ((double8)((v4 * v30)));
    double8 v32 = ((double8)((v26 * v31)));
    double8 v33 = ((double8)((v22 - v32)));
    double8 v34 = ((double8)((v33 - v0)));
    double8 v35 = ((double8)((v34 + v26)));
    vstore8(v33, i, out0);
    vstore8(v35, i, out1);
}
