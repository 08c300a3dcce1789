"""Decorated functions for the device-array tests (the frontend parses their source)."""

import numpy as np

import tensordsl


@tensordsl.compile(target="opencl", return_device_arrays=True)
def scaled_exp(x):
    return np.exp(x) * 2.0
