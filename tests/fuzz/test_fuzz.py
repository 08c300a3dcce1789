"""The differential fuzzer in CI: the corpus of past failures is replayed forever, a
fixed range of seeds runs in subprocesses (crashes included), and hypothesis draws (and
shrinks) a bounded number of programs in process. Together well under 60 s."""

from __future__ import annotations

import glob
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings

from tests.fuzz import fuzzlib

CORPUS_FILES = sorted(glob.glob(os.path.join(fuzzlib.CORPUS, "*.json")))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=os.path.basename)
def test_corpus_program_agrees_with_numpy(path):
    with open(path) as f:
        data = json.load(f)
    program = fuzzlib.Program.from_json(data)
    results = fuzzlib.check(program)
    assert not any(results.values()), (data.get("failure"), results)


def test_seeded_programs_in_subprocesses():
    records = fuzzlib.run_isolated(list(range(40)))
    assert len(records) == 40
    crashes = [r for r in records if "crash" in r]
    assert not crashes, crashes
    failures = {r["seed"]: r["results"] for r in records if any(r["results"].values())}
    assert not failures, failures
    assert {r["kind"] for r in records} == {"graph", "decorator"}


def test_a_program_past_its_time_is_recorded_and_the_batch_goes_on():
    # a program that hangs is killed and recorded; the seeds after it still run
    records = fuzzlib.run_isolated([3, 4], timeout=0.01)
    assert [r["seed"] for r in records] == [3, 4]
    assert all("no result after" in r["crash"] for r in records)


@settings(max_examples=15, deadline=None)
@given(fuzzlib.programs())
def test_hypothesis_programs(program):
    results = fuzzlib.check(program)
    assert not any(results.values()), (program.numpy_source, program.inputs, results)


def test_the_checker_catches_a_wrong_result():
    program = fuzzlib.Program("graph", [{"name": "x0", "dtype": "float64", "shape": [2],
                                         "data": [1.0, 2.0]}],
                              "def program(x0):\n    return np.exp(x0),\n",
                              "def program(x0):\n    return T.exp(x0) * 1.0001,\n", 8)
    results = fuzzlib.check(program, ["numpy"])
    assert "beyond" in results["numpy"]
    program.graph_source = "def program(x0):\n    return T.exp(x0)[:1],\n"
    assert "float64[1], numpy gives float64[2]" in fuzzlib.check(program, ["numpy"])["numpy"]


def test_the_generator_covers_enough_op_kinds():
    seen = set()
    for seed in range(300):
        program = fuzzlib.generate(fuzzlib.RandomChooser(seed), seed=seed)
        for line in program.graph_source.splitlines()[1:]:
            for token in ("T.exp", "T.log(", "T.log1p", "T.sqrt", "T.sin", "T.cos", "T.tanh",
                          "T.arctan", "T.expm1", "T.erf", "sigmoid", "softplus", "T.clip",
                          "T.sqr", "abs(", "T.maximum", "T.minimum", " / ", " // ", " % ",
                          ".sum(", ".max(", ".min(", ".mean(", ".prod(", "[1:]", "[::2]",
                          "[::-1]", ".T", "T.cast", "T.dot", "T.switch", "ifelse", "scan",
                          "T.eq", "T.gt(", " < ", "* 1", "+ 0", "T.log(1 + T.exp"):
                if token in line:
                    seen.add(token)
    assert len(seen) >= 35, sorted(seen)


def test_reproducers_round_trip(tmp_path):
    program = fuzzlib.generate(fuzzlib.RandomChooser(7), seed=7)
    path = fuzzlib.save_reproducer(program, "c", "why\nmore", folder=str(tmp_path))
    with open(path) as f:
        again = fuzzlib.Program.from_json(json.load(f))
    assert again.numpy_source == program.numpy_source
    for a, b in zip(again.arrays(), program.arrays()):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
