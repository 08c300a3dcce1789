"""kernels/: regenerating it gives the same files (generation is deterministic), every
C file parses with pycparser and compiles with `cc -Wall -Werror` (no warning silenced),
every OpenCL file passes pycparserext, and each standalone pair, compiled into a C
driver, computes what numpy computes."""

from __future__ import annotations

import filecmp
import glob
import json
import os
import subprocess

import numpy as np
import pytest

from tests.cli.test_cli import HAS_C, c_driver, parse_outputs
from tools import dump_examples

ROOT = dump_examples.ROOT
KERNELS = os.path.join(ROOT, "kernels")
C_FILES = sorted(glob.glob(os.path.join(KERNELS, "**", "*.c"), recursive=True))
CL_FILES = sorted(glob.glob(os.path.join(KERNELS, "**", "*.cl"), recursive=True))
needs_c = pytest.mark.skipif(not HAS_C, reason="no C compiler here")


def _files(folder, targets):
    out = set()
    for path in glob.glob(os.path.join(folder, "**", "*"), recursive=True):
        rel = os.path.relpath(path, folder)
        parts = rel.split(os.sep)
        if os.path.isfile(path) and (set(parts) & set(targets) or rel == "index.json"
                                     or rel.endswith((".c", ".h")) and "c" in targets):
            out.add(rel)
    return out


@needs_c
def test_kernels_dir_is_up_to_date(tmp_path):
    targets = dump_examples.available_targets()
    dump_examples.generate(str(tmp_path), targets)
    fresh, committed = _files(str(tmp_path), targets), _files(KERNELS, targets)
    assert fresh == committed, ("run `python tools/dump_examples.py`",
                                sorted(fresh ^ committed)[:10])
    _, mismatch, errors = filecmp.cmpfiles(str(tmp_path), KERNELS, sorted(fresh), shallow=False)
    assert not mismatch and not errors, ("run `python tools/dump_examples.py`", mismatch)


def test_every_example_is_in_the_index():
    with open(os.path.join(KERNELS, "index.json")) as f:
        index = json.load(f)
    assert sorted(index) == sorted(os.path.splitext(os.path.basename(p))[0]
                                   for p in dump_examples.examples())
    assert [k for k, runs in index.items() if not runs] == list(dump_examples.NO_FUNCTIONS)


@pytest.mark.parametrize("path", C_FILES, ids=lambda p: os.path.relpath(p, KERNELS))
def test_c_files_parse_and_compile(path, tmp_path):
    from tensordsl.backends.c import validate

    text = open(path).read()
    standalone = not os.path.basename(os.path.dirname(path)) == "c"
    if not standalone:
        validate.check_source(text)  # pycparser, as the backend does before a build
    else:
        folder = os.path.dirname(path)
        name = os.path.splitext(os.path.basename(path))[0]
        header = open(os.path.join(folder, f"{name}.h")).read()
        unit = text.replace(f'#include "{name}.h"', header)
        unit = unit.replace("#include <stdlib.h>", "typedef unsigned long size_t; "
                            "void *malloc(unsigned long); "
                            "void free(void *);").replace("#include <string.h>",
                                                           "void *memset(void *, int, "
                                                           "unsigned long);")
        unit = "\n".join(line for line in unit.splitlines()
                         if not line.startswith(("#pragma", "#ifndef", "#define", "#endif")))
        validate.check_source(unit, path)
    if not HAS_C:
        return
    # no warning is silenced: kernels are pruned (tensordsl.kernel.prune), so a unit has
    # no dead value and no load of an operand read only for its shape
    flags = [] if standalone else ["-fopenmp"]
    proc = subprocess.run(["cc", "-Wall", "-Werror", "-std=c99", *flags, "-c", path, "-o",
                           str(tmp_path / "k.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", CL_FILES, ids=lambda p: os.path.relpath(p, KERNELS))
def test_opencl_files_parse(path):
    """Each OpenCL program passes the check the backend runs before a build."""
    pytest.importorskip("pycparserext")
    from tensordsl.backends.opencl.build import check_source

    with open(path) as f:
        check_source(f.read())


@needs_c
def test_black_scholes_standalone_from_c(tmp_path):
    folder = os.path.join(KERNELS, "decorator_black_scholes", "black_scholes")
    for ext in (".c", ".h"):
        with open(os.path.join(folder, f"black_scholes{ext}")) as f:
            (tmp_path / f"black_scholes{ext}").write_text(f.read())
    rng = np.random.default_rng(3)
    n = 6
    args = [rng.uniform(5, 30, n), rng.uniform(1, 100, n), rng.uniform(0.25, 10, n),
            np.array(0.02), rng.uniform(0.1, 0.5, n)]
    (tmp_path / "driver.c").write_text(c_driver("black_scholes", args, 2))
    subprocess.run(["cc", "-std=c99", "-c", "black_scholes.c"], cwd=tmp_path, check=True)
    subprocess.run(["cc", "-std=c99", "-o", "driver", "driver.c", "black_scholes.o", "-lm"],
                   cwd=tmp_path, check=True)
    ran = subprocess.run(["./driver"], cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout
    import sys

    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        from decorator_black_scholes import black_scholes
    finally:
        sys.path.pop(0)
    want = black_scholes(*args)
    got = parse_outputs(ran.stdout)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
