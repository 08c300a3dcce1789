"""A 0-d decorated function (its source must be in a file for the frontend to parse)."""

import numpy as np

import tensordsl


@tensordsl.compile(target="c")
def exp_mul_add(a, b):
    return np.exp(a) * b + 1.0
