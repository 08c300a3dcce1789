/* tensordsl kernel fused: 1-d, 6 in, 2 out, ops true_div,log,mul,mul,add,mul,add,sqrt,mul,true_div,mul,erf,add,mul,mul,mul,exp,m */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

static inline __attribute__((always_inline)) double td_log_f64(double x0)
{
    /* x = 2^k z, z in [0.7071, 1.4142) from the bits; polynomial in z - 1 (opencl/explog.py) */
    long sub = x0 < 0x1.0000000000000p-1022;  /* subnormal (and <= 0: fixed up below) */
    double xs = sub ? x0 * 0x1.0000000000000p+54 : x0;
    long ix = as_long(xs) - 0x3fe6a09e667f3bcdL;
    long k = (ix >> 52) - (sub ? (long)(54) : (long)(0));
    double z = as_double(as_long(xs) - (ix & (long)0xfff0000000000000UL));
    double kd = as_double(k + 0x4338000000000000L) - 0x1.8000000000000p+52;  /* k as a float, exactly */
    double f = z - 0x1.0000000000000p+0;
    double s = f / (0x1.0000000000000p+1 + f);
    double zz = s * s;
    double w = zz * zz;
    double R = zz * (((0x1.2f112df3e5244p-3 * w + 0x1.7466496cb03dep-3) * w + 0x1.2492494229359p-2) * w + 0x1.5555555555593p-1) + w * ((0x1.39a09d078c69fp-3 * w + 0x1.c71c51d8e78afp-3) * w + 0x1.999999997fa04p-2);
    double hfsq = 0x1.0000000000000p-1 * f * f;
    double r = kd * 0x1.62e42fee00000p-1 - ((hfsq - (s * (hfsq + R) + kd * 0x1.a39ef35793c76p-33)) - f);
    r = x0 == 0x0.0p+0 ? -((double)INFINITY) : r;
    r = x0 == ((double)INFINITY) ? ((double)INFINITY) : r;
    return x0 >= 0x0.0p+0 ? r : ((double)NAN);  /* x < 0 and NaN */
}

static inline __attribute__((always_inline)) double td_sqrt_f64(double x)
{
    return __builtin_sqrt(x);
}

static inline __attribute__((always_inline)) double td_exp_f64(double x0)
{
    /* Cody-Waite reduction, polynomial, 2^k from exponent bits (opencl/explog.py) */
    double x = x0 > 0x1.62e6666666666p+9 ? 0x1.62e6666666666p+9 : x0;  /* NaN stays NaN */
    x = x < -0x1.749999999999ap+9 ? -0x1.749999999999ap+9 : x;
    double t = x * 0x1.71547652b82fep+0 + 0x1.8000000000000p+52;  /* rounds x/ln2 to an integer */
    double kd = t - 0x1.8000000000000p+52;
    long k = as_long(t) - 0x4338000000000000L;
    double r = (x - kd * 0x1.62e42fee00000p-1) - kd * 0x1.a39ef35793c76p-33;
    double e = 0x1.0000000000000p+0 + (r + (r * r) * (((((((((((0x1.6124613a86d09p-33 * r + 0x1.1eed8eff8d898p-29) * r + 0x1.ae64567f544e4p-26) * r + 0x1.27e4fb7789f5cp-22) * r + 0x1.71de3a556c734p-19) * r + 0x1.a01a01a01a01ap-16) * r + 0x1.a01a01a01a01ap-13) * r + 0x1.6c16c16c16c17p-10) * r + 0x1.1111111111111p-7) * r + 0x1.5555555555555p-5) * r + 0x1.5555555555555p-3) * r + 0x1.0000000000000p-1));
    long k1 = k >> 1;
    double s1 = as_double((k1 + 1023L) << 52);
    double s2 = as_double((k - k1 + 1023L) << 52);
    return (e * s1) * s2;
}

static inline __attribute__((always_inline)) double td_erf_f64(double x)
{
    /* W. J. Cody's rational approximations, one division (opencl/erf64.py) */
    double y = x < 0.0 ? -x : x;  /* not fabs: an out-of-line call on PoCL */
    y = y > 6.0 ? 6.0 : y;  /* erf rounds to +-1 from 5.93 on; NaN stays NaN */
    double ysq = y * y;
    double fd = (((((0x1.32147a014bad1p-9 * ysq + 0x1.efc42917d7de7p-5) * ysq + 0x1.0e4993e122c39p-1) * ysq + 0x1.df79d6855f0ccp+0) * ysq + 0x1.48c54508800dbp+1) * ysq + 0x1.0000000000000p+0);
    double num = y <= 4.0 ? ((((((((0x1.71e703c5f5815p-26 * y + 0x1.20dd508eb103ep-1) * y + 0x1.1c42c35b8bc02p+3) * y + 0x1.087a0d1c420d0p+6) * y + 0x1.2aa2986aba462p+8) * y + 0x1.b8f9e262b9fa3p+9) * y + 0x1.ac030c15dc8d7p+10) * y + 0x1.0062821236f6bp+11) * y + 0x1.3395b7fd2fc8ep+10) : 0x1.20dd750429b6dp-1 * ysq * fd - (((((0x1.595fd0d71e33cp-11 * ysq + 0x1.078448cd6c5b5p-6) * ysq + 0x1.0199d980a842fp-3) * ysq + 0x1.70fe40e2425b8p-2) * ysq + 0x1.38a78b9f065f6p-2) * ysq + 0x1.0b4fb18b485c7p-6);
    double den = y <= 4.0 ? ((((((((y + 0x1.f7d66f486ded5p+3) * y + 0x1.d6c69b0ffcde7p+6) * y + 0x1.0c972e588749ep+9) * y + 0x1.9558eeca29d27p+10) * y + 0x1.9b599356d1202p+11) * y + 0x1.10a9e7cb10e86p+12) * y + 0x1.adebc3fc90dbdp+11) * y + 0x1.3395b7fd35f61p+10) : ysq * y * fd;
    num = y <= 0.5 ? x * ((((0x1.7c7905a31c322p-3 * ysq + 0x1.949fb3ed443e9p+1) * ysq + 0x1.c774e4d365da3p+6) * ysq + 0x1.797c38897528bp+8) * ysq + 0x1.912c1535d121ap+11) : num;
    den = y <= 0.5 ? ((((ysq + 0x1.799ee342fb2dep+4) * ysq + 0x1.e80c9d57e55b8p+7) * ysq + 0x1.40a77529cadc8p+10) * ysq + 0x1.63879423b87adp+11) : den;
    double q = num / den;
    double big = (0.5 - q * td_exp_f64(-ysq)) + 0.5;
    big = x < 0.0 ? -big : big;
    return y <= 0.5 ? q : big;
}

__kernel void td_flat(const long n, const long base, __global const double *in0, const long off0, __global const double *in1, const long off1, __global const double *in2, const long off2, __global const double *in3, const long off3, __global const double *in4, const long off4, __global const double *in5, const long off5, __global double *out0, __global double *out1)
{
    const long i = base + get_global_id(0);
    if (i >= n) return;
    double v0 = in0[off0 + i];
    double v1 = in1[off1 + i];
    double v2 = ((double)((v0 / v1)));
    double v3 = ((double)(td_log_f64(v2)));
    double v4 = ((double)0x1.0000000000000p-1);
    double v5 = in2[off2 + i];
    double v6 = ((double)((v4 * v5)));
    double v7 = ((double)((v6 * v5)));
    double v8 = in3[off3];
    double v9 = ((double)((v8 + v7)));
    double v10 = in4[off4 + i];
    double v11 = ((double)((v9 * v10)));
    double v12 = ((double)((v3 + v11)));
    double v13 = ((double)(td_sqrt_f64(v10)));
    double v14 = ((double)((v5 * v13)));
    double v15 = ((double)((v12 / v14)));
    double v16 = ((double)0x1.6a09e667f3bccp-1);
    double v17 = ((double)((v15 * v16)));
    double v18 = ((double)(td_erf_f64(v17)));
    double v19 = ((double)0x1.0000000000000p+0);
    double v20 = ((double)((v19 + v18)));
    double v21 = ((double)((v4 * v20)));
    double v22 = ((double)((v0 * v21)));
    double v23 = in5[off5];
    double v24 = ((double)((v23 * v10)));
    double v25 = ((double)(td_exp_f64(v24)));
    double v26 = ((double)((v1 * v25)));
    double v27 = ((double)((v15 - v14)));
    double v28 = ((double)((v27 * v16)));
    double v29 = ((double)(td_erf_f64(v28)));
    double v30 = ((double)((v19 + v29)));
    double v31 = ((double)((v4 * v30)));
    double v32 = ((double)((v26 * v31)));
    double v33 = ((double)((v22 - v32)));
    double v34 = ((double)((v33 - v0)));
    double v35 = ((double)((v34 + v26)));
    out0[i] = ((double)(v33));
    out1[i] = ((double)(v35));
}

__kernel void td_strided(const long n, const long sh0, __global const double *in0, const long off0, const long st0_0, __global const double *in1, const long off1, const long st1_0, __global const double *in2, const long off2, const long st2_0, __global const double *in3, const long off3, const long st3_0, __global const double *in4, const long off4, const long st4_0, __global const double *in5, const long off5, const long st5_0, __global double *out0, __global double *out1)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    long p0 = off0;
    long p1 = off1;
    long p2 = off2;
    long p3 = off3;
    long p4 = off4;
    long p5 = off5;
    long r = i, c;
    c = r;
    p0 += c * st0_0;
    p1 += c * st1_0;
    p2 += c * st2_0;
    p3 += c * st3_0;
    p4 += c * st4_0;
    p5 += c * st5_0;
    double v0 = in0[p0];
    double v1 = in1[p1];
    double v2 = ((double)((v0 / v1)));
    double v3 = ((double)(td_log_f64(v2)));
    double v4 = ((double)0x1.0000000000000p-1);
    double v5 = in2[p2];
    double v6 = ((double)((v4 * v5)));
    double v7 = ((double)((v6 * v5)));
    double v8 = in3[p3];
    double v9 = ((double)((v8 + v7)));
    double v10 = in4[p4];
    double v11 = ((double)((v9 * v10)));
    double v12 = ((double)((v3 + v11)));
    double v13 = ((double)(td_sqrt_f64(v10)));
    double v14 = ((double)((v5 * v13)));
    double v15 = ((double)((v12 / v14)));
    double v16 = ((double)0x1.6a09e667f3bccp-1);
    double v17 = ((double)((v15 * v16)));
    double v18 = ((double)(td_erf_f64(v17)));
    double v19 = ((double)0x1.0000000000000p+0);
    double v20 = ((double)((v19 + v18)));
    double v21 = ((double)((v4 * v20)));
    double v22 = ((double)((v0 * v21)));
    double v23 = in5[p5];
    double v24 = ((double)((v23 * v10)));
    double v25 = ((double)(td_exp_f64(v24)));
    double v26 = ((double)((v1 * v25)));
    double v27 = ((double)((v15 - v14)));
    double v28 = ((double)((v27 * v16)));
    double v29 = ((double)(td_erf_f64(v28)));
    double v30 = ((double)((v19 + v29)));
    double v31 = ((double)((v4 * v30)));
    double v32 = ((double)((v26 * v31)));
    double v33 = ((double)((v22 - v32)));
    double v34 = ((double)((v33 - v0)));
    double v35 = ((double)((v34 + v26)));
    out0[i] = ((double)(v33));
    out1[i] = ((double)(v35));
}
