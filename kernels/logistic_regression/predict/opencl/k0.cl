/* tensordsl float64 matrix product, 16x16 tiles */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

__attribute__((reqd_work_group_size(16, 16, 1)))
__kernel void td_gemm(const long M, const long N, const long K, __global const double *A, const long offA, const long sAm, const long sAk, __global const double *B, const long offB, const long sBk, const long sBn, __global double *C, const long offO, const long sOm)
{
    __local double As[16][17];
    __local double Bs[16][17];
    const int lr = get_local_id(1), lc = get_local_id(0);
    const long row = get_group_id(1) * 16 + lr;
    const long col = get_group_id(0) * 16 + lc;
    double acc = ((double)0x0.0p+0);
    for (long k0 = 0; k0 < K; k0 += 16) {
        const long ka = k0 + lc, kb = k0 + lr;
        As[lr][lc] = (row < M && ka < K) ? A[offA + row * sAm + ka * sAk] : ((double)0x0.0p+0);
        Bs[lr][lc] = (kb < K && col < N) ? B[offB + kb * sBk + col * sBn] : ((double)0x0.0p+0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < 16; k++) {
            acc += As[lr][k] * Bs[k][lc];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < M && col < N) C[offO + row * sOm + col] = acc;
}
