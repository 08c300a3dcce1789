"""Compare an implementation's output with numpy's before it is timed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Check:
    """Outcome of comparing one output with the numpy reference."""

    ok: bool
    max_abs_err: float
    message: str = ""


def _leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [np.asarray(value)]


def compare(result: Any, reference: Any, rtol: float, atol: float) -> Check:
    """Whether `result` matches `reference` leaf by leaf (shapes equal, allclose)."""
    got, want = _leaves(result), _leaves(reference)
    if len(got) != len(want):
        return Check(False, np.nan, f"{len(got)} outputs, numpy gives {len(want)}")
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            return Check(False, np.nan, f"output {i} has shape {g.shape}, numpy's {w.shape}")
        if g.size == 0:
            continue
        g64, w64 = g.astype(np.float64), w.astype(np.float64)
        worst = max(worst, float(np.max(np.abs(g64 - w64))))
        if not np.allclose(g64, w64, rtol=rtol, atol=atol, equal_nan=True):
            return Check(False, worst, f"output {i} differs from numpy (max abs err "
                                       f"{worst:.2g}, rtol={rtol:g}, atol={atol:g})")
    return Check(True, worst)


def dtype_note(result: Any, reference: Any) -> str:
    """A note when the outputs' dtypes differ from numpy's (values may still match)."""
    got = [str(a.dtype) for a in _leaves(result)]
    want = [str(a.dtype) for a in _leaves(reference)]
    if got == want:
        return ""
    return f"output dtype {_short(got)} (numpy: {_short(want)})"


def _short(dtypes: Sequence[str]) -> str:
    return ",".join(sorted(set(dtypes)))
