"""Run one case: build every implementation, check it against numpy, time the ones that pass."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

from benchsuite import limits as lim
from benchsuite.cases import FLOOR_COLUMNS, Case, NotApplicable
from benchsuite.checks import Check, compare, dtype_note
from benchsuite.env import NotInstalled, blas_info
from benchsuite.timing import Timing, interleaved

TRIAD_ROW = "(ref) C triad"
GEMM_ROW = "(ref) BLAS GEMM"


@dataclass
class Cell:
    """The outcome for one (case, column): a timing, or why there is none."""

    status: str  # 'ok', 'n/a', 'not installed', 'error', 'mismatch'
    timing: Timing | None = None
    check: Check | None = None
    note: str = ""


@dataclass
class Limits:
    """The machine's ceilings measured in this run (None where unavailable)."""

    triad: lim.Triad | None = None
    triad_gbs: float | None = None
    blas_gflops: dict[str, float] = field(default_factory=dict)
    gemm: dict[str, Any] = field(default_factory=dict)  # dtype -> numpy GEMM callable
    gemm_size: int = 0
    rows: list[tuple[str, Cell, str]] = field(default_factory=list)  # for the limits table


@dataclass
class CaseResult:
    """Every column's cell for one case, and the ceiling measured beside them."""

    case: Case
    cells: dict[str, Cell]
    limit_rate: float | None  # GB/s or GFLOP/s that `case.limit` stands for, this run
    wall_s: float
    load: tuple[float, float]


def _error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= 240 else text[:237] + "..."


def _build_and_check(case: Case, inputs: dict[str, Any], column: str, factory: Any,
                     reference: Any) -> tuple[Cell, Any, Any]:
    """(cell, run, result): build the implementation, call it once, compare with numpy."""
    try:
        run = factory(inputs)
        start = time.perf_counter()
        result = run()
        first = time.perf_counter() - start
    except NotInstalled as exc:
        return Cell("not installed", note=f"{exc} not installed"), None, None
    except NotApplicable as exc:
        return Cell("n/a", note=str(exc)), None, None
    except Exception as exc:  # any failure of a library is a cell, never a crash
        return Cell("error", note=_error(exc)), None, None
    note = getattr(run, "bench_note", "")
    if reference is None or column in FLOOR_COLUMNS:  # numpy itself, or products alone
        return Cell("ok", Timing(first_call_s=first), Check(True, 0.0), note), run, result
    check = compare(result, reference, case.rtol, case.atol)
    note = "; ".join(n for n in (note, dtype_note(result, reference)) if n)
    if not check.ok:
        return Cell("mismatch", check=check, note=check.message), None, result
    return Cell("ok", Timing(first_call_s=first), check, note), run, result


def run_case(case: Case, limits: Limits, repeats: int, min_sample_s: float,
             settle_s: float = 0.0) -> CaseResult:
    """Check then time every implementation of `case` (numpy first: it is the reference)."""
    start, load_before = time.perf_counter(), os.getloadavg()[0]
    inputs = case.make_inputs()
    cells: dict[str, Cell] = {}
    runs: dict[str, Any] = {}
    reference = None
    for column, factory in case.impls.items():
        cell, run, result = _build_and_check(case, inputs, column, factory, reference)
        if column == "numpy":
            if run is None:
                raise RuntimeError(f"{case.workload} {case.label}: numpy failed: {cell.note}")
            reference = result
        cells[column] = cell
        if run is not None:
            runs[column] = run
    ceiling = _ceiling_run(case, limits)
    if ceiling is not None:  # timed interleaved with the rows: load drifts hit both alike
        runs[ceiling[0]] = ceiling[1]
        cells[ceiling[0]] = Cell("ok", Timing())
    warmed = {c: cells[c].timing.first_call_s for c in runs if cells[c].timing}
    timings = interleaved(runs, repeats, min_sample_s, warmed, settle_s)
    for column, timing in timings.items():
        timing.first_call_s = cells[column].timing.first_call_s
        cells[column].timing = timing
    return CaseResult(case, cells, _limit_rate(case, cells, limits),
                      time.perf_counter() - start, (load_before, os.getloadavg()[0]))


def _ceiling_run(case: Case, limits: Limits) -> tuple[str, Any] | None:
    if case.limit == "triad" and limits.triad is not None:
        return TRIAD_ROW, limits.triad
    if case.limit and case.limit.startswith("blas_") and case.limit[5:] in limits.gemm:
        return GEMM_ROW, limits.gemm[case.limit[5:]]
    return None


def _limit_rate(case: Case, cells: dict[str, Cell], limits: Limits) -> float | None:
    """The ceiling's rate measured in this case's own rounds (else in the limits run)."""
    if case.limit == "triad":
        triad = cells.get(TRIAD_ROW)
        if triad is not None and triad.timing is not None and limits.triad is not None:
            return limits.triad.bytes_per_call / triad.timing.median / 1e9
        return limits.triad_gbs
    if case.limit and case.limit.startswith("blas_"):
        gemm = cells.get(GEMM_ROW)
        if gemm is not None and gemm.timing is not None:
            return lim.gemm_flops(limits.gemm_size) / gemm.timing.median / 1e9
        return limits.blas_gflops.get(case.limit[5:])
    return None


def measure_limits(quick: bool, repeats: int) -> Limits:
    """The STREAM triad (GB/s) and numpy GEMM (GFLOP/s, float64 and float32)."""
    limits = Limits()
    n = 1_000_000 if quick else 10_000_000
    try:
        limits.triad = lim.make_triad(n)
    except lim.LimitUnavailable as exc:
        limits.rows.append((f"C STREAM triad, float64 N={n:,}", Cell("error", note=str(exc)), ""))
    else:
        timing = interleaved({"triad": limits.triad}, max(repeats, 15), 0.0)["triad"]
        limits.triad_gbs = limits.triad.bytes_per_call / timing.median / 1e9
        limits.rows.append((f"C STREAM triad a = b + s*c, float64 N={n:,}", Cell("ok", timing),
                            f"{limits.triad_gbs:.1f} GB/s (3 arrays counted, "
                            f"{limits.triad.threads} OpenMP threads)"))
    size, blas = (256 if quick else 2048), blas_info()
    gemms = {dtype: lim.gemm(size, dtype) for dtype in ("float64", "float32")}
    limits.gemm, limits.gemm_size = gemms, size
    for dtype, timing in interleaved(gemms, repeats, 0.0).items():
        rate = lim.gemm_flops(size) / timing.median / 1e9
        limits.blas_gflops[dtype] = rate
        limits.rows.append((f"numpy GEMM {size}x{size} {dtype}", Cell("ok", timing),
                            f"{rate:.1f} GFLOP/s ({blas})"))
    return limits


def throughput(case: Case, seconds: float) -> float:
    """GB/s (triad-limited cases) or GFLOP/s (BLAS-limited) achieved at `seconds` per call."""
    if not case.work or not seconds or math.isnan(seconds):
        return math.nan
    return case.work / seconds / 1e9
