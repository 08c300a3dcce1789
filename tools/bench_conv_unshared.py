"""Unshared (locally connected) conv2d against the shared conv2d of the same size.

Both do the same multiply-adds (every output position of the unshared filters holds the
shared filter), so the ratio is the cost of one batched GEMM per output position
against one large GEMM. Interleaved samples, median of each; prints milliseconds and
ratios. Usage: PYTHONPATH=. python tools/bench_conv_unshared.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import tensordsl as theano
from tensordsl import tensor as T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    img = rng.random((64, 8, 24, 24)).astype("float32")
    shared = rng.random((16, 8, 5, 5)).astype("float32")
    unshared = np.ascontiguousarray(np.broadcast_to(shared[:, None, None],
                                                    (16, 20, 20, 8, 5, 5)))
    x, w4 = T.ftensor4("x"), T.ftensor4("w")
    w6 = T.TensorType("float32", (None,) * 6)("w6")

    def grad_fn(w, **kw):
        return theano.function([x, w], T.grad(T.sum(T.nnet.conv2d(x, w, **kw) ** 2), [x, w]))

    cases = {
        "forward shared": (theano.function([x, w4], T.nnet.conv2d(x, w4)), shared),
        "forward unshared": (theano.function([x, w6], T.nnet.conv2d(x, w6, unshared=True)),
                             unshared),
        "grad shared": (grad_fn(w4), shared),
        "grad unshared": (grad_fn(w6, unshared=True), unshared),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for fn, kern in cases.values():
        fn(img, kern)  # compile and warm up
    for _ in range(args.repeat):
        for name, (fn, kern) in cases.items():
            start = time.perf_counter()
            fn(img, kern)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    for name, ms in med.items():
        print(f"{name:18s} {ms:8.2f} ms")
    for kind in ("forward", "grad"):
        print(f"{kind} unshared / shared: {med[kind + ' unshared'] / med[kind + ' shared']:.2f}")


if __name__ == "__main__":
    main()
