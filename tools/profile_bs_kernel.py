"""Where the time of the fused Black-Scholes kernel goes: a knock-out profile.

`python tools/profile_bs_kernel.py [float32|float64]` takes the contiguous loop that
FAST_RUN generates for Black-Scholes (the real source, from the C backend), makes
variants with one part removed (the erf calls, the log, the exp, the divisions, the
square root), builds them all in one library with the backend's flags, and times them
on one thread, alternating, over data that stays in cache. "saves" is what a part costs
per element. The variants compute nonsense: they are only timed.

A perf profile of the whole function says less here: the libmvec calls show up as their
own symbols, but the erf helper, divisions and square root are inlined into the loop.
"""

from __future__ import annotations

import ctypes
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def kernel_source(dtype: str) -> str:
    """The C unit FAST_RUN builds for Black-Scholes in `dtype`."""
    from benchsuite.wl_elemwise import bs_expr

    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.backends.c.schedule import kernel_source as render
    from tensordsl.kernel.lower import lower_node

    with tensordsl.config.change_flags(floatX=dtype):
        S, K, Tm = (T.vector(name, dtype=dtype) for name in ("S", "K", "T"))
        fn = tensordsl.function([S, K, Tm], bs_expr(T, S, K, Tm))
    (node,) = fn.maker.fgraph.toposort()
    kernel, _ = lower_node(node)
    return render(kernel)


def _flat_start(source: str) -> int:
    """Where the flat loop's definition starts (`static`, maybe `__attribute__((noinline))`:
    the renderer keeps one copy of each loop under OpenMP)."""
    match = re.search(r"^static (__attribute__\(\(noinline\)\) )?void td_kernel_flat\(",
                      source, re.MULTILINE)
    if match is None:
        raise ValueError("no td_kernel_flat definition in the kernel's source")
    return match.start()


def variants(source: str, dtype: str) -> dict[str, str]:
    """name -> C text of the flat loop with one part knocked out (exported as v_<name>)."""
    start = _flat_start(source)
    loop = source[start:source.index("\n}\n", start) + 3]
    loop = "void " + loop[loop.index("td_kernel_flat("):]  # exported: no static, no noinline
    f = "f" if dtype == "float32" else ""
    erf = "td_erf_f32(" if dtype == "float32" else "erf("
    cuts = {
        "full": [],
        "no erf": [(erf, "(")],
        "no log": [(f"log{f}(", "(")],
        "no exp": [(f"exp{f}(", "(")],
        "no log, exp": [(f"log{f}(", "("), (f"exp{f}(", "(")],
        "no divisions": [(" / ", " * ")],  # the loop's, not erf's
        "no sqrt": [(f"sqrt{f}(", "(")],
    }
    out = {}
    for name, pairs in cuts.items():
        text = loop
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new)
        out[name] = text.replace("void td_kernel_flat(", f"void v_{len(out)}(")
    return out


def main(dtype: str = "float32", n: int = 1 << 18, rounds: int = 30) -> None:
    """Build the variants, time them alternating, print ns per element."""
    from tensordsl.backends.c import build
    from tensordsl.config import config

    if dtype not in ("float32", "float64"):
        raise SystemExit(f"profile_bs_kernel.py: dtype must be float32 or float64, got {dtype!r}")
    source = kernel_source(dtype)
    parts = variants(source, dtype)
    unit = source[:_flat_start(source)] + "\n".join(parts.values())
    with tempfile.TemporaryDirectory() as tmp:
        c_file, lib_file = Path(tmp, "ko.c"), Path(tmp, "ko.so")
        c_file.write_text(unit)
        subprocess.run(build.command(config.cxx, str(c_file), str(lib_file)), check=True)
        lib = ctypes.CDLL(str(lib_file))
        rng = np.random.default_rng(11)
        s, k, t = (rng.uniform(50, 150, n).astype(dtype), rng.uniform(50, 150, n).astype(dtype),
                   rng.uniform(0.25, 2.0, n).astype(dtype))
        out = np.empty_like(s)
        ptr = ctypes.c_void_p
        args = (ctypes.c_longlong(0), ctypes.c_longlong(n), ptr(s.ctypes.data),
                ptr(k.ctypes.data), ptr(t.ctypes.data), ptr(out.ctypes.data))
        times: dict[str, list[float]] = {name: [] for name in parts}
        for _ in range(rounds):
            for i, name in enumerate(parts):
                fn = getattr(lib, f"v_{i}")
                start = time.perf_counter()
                for _ in range(10):
                    fn(*args)
                times[name].append((time.perf_counter() - start) / 10 / n * 1e9)
    full = statistics.median(times["full"])
    print(f"Black-Scholes {dtype}, one thread, {n} elements in cache, median of {rounds}:")
    for name, samples in times.items():
        med = statistics.median(samples)
        print(f"  {name:13s} {med:.3f} ns/element   saves {full - med:+.3f}")


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["float32"]))
