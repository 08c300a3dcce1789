/* tensordsl kernel fused: 16-wide vector path */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

static inline __attribute__((always_inline)) double16 td_log_f64(double16 x0)
{
    /* x = 2^k z, z in [0.7071, 1.4142) from the bits; polynomial in z - 1 (opencl/explog.py) */
    long16 sub = x0 < 0x1.0000000000000p-1022;  /* subnormal (and <= 0: fixed up below) */
    double16 xs = sub ? x0 * 0x1.0000000000000p+54 : x0;
    long16 ix = as_long16(xs) - 0x3fe6a09e667f3bcdL;
    long16 k = (ix >> 52) - (sub ? (long16)(54) : (long16)(0));
    double16 z = as_double16(as_long16(xs) - (ix & (long)0xfff0000000000000UL));
    double16 kd = as_double16(k + 0x4338000000000000L) - 0x1.8000000000000p+52;  /* k as a float, exactly */
    double16 f = z - 0x1.0000000000000p+0;
    double16 s = f / (0x1.0000000000000p+1 + f);
    double16 zz = s * s;
    double16 w = zz * zz;
    double16 R = zz * (((0x1.2f112df3e5244p-3 * w + 0x1.7466496cb03dep-3) * w + 0x1.2492494229359p-2) * w + 0x1.5555555555593p-1) + w * ((0x1.39a09d078c69fp-3 * w + 0x1.c71c51d8e78afp-3) * w + 0x1.999999997fa04p-2);
    double16 hfsq = 0x1.0000000000000p-1 * f * f;
    double16 r = kd * 0x1.62e42fee00000p-1 - ((hfsq - (s * (hfsq + R) + kd * 0x1.a39ef35793c76p-33)) - f);
    r = x0 == 0x0.0p+0 ? -((double)INFINITY) : r;
    r = x0 == ((double)INFINITY) ? ((double)INFINITY) : r;
    return x0 >= 0x0.0p+0 ? r : ((double)NAN);  /* x < 0 and NaN */
}

static inline __attribute__((always_inline)) double16 td_sqrt_f64(double16 x)
{
    return (double16)(__builtin_sqrt(x.s0), __builtin_sqrt(x.s1), __builtin_sqrt(x.s2), __builtin_sqrt(x.s3), __builtin_sqrt(x.s4), __builtin_sqrt(x.s5), __builtin_sqrt(x.s6), __builtin_sqrt(x.s7), __builtin_sqrt(x.s8), __builtin_sqrt(x.s9), __builtin_sqrt(x.sa), __builtin_sqrt(x.sb), __builtin_sqrt(x.sc), __builtin_sqrt(x.sd), __builtin_sqrt(x.se), __builtin_sqrt(x.sf));
}

static inline __attribute__((always_inline)) double16 td_exp_f64(double16 x0)
{
    /* Cody-Waite reduction, polynomial, 2^k from exponent bits (opencl/explog.py) */
    double16 x = x0 > 0x1.62e6666666666p+9 ? 0x1.62e6666666666p+9 : x0;  /* NaN stays NaN */
    x = x < -0x1.749999999999ap+9 ? -0x1.749999999999ap+9 : x;
    double16 t = x * 0x1.71547652b82fep+0 + 0x1.8000000000000p+52;  /* rounds x/ln2 to an integer */
    double16 kd = t - 0x1.8000000000000p+52;
    long16 k = as_long16(t) - 0x4338000000000000L;
    double16 r = (x - kd * 0x1.62e42fee00000p-1) - kd * 0x1.a39ef35793c76p-33;
    double16 e = 0x1.0000000000000p+0 + (r + (r * r) * (((((((((((0x1.6124613a86d09p-33 * r + 0x1.1eed8eff8d898p-29) * r + 0x1.ae64567f544e4p-26) * r + 0x1.27e4fb7789f5cp-22) * r + 0x1.71de3a556c734p-19) * r + 0x1.a01a01a01a01ap-16) * r + 0x1.a01a01a01a01ap-13) * r + 0x1.6c16c16c16c17p-10) * r + 0x1.1111111111111p-7) * r + 0x1.5555555555555p-5) * r + 0x1.5555555555555p-3) * r + 0x1.0000000000000p-1));
    long16 k1 = k >> 1;
    double16 s1 = as_double16((k1 + 1023L) << 52);
    double16 s2 = as_double16((k - k1 + 1023L) << 52);
    return (e * s1) * s2;
}

static inline __attribute__((always_inline)) double16 td_erf_f64(double16 x)
{
    /* W. J. Cody's rational approximations, one division (opencl/erf64.py) */
    double16 y = x < 0.0 ? -x : x;  /* not fabs: an out-of-line call on PoCL */
    y = y > 6.0 ? 6.0 : y;  /* erf rounds to +-1 from 5.93 on; NaN stays NaN */
    double16 ysq = y * y;
    double16 fd = (((((0x1.32147a014bad1p-9 * ysq + 0x1.efc42917d7de7p-5) * ysq + 0x1.0e4993e122c39p-1) * ysq + 0x1.df79d6855f0ccp+0) * ysq + 0x1.48c54508800dbp+1) * ysq + 0x1.0000000000000p+0);
    double16 num = y <= 4.0 ? ((((((((0x1.71e703c5f5815p-26 * y + 0x1.20dd508eb103ep-1) * y + 0x1.1c42c35b8bc02p+3) * y + 0x1.087a0d1c420d0p+6) * y + 0x1.2aa2986aba462p+8) * y + 0x1.b8f9e262b9fa3p+9) * y + 0x1.ac030c15dc8d7p+10) * y + 0x1.0062821236f6bp+11) * y + 0x1.3395b7fd2fc8ep+10) : 0x1.20dd750429b6dp-1 * ysq * fd - (((((0x1.595fd0d71e33cp-11 * ysq + 0x1.078448cd6c5b5p-6) * ysq + 0x1.0199d980a842fp-3) * ysq + 0x1.70fe40e2425b8p-2) * ysq + 0x1.38a78b9f065f6p-2) * ysq + 0x1.0b4fb18b485c7p-6);
    double16 den = y <= 4.0 ? ((((((((y + 0x1.f7d66f486ded5p+3) * y + 0x1.d6c69b0ffcde7p+6) * y + 0x1.0c972e588749ep+9) * y + 0x1.9558eeca29d27p+10) * y + 0x1.9b599356d1202p+11) * y + 0x1.10a9e7cb10e86p+12) * y + 0x1.adebc3fc90dbdp+11) * y + 0x1.3395b7fd35f61p+10) : ysq * y * fd;
    num = y <= 0.5 ? x * ((((0x1.7c7905a31c322p-3 * ysq + 0x1.949fb3ed443e9p+1) * ysq + 0x1.c774e4d365da3p+6) * ysq + 0x1.797c38897528bp+8) * ysq + 0x1.912c1535d121ap+11) : num;
    den = y <= 0.5 ? ((((ysq + 0x1.799ee342fb2dep+4) * ysq + 0x1.e80c9d57e55b8p+7) * ysq + 0x1.40a77529cadc8p+10) * ysq + 0x1.63879423b87adp+11) : den;
    double16 q = num / den;
    double16 big = (0.5 - q * td_exp_f64(-ysq)) + 0.5;
    big = x < 0.0 ? -big : big;
    return y <= 0.5 ? q : big;
}

__kernel void td_vec(const long nv, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global const double *in3, const long off3, __global const double *in4, const long off4, __global const double *in5, const long off5, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= nv) return;
    const long p0 = off0 + 16 * i;
    const long p1 = off1 + 16 * i;
    const long p2 = off2 + 16 * i;
    const long p4 = off4 + 16 * i;
    double16 v0 = ((double16)(in0[p0 + 0], in0[p0 + 1], in0[p0 + 2], in0[p0 + 3], in0[p0 + 4], in0[p0 + 5], in0[p0 + 6], in0[p0 + 7], in0[p0 + 8], in0[p0 + 9], in0[p0 + 10], in0[p0 + 11], in0[p0 + 12], in0[p0 + 13], in0[p0 + 14], in0[p0 + 15]));
    double16 v1 = ((double16)(in1[p1 + 0], in1[p1 + 1], in1[p1 + 2], in1[p1 + 3], in1[p1 + 4], in1[p1 + 5], in1[p1 + 6], in1[p1 + 7], in1[p1 + 8], in1[p1 + 9], in1[p1 + 10], in1[p1 + 11], in1[p1 + 12], in1[p1 + 13], in1[p1 + 14], in1[p1 + 15]));
    double16 v2 = ((double16)((v0 / v1)));
    double16 v3 = ((double16)(td_log_f64(v2)));
    double v4 = ((double)0x1.0000000000000p-1);
    double16 v5 = ((double16)(in2[p2 + 0], in2[p2 + 1], in2[p2 + 2], in2[p2 + 3], in2[p2 + 4], in2[p2 + 5], in2[p2 + 6], in2[p2 + 7], in2[p2 + 8], in2[p2 + 9], in2[p2 + 10], in2[p2 + 11], in2[p2 + 12], in2[p2 + 13], in2[p2 + 14], in2[p2 + 15]));
    double16 v6 = ((double16)((v4 * v5)));
    double16 v7 = ((double16)((v6 * v5)));
    double16 v8 = ((double16)(in3[off3]));
    double16 v9 = ((double16)((v8 + v7)));
    double16 v10 = ((double16)(in4[p4 + 0], in4[p4 + 1], in4[p4 + 2], in4[p4 + 3], in4[p4 + 4], in4[p4 + 5], in4[p4 + 6], in4[p4 + 7], in4[p4 + 8], in4[p4 + 9], in4[p4 + 10], in4[p4 + 11], in4[p4 + 12], in4[p4 + 13], in4[p4 + 14], in4[p4 + 15]));
    double16 v11 = ((double16)((v9 * v10)));
    double16 v12 = ((double16)((v3 + v11)));
    double16 v13 = ((double16)(td_sqrt_f64(v10)));
    double16 v14 = ((double16)((v5 * v13)));
    double16 v15 = ((double16)((v12 / v14)));
    double v16 = ((double)0x1.6a09e667f3bccp-1);
    double16 v17 = ((double16)((v15 * v16)));
    double16 v18 = ((double16)(td_erf_f64(v17)));
    double v19 = ((double)0x1.0000000000000p+0);
    double16 v20 = ((double16)((v19 + v18)));
    double16 v21 = ((double16)((v4 * v20)));
    double16 v22 = ((double16)((v0 * v21)));
    double16 v23 = ((double16)(in5[off5]));
    double16 v24 = ((double16)((v23 * v10)));
    double16 v25 = ((double16)(td_exp_f64(v24)));
    double16 v26 = ((double16)((v1 * v25)));
    double16 v27 = ((double16)((v15 - v14)));
    double16 v28 = ((double16)((v27 * v16)));
    double16 v29 = ((double16)(td_erf_f64(v28)));
    double16 v30 = ((double16)((v19 + v29)));
    double16 v31 = ((double16)((v4 * v30)));
    double16 v32 = ((double16)((v26 * v31)));
    double16 v33 = ((double16)((v22 - v32)));
    double16 v34 = ((double16)((v33 - v0)));
    double16 v35 = ((double16)((v34 + v26)));
    out0[16 * i + 0] = v33.s0;
    out0[16 * i + 1] = v33.s1;
    out0[16 * i + 2] = v33.s2;
    out0[16 * i + 3] = v33.s3;
    out0[16 * i + 4] = v33.s4;
    out0[16 * i + 5] = v33.s5;
    out0[16 * i + 6] = v33.s6;
    out0[16 * i + 7] = v33.s7;
    out0[16 * i + 8] = v33.s8;
    out0[16 * i + 9] = v33.s9;
    out0[16 * i + 10] = v33.sa;
    out0[16 * i + 11] = v33.sb;
    out0[16 * i + 12] = v33.sc;
    out0[16 * i + 13] = v33.sd;
    out0[16 * i + 14] = v33.se;
    out0[16 * i + 15] = v33.sf;
    out1[16 * i + 0] = v35.s0;
    out1[16 * i + 1] = v35.s1;
    out1[16 * i + 2] = v35.s2;
    out1[16 * i + 3] = v35.s3;
    out1[16 * i + 4] = v35.s4;
    out1[16 * i + 5] = v35.s5;
    out1[16 * i + 6] = v35.s6;
    out1[16 * i + 7] = v35.s7;
    out1[16 * i + 8] = v35.s8;
    out1[16 * i + 9] = v35.s9;
    out1[16 * i + 10] = v35.sa;
    out1[16 * i + 11] = v35.sb;
    out1[16 * i + 12] = v35.sc;
    out1[16 * i + 13] = v35.sd;
    out1[16 * i + 14] = v35.se;
    out1[16 * i + 15] = v35.sf;
}
