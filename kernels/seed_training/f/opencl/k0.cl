/* tensordsl kernel fused: 1-d, 2 in, 1 out, ops mul */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__kernel void td_part(const long R, const long G, const long chunk, const long rs0, __global const float *in0, const long off0, const long st0_0, __global const double *in1, const long off1, const long st1_0, __global double *part0, __local double *loc0)
{
    const long grp = get_group_id(0);
    const long m = grp / G, g = grp % G;
    const int l = get_local_id(0), L = get_local_size(0);
    long b0 = off0;
    long b1 = off1;
    double acc0 = ((double)0x0.0p+0);
    const long lo = g * chunk;
    const long hi = lo + chunk < R ? lo + chunk : R;
    for (long t = lo + l; t < hi; t += L) {
        long q = t, e;
        long p0 = b0;
        long p1 = b1;
        e = q;
        p0 += e * st0_0;
        p1 += e * st1_0;
        float v0 = in0[p0];
        double v1 = in1[p1];
        double v2 = ((double)((((double)(v0)) * v1)));
        acc0 = (acc0 + ((double)(v2)));
    }
    loc0[l] = acc0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s) {
            loc0[l] = (loc0[l] + loc0[l + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        part0[grp] = loc0[0];
    }
}

__kernel void td_final(const long R, const long G, const long chunk, const long rs0, __global const float *in0, const long off0, const long st0_0, __global const double *in1, const long off1, const long st1_0, __global double *out0, __local double *loc0)
{
    const long grp = get_group_id(0);
    const long m = grp / G, g = grp % G;
    const int l = get_local_id(0), L = get_local_size(0);
    long b0 = off0;
    long b1 = off1;
    double acc0 = ((double)0x0.0p+0);
    const long lo = g * chunk;
    const long hi = lo + chunk < R ? lo + chunk : R;
    for (long t = lo + l; t < hi; t += L) {
        long q = t, e;
        long p0 = b0;
        long p1 = b1;
        e = q;
        p0 += e * st0_0;
        p1 += e * st1_0;
        float v0 = in0[p0];
        double v1 = in1[p1];
        double v2 = ((double)((((double)(v0)) * v1)));
        acc0 = (acc0 + ((double)(v2)));
    }
    loc0[l] = acc0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s) {
            loc0[l] = (loc0[l] + loc0[l + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        out0[m] = ((double)(loc0[0]));
    }
}

__kernel void td_combine(const long G, __global const double *part0, __global double *out0, __local double *loc0)
{
    const long m = get_group_id(0);
    const int l = get_local_id(0), L = get_local_size(0);
    double acc0 = ((double)0x0.0p+0);
    for (long t = l; t < G; t += L) {
        acc0 = (acc0 + part0[m * G + t]);
    }
    loc0[l] = acc0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s >>= 1) {
        if (l < s) {
            loc0[l] = (loc0[l] + loc0[l + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        out0[m] = ((double)(loc0[0]));
    }
}
