"""float64 erf for OpenCL C: W. J. Cody's rational approximations, one division.

Why not the builtin: PoCL 3.0's `erf` is SLEEF's double-double `Sleef_erfd8_u10`; in
the float64 Black-Scholes vector kernel (two erf per element) it was 76% of the
kernel's time in a perf profile (docs/opencl.md). This helper is straight-line
arithmetic plus one `exp`, so it vectorises (double8 in the vector path) and costs
one division where Cody's CALERF has five.

Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
(1969), coefficients as in netlib specfun CALERF:
* |x| <= 0.5: erf = x * A(x^2) / B(x^2);
* 0.5 < |x| <= 4: erfc = exp(-x^2) * C(|x|) / D(|x|);
* |x| > 4: erfc = exp(-x^2) / |x| * (1/sqrt(pi) - P(1/x^2) / (x^2 Q(1/x^2))); here
  P and Q are multiplied through by x^10, so they become polynomials in x^2 and the
  interval needs no division of its own;
then erf = sign(x) * ((0.5 - erfc) + 0.5). |x| is clamped at 6, where erf already
rounds to +-1, so inf gives +-1 and exp never overflows; NaN stays NaN (comparisons
with NaN are false, and the last interval's arithmetic carries it). The three
intervals' numerators and denominators are selected first, then divided once.

Error against scipy's erf (double), measured on PoCL over 3.4M points in [-7, 7], the
interval edges, subnormals and specials: at most 4 ulp (mean 0.5), inside the contract's
`accuracy.ulp_bound("erf")` of 8 (the C backend's libmvec erf: 3).
"""

from __future__ import annotations

# CALERF's coefficients, in its order (the last of each numerator is the leading one).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_RSQRT_PI = 5.6418958354775628695e-1  # 1 / sqrt(pi)

NAME = "td_erf_f64"


def _lit(value: float) -> str:
    """An exact OpenCL C double literal (hex, no suffix)."""
    return float(value).hex()


def _cody(num: tuple[float, ...], den: tuple[float, ...], var: str) -> tuple[str, str]:
    """CALERF's evaluation: xnum = num[-1]*v; xden = v; then (x + c_i)*v for each i;
    finally + num[n] and + den[n] (den is monic)."""
    n = len(den) - 1
    xnum, xden = f"{_lit(num[-1])} * {var}", var
    for i in range(n):
        xnum = f"({xnum} + {_lit(num[i])}) * {var}"
        xden = f"({xden} + {_lit(den[i])}) * {var}"
    return f"({xnum} + {_lit(num[n])})", f"({xden} + {_lit(den[n])})"


def _horner(coefficients: tuple[float, ...], var: str) -> str:
    """Horner's scheme, highest degree first."""
    expr = _lit(coefficients[0])
    for c in coefficients[1:]:
        expr = f"({expr} * {var} + {_lit(c)})"
    return expr


def helper_source(vtype: str, exp: str = "exp") -> str:
    """The OpenCL C text of `td_erf_f64` over `vtype` ("double" or "doubleN"), calling
    the function named `exp` (the builtin, or explog.py's inline helper, defined before
    this one) for its exp(-x^2)."""
    t = vtype
    small_num, small_den = _cody(_A, _B, "ysq")
    mid_num, mid_den = _cody(_C, _D, "y")
    # x^10 P(1/x^2) and x^10 Q(1/x^2), as polynomials in s = x^2 (highest degree first)
    far_num = _horner((_P[4], _P[3], _P[2], _P[1], _P[0], _P[5]), "ysq")
    far_den = _horner((_Q[4], _Q[3], _Q[2], _Q[1], _Q[0], 1.0), "ysq")
    return (
        f"static inline {t} {NAME}({t} x)\n{{\n"
        "    /* W. J. Cody's rational approximations, one division (opencl/erf64.py) */\n"
        f"    {t} y = x < 0.0 ? -x : x;  /* not fabs: an out-of-line call on PoCL */\n"
        "    y = y > 6.0 ? 6.0 : y;  /* erf rounds to +-1 from 5.93 on; NaN stays NaN */\n"
        f"    {t} ysq = y * y;\n"
        f"    {t} fd = {far_den};\n"
        f"    {t} num = y <= 4.0 ? {mid_num} : {_lit(_RSQRT_PI)} * ysq * fd - {far_num};\n"
        f"    {t} den = y <= 4.0 ? {mid_den} : ysq * y * fd;\n"
        f"    num = y <= 0.5 ? x * {small_num} : num;\n"
        f"    den = y <= 0.5 ? {small_den} : den;\n"
        f"    {t} q = num / den;\n"
        f"    {t} big = (0.5 - q * {exp}(-ysq)) + 0.5;\n"
        "    big = x < 0.0 ? -big : big;\n"
        "    return y <= 0.5 ? q : big;\n}\n")
