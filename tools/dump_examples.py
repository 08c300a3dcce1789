"""Write kernels/: the dumped kernels and manifests of every program in examples/.

    python tools/dump_examples.py [--out kernels] [--targets c,opencl]

For each example, every tensordsl.function it defines at module level (and the plain
numpy functions listed in EXAMPLE_SIGNATURES, with their signatures, also as a
`--standalone` C pair) is dumped with `tensordsl dump` into OUT/EXAMPLE/. Targets not
available here are left out (and left alone in OUT). Generation is deterministic:
tests/cli/test_kernels_dir.py regenerates it in a temporary folder and fails on any
difference. Scripts run in a temporary working directory (some write pictures).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# plain numpy functions of the examples: name and signature (standalone C exported too)
EXAMPLE_SIGNATURES: dict[str, list[tuple[str, str]]] = {
    "decorator_black_scholes": [("black_scholes", "f8[:], f8[:], f8[:], f8, f8[:]"),
                                ("call_price_sum", "f8[:], f8[:], f8[:], f8, f8[:]")],
    "dask_black_scholes": [("priced", "f8[:], f8[:], f8[:], f8, f8[:]"),
                           ("mean_price", "f8[:]")],
}
STANDALONE = {"decorator_black_scholes": ["black_scholes"]}
# examples that compile nothing at module level (functions built inside main())
NO_FUNCTIONS = ("lenet_tutorial", "shared_variables")


def examples() -> list[str]:
    """The example scripts, sorted."""
    return sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))


def dump_example(path: str, out: str, targets: list[str]) -> list[str]:
    """Dump one example into `out` (its own folder); the command lines run."""
    from tensordsl.cli import main

    stem = os.path.splitext(os.path.basename(path))[0]
    if stem in NO_FUNCTIONS:  # nothing to dump (the CLI would print a usage error)
        return []
    folder = os.path.join(out, stem)
    runs = []
    named = EXAMPLE_SIGNATURES.get(stem, [])
    jobs = [([path], [])] if not named else \
        [([f"{path}:{n}"], ["--signature", s] + (["--standalone"] if n in
                                                STANDALONE.get(stem, []) else []))
         for n, s in named]
    for specs, extra in jobs:
        for target in targets:
            if target != "c":
                extra = [e for e in extra if e != "--standalone"]
            argv = ["dump", *specs, "--target", target, "--out", folder, *extra]
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(argv)
            if code != 0:
                raise SystemExit(f"tensordsl {' '.join(argv)} failed with {code}")
            runs.append(" ".join(["tensordsl", "dump", os.path.relpath(specs[0], ROOT),
                                  "--target", target, *extra]))
    return runs


def generate(out: str, targets: list[str]) -> dict[str, list[str]]:
    """Dump every example into `out`; {example: command lines}."""
    index = {}
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="td_examples_") as scratch:
        os.chdir(scratch)
        try:
            for path in examples():
                stem = os.path.splitext(os.path.basename(path))[0]
                for target in targets:
                    shutil.rmtree(os.path.join(out, stem, "**", target), ignore_errors=True)
                index[stem] = dump_example(path, out, targets)
        finally:
            os.chdir(here)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write("\n")
    return index


def available_targets() -> list[str]:
    """c and opencl where available here."""
    from tensordsl.testing import target_status

    return [t for t in ("c", "opencl") if target_status(t)[0]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "kernels"))
    parser.add_argument("--targets", default=None, help="default: c,opencl where available")
    args = parser.parse_args(argv)
    targets = args.targets.split(",") if args.targets else available_targets()
    os.makedirs(args.out, exist_ok=True)
    index = generate(os.path.abspath(args.out), targets)
    print(f"{sum(map(len, index.values()))} dumps of {len(index)} examples in {args.out} "
          f"(targets: {', '.join(targets)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
