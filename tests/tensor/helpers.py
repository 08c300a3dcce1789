"""Shared helpers of the tests/tensor suites: compile in a mode and compare with numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

import tensordsl

# FAST_COMPILE runs the numpy reference; FAST_RUN renders C kernels where it can and falls
# back to each new op's perform, so both paths are checked.
MODES = ("FAST_COMPILE", "FAST_RUN")


def run(inputs: list[Any], outputs: Any, values: list[np.ndarray], mode: str) -> Any:
    """Compile `outputs` of `inputs` in `mode`, call it on `values`, check no input changed."""
    before = [np.array(v, copy=True) for v in values]
    result = tensordsl.function(inputs, outputs, mode=mode, on_unused_input="ignore")(*values)
    for i, (v, b) in enumerate(zip(values, before)):
        np.testing.assert_array_equal(v, b, err_msg=f"input {i} was mutated")
    return result


def tol(dtype: Any) -> dict[str, float]:
    """assert_allclose tolerances for results of `dtype` (reassociated float sums)."""
    name = np.dtype(dtype).name
    if name == "float32":
        return {"rtol": 1e-4, "atol": 1e-5}
    if name == "float64":
        return {"rtol": 1e-10, "atol": 1e-12}
    return {"rtol": 0, "atol": 0}
