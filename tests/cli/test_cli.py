"""The `tensordsl` command: dump (every example, every target), --standalone compiled
and run from C, graph, cache, --help, and each bad input's exit status and reason."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tensordsl.cli import main
from tensordsl.testing import target_status
from tests.cli import scripts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
HAS_C = target_status("c")[0]
needs_c = pytest.mark.skipif(not HAS_C, reason="no C compiler here")


@pytest.fixture()
def good(tmp_path):
    path = tmp_path / "good.py"
    path.write_text(scripts.GOOD)
    return str(path)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def read_manifest(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        return json.load(f)


# -- dump -------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["c", "numpy", "opencl"])
def test_dump_every_example(target, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # some examples write pictures where they run
    ok, why = target_status(target)
    if not ok:
        code, _, err = run(["dump", EXAMPLES[0], "--target", target, "--out",
                            str(tmp_path)], capsys)
        assert code == 1 and "not available" in err  # an unavailable target says why
        return
    from tools.dump_examples import EXAMPLE_SIGNATURES, NO_FUNCTIONS

    dumped = 0
    for path in EXAMPLES:
        stem = os.path.splitext(os.path.basename(path))[0]
        out = tmp_path / stem
        calls = [[f"{path}:{name}", "--signature", sig]
                 for name, sig in EXAMPLE_SIGNATURES.get(stem, [])] or [[path]]
        for call in calls:
            code, _, err = run(["dump", *call, "--target", target, "--out", str(out)], capsys)
            if stem in NO_FUNCTIONS:  # it compiles no function: a usage error says so
                assert code == 2 and "defines no tensordsl.function" in err
                continue
            assert code == 0, (path, err)
        for manifest_path in glob.glob(str(out / "**" / "manifest.json"), recursive=True):
            with open(manifest_path) as f:
                manifest = json.load(f)
            assert manifest["target"] == target and manifest["graph"]
            for kernel in manifest["kernels"]:
                text = open(os.path.join(os.path.dirname(manifest_path), kernel["file"])).read()
                assert kernel["entry"] in text
            dumped += 1
    assert dumped >= len(EXAMPLES) - len(NO_FUNCTIONS)


@needs_c
def test_dump_manifest_fields(good, tmp_path, capsys):
    code, out, _ = run(["dump", f"{good}:scaled_tanh,product", "--signature",
                        "f8[:, :], f8[:]", "--target", "all", "--out", str(tmp_path)], capsys)
    # product is a tensordsl.function: its own types, so the signature must not apply
    assert code == 2
    code, out, err = run(["dump", f"{good}:scaled_tanh", "--signature", "f8[:, :], f8[:]",
                          "--signature", "f4[:, :], f4[:]", "--target", "all", "--out",
                          str(tmp_path)], capsys)
    assert code == 0, err
    m = read_manifest(tmp_path / "scaled_tanh" / "s1" / "c")
    assert m["function"] == "scaled_tanh" and m["signature"] == "float32[:, :], float32[:]"
    assert m["compiler"]["cc"] and "-fwrapv" in m["compiler"]["flags"]
    assert any("reduce" in k["node"] for k in m["kernels"])
    assert all(k["args"] and k["entry"] == "td_kernel" for k in m["kernels"])
    assert isinstance(m["host_nodes"], list) and any("Fused" in line for line in m["graph"])
    source = open(tmp_path / "scaled_tanh" / "s1" / "c" / m["kernels"][0]["file"]).read()
    assert "float" in source and "td_kernel" in source
    numpy_m = read_manifest(tmp_path / "scaled_tanh" / "s0" / "numpy")
    assert numpy_m["compiler"] is None and numpy_m["kernels"][0]["language"] == "python"
    code, out, _ = run(["dump", f"{good}:product", "--out", str(tmp_path)], capsys)
    assert code == 0
    assert read_manifest(tmp_path / "product" / "c")["host_nodes"]  # the dot runs on the host
    assert "this line is captured" not in out


@needs_c
def test_dump_declared_signature_and_plain_function(good, tmp_path, capsys):
    code, _, err = run(["dump", f"{good}:softmax", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert read_manifest(tmp_path / "softmax" / "c")["signature"] == "float32[:, :]"
    code, _, err = run(["dump", f"{good}:plain", "--signature", "f8[:], f8[:]", "--out",
                        str(tmp_path)], capsys)
    assert code == 0, err


def test_python_dash_m_and_console_entry(good, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-m", "tensordsl", "dump", f"{good}:plain",
                           "--signature", "f8[:], f8[:]", "--target", "numpy", "--out",
                           str(tmp_path)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert os.path.isfile(tmp_path / "plain" / "numpy" / "k0.py")


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, code, words", [
    (["dump", "nosuch.py:f"], 2, "no such file"),
    (["dump", "{good}:nosuch"], 2, "has no 'nosuch'; functions there:"),
    (["dump", "{good}:plain", "--signature", "f8[:], f8[:]", "--target", "cuda"], 2,
     "unknown target 'cuda'"),
    (["dump", "{good}:plain", "--signature", "f8[:, x]"], 2, "malformed --signature"),
    (["dump", "{good}:plain"], 2, "give its argument types with --signature"),
    (["dump", "{good}:plain", "--signature", "f8[:]"], 2, "takes 2 arguments"),
    (["dump", "{good}:np"], 2, "not a function"),
    (["dump", "{good}"[:-3] + ".txt:f"], 2, "expected FILE.py:NAME"),
    (["dump"], 2, "required"),
    (["frobnicate"], 2, "invalid choice"),
    (["graph", "{good}:plain", "-o", "g.jpg", "--signature", "f8[:], f8[:]"], 2,
     "extension"),
    (["cache", "purge"], 2, "invalid choice"),
])
def test_bad_input_exit_status_and_reason(argv, code, words, good, tmp_path, capsys):
    argv = [a.replace("{good}", good) for a in argv]
    if argv[0] == "dump":
        argv += ["--out", str(tmp_path)]
    got, out, err = run(argv, capsys)
    assert got == code, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], err


def test_compile_error_is_exit_1_with_file_line_and_caret(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text(scripts.BAD_CONSTRUCT)
    code, _, err = run(["dump", f"{path}:looping", "--signature", "f8[:]", "--target",
                        "numpy", "--out", str(tmp_path)], capsys)
    assert code == 1
    assert "while loop" in err and f'File "{path}", line 7' in err and "^" in err


@pytest.mark.parametrize("sub", [[], ["dump"], ["graph"], ["cache"]])
def test_help(sub, capsys):
    with pytest.raises(SystemExit) as info:
        main([*sub, "--help"])
    assert info.value.code == 0
    assert "usage: tensordsl" in capsys.readouterr().out


# -- standalone -------------------------------------------------------------------------------
DRIVER = r'''
#include <stdio.h>
#include "{name}.h"
{data}
int main(void) {{
{setup}
    int status = {name}({args});
    if (status) {{ printf("status %d\n", status); return 1; }}
{prints}
    return 0;
}}
'''


def c_driver(name, arrays, n_out):
    data, setup = [], []
    ctypes = {"float64": "double", "float32": "float"}
    for k, a in enumerate(arrays):
        memory = a
        if not a.flags.c_contiguous:  # a view (a transpose): write its base's memory
            memory = a.base
            assert memory.flags.c_contiguous and memory.ctypes.data == a.ctypes.data
        vals = ", ".join(float(v).hex() for v in memory.reshape(-1)) or "0"
        data.append(f"static {ctypes[a.dtype.name]} d{k}[] = {{{vals}}};")
        dims = ", ".join(map(str, a.shape)) or "0"
        strides = ", ".join(map(str, a.strides)) or "0"
        data.append(f"static long long dims{k}[] = {{{dims}}}, st{k}[] = {{{strides}}};")
        setup.append(f"    td_array in{k} = {{0}}; in{k}.data = (char *)d{k}; "
                     f"in{k}.nd = {a.ndim}; in{k}.dims = dims{k}; in{k}.strides = st{k}; "
                     f"in{k}.flags = {int(a.flags.c_contiguous)};")
    setup += [f"    td_array out{k} = {{0}};" for k in range(n_out)]
    prints = []
    for k in range(n_out):
        prints.append(f"    {{ long long n = 1; for (int d = 0; d < out{k}.nd; d++) "
                      f"n *= out{k}.dims[d]; printf(\"out{k}\"); for (int d = 0; d < "
                      f"out{k}.nd; d++) printf(\" %lld\", out{k}.dims[d]); printf(\"\\n\");"
                      f" for (long long i = 0; i < n; i++) printf(\"%a\\n\", "
                      f"((double *)out{k}.data)[i]); {name}_release(&out{k}); }}")
    args = ", ".join([f"&in{k}" for k in range(len(arrays))] +
                     [f"&out{k}" for k in range(n_out)])
    return DRIVER.format(name=name, data="\n".join(data), setup="\n".join(setup),
                         args=args, prints="\n".join(prints))


def parse_outputs(text):
    outs, current = [], None
    for line in text.splitlines():
        if line.startswith("out"):
            current = [tuple(int(d) for d in line.split()[1:]), []]
            outs.append(current)
        else:
            current[1].append(float.fromhex(line))
    return [np.array(vals, dtype="float64").reshape(shape) for shape, vals in outs]


@needs_c
@pytest.mark.parametrize("name, sig, make", [
    ("scaled_tanh", "f8[:, :], f8[:]",
     lambda rng: [rng.standard_normal((3, 5)), rng.standard_normal(5)]),
    ("scaled_tanh", "f8[:, :], f8[:]",  # non-contiguous and broadcast inputs
     lambda rng: [rng.standard_normal((5, 3)).T, rng.standard_normal(1)]),
    ("plain", "f8[:], f8[:]", lambda rng: [rng.standard_normal(7), rng.standard_normal(7)]),
    ("plain", "f8[:], f8[:]", lambda rng: [np.zeros(0), np.zeros(0)]),
])
def test_standalone_compiles_and_runs_from_c(name, sig, make, good, tmp_path, capsys):
    code, _, err = run(["dump", f"{good}:{name}", "--signature", sig, "--standalone",
                        "--out", str(tmp_path)], capsys)
    assert code == 0, err
    folder = tmp_path / name
    assert "Python.h" not in (folder / f"{name}.c").read_text()
    obj = subprocess.run(["cc", "-Wall", "-Werror", "-std=c99", "-c", f"{name}.c", "-o",
                          f"{name}.o"], cwd=folder, capture_output=True, text=True)
    assert obj.returncode == 0, obj.stderr
    arrays = make(np.random.default_rng(1))
    from tensordsl.cli.loading import load_script

    py = load_script(good)
    fn = getattr(py[name], "py_func", py[name])
    want = fn(*arrays)
    want = list(want) if isinstance(want, tuple) else [want]
    (folder / "driver.c").write_text(c_driver(name, arrays, len(want)))
    build = subprocess.run(["cc", "-std=c99", "-o", "driver", "driver.c", f"{name}.o", "-lm"],
                           cwd=folder, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    ran = subprocess.run(["./driver"], cwd=folder, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    got = parse_outputs(ran.stdout)
    from tensordsl.accuracy import within_ulps

    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert within_ulps(g, w, 16).all() or np.allclose(g, w, rtol=1e-13, atol=1e-13)


@needs_c
def test_standalone_refuses_host_nodes(good, tmp_path, capsys):
    code, _, err = run(["dump", f"{good}:product", "--standalone", "--out", str(tmp_path)],
                       capsys)
    assert code == 1
    assert "every node is lowered" in err and "Dot" in err or "Gemm" in err or "dot" in err


# -- graph and cache --------------------------------------------------------------------------
@pytest.mark.parametrize("ext", [".dot", ".svg"])
def test_graph(ext, good, tmp_path, capsys):
    out = tmp_path / f"g{ext}"
    code, _, err = run(["graph", f"{good}:plain", "--signature", "f8[:], f8[:]", "-o",
                        str(out)], capsys)
    if code != 0 and "Graphviz" in err:
        pytest.skip("no Graphviz renderer for svg here")
    assert code == 0, err
    text = out.read_text()
    assert ("digraph" in text) if ext == ".dot" else ("<svg" in text)


@needs_c
def test_cache_info_list_clear(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT,
               TENSORDSL_FLAGS=f"compiledir={tmp_path / 'cache'}")

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "tensordsl", *argv], capture_output=True,
                              text=True, env=env)

    subprocess.run([sys.executable, "-c", "import tensordsl, tensordsl.tensor as T; "
                    "x = T.dvector(); tensordsl.function([x], T.exp(x) * 3)([1.0])"],
                   env=env, check=True)
    info = cli("cache", "info")
    assert info.returncode == 0 and str(tmp_path / "cache") in info.stdout
    assert "libraries: 1" in info.stdout
    listed = cli("cache", "list")
    assert listed.stdout.count(".so") == 1
    cleared = cli("cache", "clear")
    assert cleared.returncode == 0 and "removed 1 libraries" in cleared.stdout
    assert "libraries: 0" in cli("cache", "info").stdout


def test_function_source(good):
    import tensordsl
    from tensordsl import tensor as T

    x = T.dvector("x")
    f = tensordsl.function([x], T.exp(x) * 2)
    assert "def function(v0)" in f.source("numpy") and "Fused" in f.source("numpy")
    if HAS_C:
        assert "td_kernel" in f.source("c") and "exp(" in f.source("c")
    with pytest.raises(ValueError, match="unknown source target"):
        f.source("cuda")
