"""A decorated function for the OpenCL target, for tests/test_dask.py (module level, so
it pickles by name; imported only where an OpenCL device exists)."""

import numpy as np

import tensordsl


@tensordsl.compile(target="opencl")
def softplus_scaled(x, y):
    return np.log1p(np.exp(x)) * y + 1.0
