"""A corpus of plain numpy functions: their undecorated call is the oracle.

Each function is ordinary numpy code. `CASES` gives, per function, the argument specs
the tests draw inputs from: "f8[n,m]" is a float64 array with dims n and m (shared
between arguments), "f4+[n]" a positive float32 vector, "i4[n]" an int32 vector,
"i8[k]%n" int64 indices into a dim n, "float"/"int" a Python number.
"""

import math

import numpy
import numpy as np
import scipy.special
from numpy import exp, sqrt
from scipy.special import erf

import tensordsl

COEFFS = (0.5, -1.25, 2.0, 0.75)  # a global, compiled in as a constant
SCALE = 2.5
PROJ = np.array([[1.0, 0.5, -2.0], [0.25, 3.0, 1.0]])  # a global array constant


def norm_cdf(x):
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


def black_scholes(S, K, T, r, sigma):
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * sigma * sigma) * T) / (sigma * sqrt_t)
    d2 = d1 - sigma * sqrt_t
    call = S * norm_cdf(d1) - K * np.exp(-r * T) * norm_cdf(d2)
    put = call - S + K * np.exp(-r * T)
    return call, put


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp(x):
    m = np.max(x, axis=-1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=-1)) + m[:, 0]


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_erf(x):
    return 0.5 * x * (1.0 + scipy.special.erf(x / np.sqrt(2.0)))


def horner(x):
    acc = np.zeros_like(x)
    for c in COEFFS:
        acc = acc * x + c
    return acc


def pairwise_distances(X, Y):
    diff = X[:, None, :] - Y[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=-1))


def stencil_1d(u):
    v = u.copy()
    v[1:-1] = 0.25 * u[:-2] + 0.5 * u[1:-1] + 0.25 * u[2:]
    return v


def stencil_2d(u):
    out = u.copy()
    out[1:-1, 1:-1] = (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
                       - 4.0 * u[1:-1, 1:-1])
    return out


def newton_step(x):
    f = x ** 3 - 2.0
    df = 3.0 * x ** 2 + 1.0
    return x - f / df


def mlp_forward(x, W1, b1, W2, b2):
    h = np.maximum(x @ W1 + b1, 0.0)
    return np.tanh(h @ W2 + b2)


def cross_entropy(logits, target):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(target * log_probs).sum(axis=1).mean()


def piecewise(x):
    return np.where(x < -1.0, -x - 0.5, np.where(x > 1.0, x * x, 0.5 * x + 0.25))


def mixed_precision(x32, y64):
    return x32 * 2.0 + y64, (x32 * 1.5).sum()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


def huber(x, delta=1.0):
    a = np.abs(x)
    return np.where(a <= delta, 0.5 * x * x, delta * (a - 0.5 * delta))


def cosine_similarity(a, b):
    return np.dot(a, b) / (np.sqrt((a * a).sum()) * np.sqrt((b * b).sum()) + 1e-12)


def normalize_rows(x):
    norms = np.sqrt(np.sum(x * x, axis=1, keepdims=True)) + 1e-9
    return x / norms


def standardize(x):
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)


def smooth_l1(x, y, use_abs=True):
    d = x - y
    if use_abs:
        d = np.abs(d)
    return np.where(d < 1.0, 0.5 * d * d, d - 0.5).sum()


def saxpy(a, x, y):
    return a * x + y


def gaussian_pdf(x, mu, sigma):
    z = (x - mu) / sigma
    return np.exp(-0.5 * z * z) / (sigma * math.sqrt(2.0 * math.pi))


def rbf_kernel(X, Y, gamma):
    sq = (X * X).sum(axis=1)[:, None] + (Y * Y).sum(axis=1)[None, :] - 2.0 * X @ Y.T
    return exp(-gamma * np.maximum(sq, 0.0))


def affine(W, x, b):
    return W @ x + b


def outer_sum(a, b):
    return np.outer(a, b).sum(axis=0)


def trapezoid(y, dx):
    return ((y[1:] + y[:-1]) * dx / 2.0).sum()


def finite_difference(y, dx):
    return np.diff(y) / dx


def clip_scale(x):
    return np.clip(x, -1.0, 1.0) * SCALE


def logistic_loss(X, w, y):
    margins = y * (X @ w)
    return np.mean(np.log1p(np.exp(-margins)))


def kl_divergence(p, q):
    p = p / p.sum()
    q = q / q.sum()
    return (p * np.log(p / q)).sum()


def ema_columns(x):
    acc = x[:, 0]
    for j in range(1, 3):
        acc = 0.7 * acc + 0.3 * x[:, j % x.shape[1]] if x.shape[1] > 1 else acc
    return acc


def rotate(points, theta):
    c = math.cos(theta)
    s = math.sin(theta)
    x = points[:, 0]
    y = points[:, 1]
    return np.stack([c * x - s * y, s * x + c * y], axis=1)


def shift_scale(x):
    y = x - x.min()
    y *= 2.0
    y += 1.0
    return y


def int_features(v):
    return v.sum(), v.mean(), v // 2, v % 3, v / 2, (v * 3).max()


def exp_of_ints(v):
    return np.exp(v * 0), np.sqrt(np.abs(v))


def count_positive(x):
    return (x > 0).sum(), np.any(x > 2.0), np.all(x > -5.0)


def sliding_max(x):
    return np.maximum(x[:-1], x[1:])


def swish(x):
    return x * scipy.special.expit(x)


def gram_distances(X):
    sq = np.sum(X ** 2, axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    return np.sqrt(np.maximum(d2, 0.0))


def attention(q, k, v):
    d = q.shape[1]
    scores = q @ k.T / math.sqrt(d)
    return softmax(scores) @ v


def summary_stats(x):
    return x.min(), x.max(), np.argmax(x), x.var()


def as_list(x):
    return [x + 1.0, x * 2.0]


def describe(x, scale=2.0, shift=0.0):
    return saxpy(scale, x, shift)


def data_dependent_if(x):
    total = x.sum()
    if total > 0:
        y = x * 2.0
    else:
        y = -x
    return y


def early_return(x, t):
    if x.mean() > t:
        return x - t
    elif x.mean() < -t:
        return x + t
    return x * 0.0


def reshape_transpose(x):
    n, m = x.shape
    return x.T.reshape(n * m), x.reshape(m, n).sum(axis=0)


def concat_stack(x):
    return np.concatenate([x, x * 2.0]), np.stack([x, -x]).sum(axis=0)


def float32_scalar(x32):
    return x32 * 0.5 + 1.0, np.float32(3.0) * x32


def gather(x, idx):
    return x[idx] * 2.0, x[np.arange(x.shape[0])[::-1]]


def zeros_like_accumulate(x):
    out = np.zeros_like(x)
    out[0] += x[0] * 2.0
    out[1:] = x[1:] - x[:-1]
    return out


def math_scalars(x, a):
    return math.exp(a) * x + math.log1p(abs(a))


def astype_mix(x):
    return x.astype(np.float32) * 2.0, x.astype(numpy.int32)


def manual_mean(x):
    return x.sum() / x.shape[0], x.sum(axis=0) / len(x)


def weak_arith(a, b):
    return a + b, a * b - 1, a / b if b != 0 else a


def ndim_static(x):
    if x.ndim == 2:
        return x.sum(axis=1)
    return x * 2.0


def sqrt_imported(x):
    return sqrt(np.abs(x)) + exp(-x * x)


def make_scaled(factor):
    def scaled(x):
        return x * factor + offset  # closure values are constants
    offset = 0.5
    return scaled


closure_scaled = make_scaled(1.5)


def project(x):
    return x @ PROJ


@tensordsl.compile
def compiled_helper(x, power=2):
    return np.abs(x) ** power


def calls_compiled(x):
    return compiled_helper(x) + compiled_helper(x, power=3)


def fancy_set(x, idx):
    u = x.copy()
    u[idx] = -1.0
    u[idx] += 0.5
    return u


def scalar_logic(x, a):
    if a > 0.5 and a < 2.0:
        return x * a
    return x - a


def if_expression(x, a):
    y = x * 2.0 if a > 1.0 else x * 3.0
    lo = hi = x.min()
    return y, lo + hi


def loop_over_tuple(x):
    total = np.zeros_like(x)
    for weight, power in ((0.5, 1), (0.25, 2), (0.125, 3)):
        total += weight * x ** power
    return total


def chained_compare(x):
    inside = (0.0 < x) & (x < 1.0)
    return np.where(inside, x, 0.0), 0 < x.shape[0] <= 5


def norms_and_flips(x, y):
    unit = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
    close = np.isclose(x, np.flip(np.flip(x, axis=0), axis=0))
    return unit, np.linalg.norm(y), close.all(), np.degrees(np.radians(y)), \
        np.heaviside(y, 0.5)


CASES = [
    (black_scholes, ["f8+[n]", "f8+[n]", "f8+[n]", "float", "f8+[n]"]),
    (softmax, ["f8[n,m]"]),
    (logsumexp, ["f8[n,m]"]),
    (layer_norm, ["f8[n,m]", "f8[m]", "f8[m]"]),
    (gelu_tanh, ["f8[n]"]),
    (gelu_erf, ["f4[n,m]"]),
    (horner, ["f8[n]"]),
    (pairwise_distances, ["f8[n,k]", "f8[m,k]"]),
    (stencil_1d, ["f8[n]"]),
    (stencil_2d, ["f8[n,m]"]),
    (newton_step, ["f8+[n]"]),
    (mlp_forward, ["f8[n,k]", "f8[k,m]", "f8[m]", "f8[m,k]", "f8[k]"]),
    (cross_entropy, ["f8[n,m]", "f8+[n,m]"]),
    (piecewise, ["f8[n]"]),
    (mixed_precision, ["f4[n]", "f8[n]"]),
    (sigmoid, ["f4[n]"]),
    (leaky_relu, ["f8[n,m]"]),
    (huber, ["f4[n]"]),
    (cosine_similarity, ["f8[n]", "f8[n]"]),
    (normalize_rows, ["f8[n,m]"]),
    (standardize, ["f8[n,m]"]),
    (smooth_l1, ["f8[n]", "f8[n]"]),
    (saxpy, ["float", "f4[n]", "f4[n]"]),
    (gaussian_pdf, ["f8[n]", "float", "float+"]),
    (rbf_kernel, ["f8[n,k]", "f8[m,k]", "float+"]),
    (affine, ["f8[n,m]", "f8[m]", "f8[n]"]),
    (outer_sum, ["f8[n]", "f8[m]"]),
    (trapezoid, ["f8[n]", "float+"]),
    (finite_difference, ["f8[n]", "float+"]),
    (clip_scale, ["f4[n,m]"]),
    (logistic_loss, ["f8[n,m]", "f8[m]", "f8[n]"]),
    (kl_divergence, ["f8+[n]", "f8+[n]"]),
    (ema_columns, ["f8[n,m]"]),
    (rotate, ["f8[n,2]", "float"]),
    (shift_scale, ["f8[n]"]),
    (int_features, ["i4[n]"]),
    (exp_of_ints, ["i4[n]"]),
    (count_positive, ["f8[n,m]"]),
    (sliding_max, ["f4[n]"]),
    (swish, ["f8[n]"]),
    (gram_distances, ["f8[n,k]"]),
    (attention, ["f8[n,k]", "f8[m,k]", "f8[m,k]"]),
    (summary_stats, ["f8[n]"]),
    (as_list, ["f8[n]"]),
    (describe, ["f4[n]"]),
    (data_dependent_if, ["f8[n]"]),
    (early_return, ["f8[n]", "float+"]),
    (reshape_transpose, ["f8[n,m]"]),
    (concat_stack, ["f8[n]"]),
    (float32_scalar, ["f4[n,m]"]),
    (gather, ["f8[n]", "i8[k]%n"]),
    (zeros_like_accumulate, ["f8[n]"]),
    (math_scalars, ["f8[n]", "float"]),
    (astype_mix, ["f8[n]"]),
    (manual_mean, ["f4[n,m]"]),
    (weak_arith, ["float", "int"]),
    (ndim_static, ["f8[n,m]"]),
    (sqrt_imported, ["f8[n]"]),
    (closure_scaled, ["f8[n,m]"]),
    (project, ["f8[n,2]"]),
    (calls_compiled, ["f8[n]"]),
    (fancy_set, ["f8[n]", "i8[k]%n"]),
    (scalar_logic, ["f8[n]", "float"]),
    (if_expression, ["f4[n]", "float"]),
    (loop_over_tuple, ["f8[n]"]),
    (chained_compare, ["f8[n]"]),
    (norms_and_flips, ["f8[n,m]", "f4[k]"]),
]
