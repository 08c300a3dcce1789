"""Unit tests of the benchmark suite's pure helpers (ratios, formatting, checks, timing).

The suite itself (tools/bench.py --quick) runs in CI as a smoke test; speed is never
asserted here.
"""

import importlib
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
report = importlib.import_module("benchsuite.report")
checks = importlib.import_module("benchsuite.checks")
timing = importlib.import_module("benchsuite.timing")
cases = importlib.import_module("benchsuite.cases")

positive = st.floats(min_value=1e-9, max_value=1e3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["numpy", "numba", "jax", "pytensor"]), positive,
                       min_size=1))
def test_best_peer_is_the_smallest_time(medians):
    name, seconds = report.best_peer(medians)
    assert seconds == min(medians.values())
    assert medians[name] == seconds


def test_best_peer_ignores_missing_and_nan():
    assert report.best_peer({}) is None
    assert report.best_peer({"numpy": math.nan, "jax": None}) is None
    assert report.best_peer({"numpy": math.nan, "jax": 0.5}) == ("jax", 0.5)


@settings(max_examples=40, deadline=None)
@given(positive, positive)
def test_ratio_is_time_over_reference(seconds, reference):
    assert report.ratio(seconds, reference) == pytest.approx(seconds / reference)
    assert report.ratio(seconds, reference) * report.ratio(reference, seconds) == \
        pytest.approx(1.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_ratio_of_non_positive_or_nan_is_nan(bad):
    assert math.isnan(report.ratio(bad, 1.0))
    assert math.isnan(report.ratio(1.0, bad))


@settings(max_examples=40, deadline=None)
@given(positive, positive)
def test_percent_of_limit(achieved, limit):
    assert report.percent_of_limit(achieved, limit) == pytest.approx(100 * achieved / limit)


def test_percent_of_unknown_limit_is_nan():
    assert math.isnan(report.percent_of_limit(10.0, None))
    assert math.isnan(report.percent_of_limit(10.0, 0.0))
    assert math.isnan(report.percent_of_limit(math.nan, 5.0))


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e-10, max_value=1e4, allow_nan=False))
def test_fmt_time_round_trips_to_three_digits(seconds):
    value, unit = report.fmt_time(seconds).split()
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[unit]
    assert float(value) * scale == pytest.approx(seconds, rel=5e-3)
    assert unit == "s" or float(value) < 1000  # the unit is the largest that fits


def test_fmt_missing_values_are_dashes():
    assert report.fmt_time(None) == report.fmt_time(math.nan) == "—"
    assert report.fmt_ratio(math.nan) == report.fmt_percent(math.nan) == "—"
    assert report.fmt_rate(None, "GB/s") == "—"


def test_footnotes_share_numbers_for_equal_texts():
    notes = report.Footnotes()
    first, second, again = notes.ref("a"), notes.ref("b"), notes.ref("a")
    assert first == again != second
    assert notes.lines() == ["1. a", "2. b"]


def test_table_has_header_rule_and_escapes_pipes():
    lines = report.table(["x", "y"], [["1", "a|b"]])
    assert len(lines) == 3
    assert lines[1].count("---") == 2
    assert lines[2].count("|") == 3  # the cell's own '|' is replaced


def test_compare_accepts_equal_and_flags_different_values():
    rng = np.random.default_rng(0)
    a = rng.random(50)
    assert checks.compare((a, 1.0), (a.copy(), 1.0), 1e-12, 0).ok
    bad = a.copy()
    bad[7] += 1e-3
    result = checks.compare(bad, a, 1e-9, 0)
    assert not result.ok
    assert result.max_abs_err == pytest.approx(1e-3)


def test_compare_flags_shape_and_arity_mismatches():
    assert not checks.compare(np.zeros(3), np.zeros((3, 1)), 1, 1).ok
    assert not checks.compare((np.zeros(3),), (np.zeros(3), np.zeros(3)), 1, 1).ok


def test_dtype_note_only_when_dtypes_differ():
    a32 = np.ones(3, np.float32)
    assert checks.dtype_note(a32, a32) == ""
    assert "float64" in checks.dtype_note(a32.astype(np.float64), a32)
    assert checks.dtype_note((1.5, a32), (np.float32(1.5), a32)) == ""  # Python scalar out


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=1e-9, max_value=1.0), st.floats(min_value=1e-4, max_value=0.1))
def test_inner_count_makes_samples_long_enough(per_call, min_sample):
    inner = timing.inner_count(per_call, min_sample, max_inner=10**9)
    assert inner * per_call >= min_sample * (1 - 1e-9)
    assert inner == 1 or (inner - 1) * per_call < min_sample


def test_interleaved_times_every_callable_at_least_seven_times():
    calls = {"a": 0, "b": 0}

    def make(name):
        def run():
            calls[name] += 1
        return run

    result = timing.interleaved({n: make(n) for n in calls}, repeats=7, min_sample_s=0.0)
    for name, t in result.items():
        assert len(t.samples) == 7
        # the calibration calls, then the rounds (no pause, so no priming call)
        assert calls[name] == timing.CALIBRATION_CALLS + 7 * t.inner
        assert t.best <= t.median
    with pytest.raises(ValueError):
        timing.interleaved({"a": make("a")}, repeats=0)


def test_stepper_advances_its_own_copy_of_the_state():
    w0 = np.zeros(3)
    run = cases.stepper(lambda x, w: (float(w.sum()), w + x), (np.ones(3),), (w0,))
    first, second = run(), run()
    assert first[0] == 0.0 and second[0] == 3.0
    np.testing.assert_array_equal(second[1], 2 * np.ones(3))
    np.testing.assert_array_equal(w0, np.zeros(3))  # the caller's array is untouched


def test_run_case_turns_every_failure_into_a_cell():
    runner = importlib.import_module("benchsuite.runner")
    env = importlib.import_module("benchsuite.env")

    def raises(exc):
        def factory(_inputs):
            raise exc
        return factory

    def failing_run(_inputs):
        def run():
            raise ZeroDivisionError("inside the call")
        return run

    impls = {
        "numpy": lambda i: lambda: i["x"] * 2,
        "same": lambda i: lambda: i["x"] + i["x"],
        "wrong": lambda i: lambda: i["x"] * 3,
        "n/a": raises(cases.NotApplicable("no way")),
        "missing": raises(env.NotInstalled("somelib")),
        "build fails": raises(RuntimeError("bad build")),
        "call fails": failing_run,
    }
    case = cases.Case("t", "x", lambda: {"x": np.arange(5.0)}, impls)
    result = runner.run_case(case, runner.Limits(), repeats=7, min_sample_s=0.0)
    status = {name: cell.status for name, cell in result.cells.items()}
    assert status == {"numpy": "ok", "same": "ok", "wrong": "mismatch", "n/a": "n/a",
                      "missing": "not installed", "build fails": "error",
                      "call fails": "error"}
    assert "ZeroDivisionError" in result.cells["call fails"].note
    assert len(result.cells["same"].timing.samples) == 7
    assert result.cells["wrong"].timing is None  # a wrong result is never timed
    text = "\n".join(report.workload_section("t", [result], ["same", "wrong", "missing"], "doc"))
    assert "✗ wrong result" in text and "not installed" in text


def test_interleaved_counts_a_long_checked_call_as_the_warm_up(monkeypatch):
    """A long checked call warms up a callable whose next call is long too; one whose
    next call is short (the first was a JIT compile) is calibrated like any other."""
    monkeypatch.setattr(timing, "LONG_CALL_S", 0.01)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.012)

    result = timing.interleaved({"slow": slow}, repeats=7, min_sample_s=0.0,
                                warmed={"slow": timing.LONG_CALL_S})
    assert len(calls) == 1 + 7 and result["slow"].inner == 1  # one probe call, 7 samples
    calls.clear()
    result = timing.interleaved({"fast": lambda: calls.append(1)}, repeats=7,
                                min_sample_s=0.0, warmed={"fast": timing.LONG_CALL_S})
    assert len(calls) == 1 + timing.CALIBRATION_CALLS + 7 * result["fast"].inner


def test_interleaved_pauses_before_every_sample_when_asked(monkeypatch):
    """With settle_s, each sample is preceded by a pause (the previous library's spinning
    worker threads go idle); without it, there is none."""
    events: list[str] = []
    monkeypatch.setattr(timing.time, "sleep", lambda s: events.append(f"sleep {s}"))
    timing.interleaved({"a": lambda: events.append("a"), "b": lambda: events.append("b")},
                       repeats=7, min_sample_s=0.0, settle_s=0.25)
    timed = events[events.index("sleep 0.25"):]  # after the warm-ups
    assert timed.count("sleep 0.25") == 14
    # each sample: the pause, one untimed priming call, the timed call (inner is 1 here)
    assert all(timed[i] == "sleep 0.25" and timed[i + 1] in "ab" and timed[i + 2] == timed[i + 1]
               for i in range(0, len(timed), 3))
    events.clear()
    timing.interleaved({"a": lambda: events.append("a")}, repeats=7, min_sample_s=0.0)
    assert not any(e.startswith("sleep") for e in events)


def _result(workload, label, medians, work=0.0, limit=None, limit_rate=None):
    runner = importlib.import_module("benchsuite.runner")
    cells = {col: runner.Cell("ok", timing=timing.Timing(samples=[t]))
             for col, t in medians.items()}
    case = cases.Case(workload, label, dict, {}, work=work, limit=limit)
    return runner.CaseResult(case, cells, limit_rate, 1.0, (0.0, 0.0))


def test_bars_judge_each_bar_from_the_run_medians():
    bars = importlib.import_module("benchsuite.bars")
    ours = "tensordsl FAST_RUN (c)"
    results = [
        _result("black_scholes", "float64", {"jax": 0.30, "numba": 0.39, ours: 0.06,
                                             bars.C_LOOP: 0.05}),
        _result("black_scholes", "float32", {"jax": 0.045, ours: 0.016, bars.C_LOOP: 0.02}),
        # 240 MB in 10 ms = 24 GB/s against a 30 GB/s triad: 80%
        _result("axpy", "float64", {"numpy": 0.03, ours: 0.01}, work=240e6, limit="triad",
                limit_rate=30.0),
        _result("reduce", "sum(x*y) float64", {"numpy": 0.01, ours: 0.006}, work=160e6,
                limit="triad", limit_rate=30.0),
        _result("reduce", "logsumexp rows", {"numpy": 0.05, ours: 0.01}),
        _result("gemm", "dot float32", {"numpy": 0.096, ours: 0.1}),
        _result("logreg_step", "float64", {"numpy": 1.5e-3, "jax": 1.4e-3, ours: 1.41e-3}),
        _result("call_overhead", "a + b", {"numba": 2e-7, ours: 1.4e-6}),
        _result("mlp_step", "float32", {"numpy": 3e-3, ours: 4e-3}),
    ]
    verdicts = bars.judge(results, ours, {"cold_s": 0.29, "warm_s": 0.051})
    assert [v.met for v in verdicts] == [True, True, False, True, False, True, True,
                                         False, True, False]
    assert len({v.bar for v in verdicts}) == len(verdicts)
    assert "5.00x jax" in verdicts[0].figure and "80.0%" in verdicts[4].figure
    assert "1.007x jax" in verdicts[7].figure  # logreg against the best peer, not numpy
    assert "not measured" not in "".join(v.figure for v in verdicts)
    text = "\n".join(bars.section(verdicts, ours))
    assert "6 of 10 met" in text and text.count("**missed**") == 4


def test_bars_without_a_figure_are_not_judged():
    bars = importlib.import_module("benchsuite.bars")
    ours = "tensordsl FAST_RUN (c)"
    (verdict,) = bars.judge([_result("gemm", "dot float64", {ours: 0.2})], ours, None)
    assert verdict.met is None and verdict.figure == "not measured"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bs_knockout_variants_remove_one_part_each(dtype):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    profile = importlib.import_module("profile_bs_kernel")
    parts = profile.variants(profile.kernel_source(dtype), dtype)
    f = "f" if dtype == "float32" else ""
    erf = "td_erf_f32(" if dtype == "float32" else "erf("
    assert erf in parts["full"] and erf not in parts["no erf"]
    assert f"log{f}(" not in parts["no log"] and f"exp{f}(" in parts["no log"]
    assert f"exp{f}(" not in parts["no exp"] and " / " not in parts["no divisions"]
    assert len(set(parts.values())) == len(parts)  # every variant is a different loop
