"""Run the differential fuzzer (tests/fuzz/fuzzlib.py) for a while.

    python tools/fuzz.py --minutes 30 [--start SEED] [--batch 50] [--save]

Programs are generated from consecutive seeds and checked in subprocesses (a crash
kills only the batch's process; the program that crashed is recorded). Every minute,
and at the end, it prints the programs tried per backend and the failures; with
`--save` each failure is written to tests/fuzz/corpus/ (replayed by the test suite).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.fuzz import fuzzlib  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--batch", type=int, default=50, help="programs per subprocess")
    parser.add_argument("--save", action="store_true", help="write failures to the corpus")
    args = parser.parse_args(argv)
    deadline = time.time() + 60 * args.minutes
    tried: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    failures: list[tuple[int, str, str]] = []
    seed, last_report = args.start, time.time()
    while time.time() < deadline:
        seeds = list(range(seed, seed + args.batch))
        seed += args.batch
        for record in fuzzlib.run_isolated(seeds):
            if "crash" in record:
                failures.append((record["seed"], "crash", record["crash"]))
                tried["crash"] += 1
                _save(args, record["seed"], "subprocess", record["crash"])
                continue
            kinds[record["kind"]] += 1
            for backend, why in record["results"].items():
                tried[backend] += 1
                if why:
                    failures.append((record["seed"], backend, why))
                    _save(args, record["seed"], backend, why)
        if time.time() - last_report > 60:
            last_report = time.time()
            _report(seed - args.start, tried, kinds, failures, final=False)
    _report(seed - args.start, tried, kinds, failures, final=True)
    return 1 if failures else 0


def _save(args: argparse.Namespace, seed: int, backend: str, why: str) -> None:
    print(f"FAILURE seed {seed} on {backend}: {why.splitlines()[0][:300]}", flush=True)
    if args.save:
        program = fuzzlib.generate(fuzzlib.RandomChooser(seed), seed=seed)
        print(f"  saved {fuzzlib.save_reproducer(program, backend, why)}", flush=True)


def _report(n: int, tried: collections.Counter, kinds: collections.Counter,
            failures: list, final: bool) -> None:
    per_backend = ", ".join(f"{b}: {tried[b]}" for b in sorted(tried) if b != "crash")
    print(f"{'final' if final else 'so far'}: {n} programs ({dict(kinds)}); runs per "
          f"backend: {per_backend}; crashes: {tried['crash']}; failures: {len(failures)}",
          flush=True)
    if final:
        for seed, backend, why in failures:
            print(f"  seed {seed} [{backend}]: {why.splitlines()[0][:200]}")


if __name__ == "__main__":
    sys.exit(main())
