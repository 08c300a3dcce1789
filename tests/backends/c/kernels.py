"""Helpers of the C backend tests: build Kernels by hand, run them compiled, compare
with the numpy oracle (`tensordsl.kernel.evaluate`) within a stated ulp bound."""

from __future__ import annotations

import numpy as np

from tensordsl.accuracy import INEXACT, ulp_bound, within_ulps
from tensordsl.backends.c.lowering import Lowering, Unsupported
from tensordsl.backends.c.schedule import kernel_runner
from tensordsl.kernel.evaluate import evaluate_kernel
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps


def lowerable(op: ps.ScalarOp, in_dtypes: tuple[str, ...]) -> str | None:
    """The op's output dtype when the C backend can lower it for `in_dtypes`, else None."""
    try:
        out = op.output_dtype(in_dtypes)
        Lowering().lower_op(op.name, [(f"a{i}", d) for i, d in enumerate(in_dtypes)], out,
                            op.compute_in_out)
    except (Unsupported, TypeError):
        return None
    return out


def multi_op_kernel(ndim: int, in_dtypes: tuple[str, ...],
                    ops: list[tuple[ps.ScalarOp, tuple[int, ...]]],
                    broadcastable: tuple[tuple[bool, ...], ...] | None = None) -> Kernel:
    """A kernel loading every input and computing each (op, input indices) as an output."""
    bc = broadcastable or tuple((False,) * ndim for _ in in_dtypes)
    inputs = tuple(KernelInput(d, b) for d, b in zip(in_dtypes, bc))
    body = [ScalarNode(d, input=i) for i, d in enumerate(in_dtypes)]
    outputs = []
    for op, args in ops:
        out = op.output_dtype(tuple(in_dtypes[a] for a in args))
        body.append(ScalarNode(out, op=op, args=args))
        outputs.append(len(body) - 1)
    return Kernel(ndim, inputs, tuple(body), tuple(outputs),
                  tuple(body[o].dtype for o in outputs), name="test multi-op")


def run_c(kernel: Kernel, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Run `kernel` compiled."""
    labels = [f"'in{i}'" for i in range(len(kernel.inputs))]
    return kernel_runner(kernel, labels, "test kernel").call(list(arrays))


def assert_matches(got: np.ndarray, want: np.ndarray, inexact: bool, what: str,
                   op: str = "") -> None:
    """Equal dtype, shape and values (NaN == NaN); within the accuracy contract's ulp
    bound for `op` when `inexact`."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if got.dtype.kind != "f":
        bad = got != want
    else:
        with np.errstate(all="ignore"):
            same = (got == want) | (np.isnan(got) & np.isnan(want))
            if inexact:
                same |= within_ulps(got, want, ulp_bound(op) or ulp_bound("exp"))
        bad = ~same
    if bad.any():
        idx = np.argwhere(bad)[:5]
        raise AssertionError(f"{what}: {int(bad.sum())} element(s) differ, e.g. at "
                             f"{idx.tolist()}: got {got[bad][:5]} want {want[bad][:5]}")


def check_kernel(kernel: Kernel, arrays: list[np.ndarray], names: list[str] | None = None
                 ) -> None:
    """Compiled outputs == oracle outputs, per output."""
    want = evaluate_kernel(kernel, list(arrays))
    got = run_c(kernel, arrays)
    for j, (g, w) in enumerate(zip(got, want)):
        node = kernel.body[kernel.outputs[j]]
        name = names[j] if names else (node.op.name if node.op else f"out{j}")
        assert_matches(g, w, name in INEXACT, f"output {j} ({name})", name)
