"""How long FAST_RUN's rewrites take on a graph of about 2,000 nodes.

    python tools/bench_rewrite.py [--nodes 2000] [--repeat 5]

The graph is a deterministic random mix of elementwise ops (with constants that
canonicalisation removes, stabilisable log/exp forms, broadcasting rows), reductions,
dot products and dimshuffles over a few matrix and vector inputs. It prints the node
count before and after, and the best and median wall time of `rewrite_graph`.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tensordsl import tensor as T  # noqa: E402
from tensordsl.graph.fgraph import FunctionGraph  # noqa: E402
from tensordsl.rewrite import rewrite_graph  # noqa: E402


def build_graph(n_nodes: int, seed: int = 0) -> tuple[list, list]:
    """Inputs and outputs of a random expression graph with about `n_nodes` nodes."""
    rng = random.Random(seed)
    mats = [T.dmatrix(f"m{i}") for i in range(4)]
    vecs = [T.dvector(f"v{i}") for i in range(4)]
    pool = list(mats)
    unary = [T.exp, T.tanh, T.sqr, T.abs, T.neg, lambda a: T.log(1 + T.sqr(a)),
             lambda a: a * 1 + 0, lambda a: a ** 2, lambda a: T.exp(a) - 1,
             lambda a: T.nnet.sigmoid(a)]
    binary = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
              lambda a, b: T.maximum(a, b), lambda a, b: a / (1 + T.sqr(b))]
    count = 0
    while count < n_nodes:
        kind = rng.random()
        a = rng.choice(pool[-40:])
        if kind < 0.45:
            out = rng.choice(unary)(a)
        elif kind < 0.85:
            out = rng.choice(binary)(a, rng.choice(pool[-40:]))
        elif kind < 0.93:
            out = a + rng.choice(vecs)  # broadcast a row
        elif kind < 0.97:
            out = a * a.sum(axis=1, keepdims=True)
        else:
            out = T.dot(a, a.T)
        pool.append(out)
        count = len(FunctionGraph(mats + vecs, [out], clone=False).apply_nodes) \
            if len(pool) % 50 == 0 else count + 2
    outputs = pool[-5:] + [p.sum() for p in pool[len(mats)::97]]
    return mats + vecs, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    inputs, outputs = build_graph(args.nodes)
    times = []
    for _ in range(args.repeat):
        fgraph = FunctionGraph(inputs, outputs, clone=True)
        before = len(fgraph.apply_nodes)
        start = time.perf_counter()
        rewrite_graph(fgraph, include=("fast_run",))
        times.append(time.perf_counter() - start)
        after = len(fgraph.apply_nodes)
    print(f"graph: {before} nodes before FAST_RUN rewrites, {after} after")
    print(f"rewrite time: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
          f"over {args.repeat} runs")


if __name__ == "__main__":
    main()
