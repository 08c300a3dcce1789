"""The C backend's bars (issue 6), judged on one run's figures.

Each bar compares the FAST_RUN column with what the issue names (the best peer, the
hand-written C loop, the triad, numpy, an absolute time). The verdicts are computed
from the same medians the tables show, so a summary of several runs can quote them
without reading numbers off by hand. `judge` is pure (unit-tested in
tests/test_bench_helpers.py); `section` formats its rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benchsuite.cases import LIMIT_COLUMNS, PEERS
from benchsuite.report import best_peer, fmt_time, percent_of_limit, table
from benchsuite.runner import CaseResult, throughput

C_LOOP = LIMIT_COLUMNS[0]


@dataclass(frozen=True)
class Verdict:
    """One bar: what it asks, the figure this run measured, and whether it was met."""

    bar: str
    figure: str
    met: bool | None  # None: a figure it needs is missing from this run


def _median(res: CaseResult, column: str) -> float:
    cell = res.cells.get(column)
    if cell is None or cell.status != "ok" or cell.timing is None:
        return math.nan
    return cell.timing.median


def _peers(res: CaseResult) -> dict[str, float]:
    return {p: _median(res, p) for p in PEERS}


def _check(bar: str, value: float, text: str, ok: bool) -> Verdict:
    if not math.isfinite(value):
        return Verdict(bar, "not measured", None)
    return Verdict(bar, text, ok)


def _per_case(res: CaseResult, column: str) -> list[Verdict]:
    """The bars a case stands for (none when the issue names no bar for it)."""
    ours = _median(res, column)
    case, label = res.case, res.case.label
    if case.workload == "black_scholes":
        best = best_peer(_peers(res)) or ("no peer", math.nan)
        speedup = best[1] / ours
        loop = ours / _median(res, C_LOOP)
        return [_check(f"black_scholes {label}: >= 3x the best peer", speedup,
                       f"{speedup:.2f}x {best[0]} ({fmt_time(best[1])} vs {fmt_time(ours)})",
                       speedup >= 3),
                _check(f"black_scholes {label}: within 1.25x of the C loop", loop,
                       f"{loop:.2f}x the loop", loop <= 1.25)]
    if case.workload == "axpy" or (case.workload == "reduce" and label.startswith("sum(x*y)")):
        pct = percent_of_limit(throughput(case, ours), res.limit_rate)
        return [_check(f"{case.workload} {label}: >= 85% of the triad", pct, f"{pct:.1f}%",
                       pct >= 85)]
    if case.workload == "gemm":
        speed = _median(res, "numpy") / ours
        return [_check(f"gemm {label}: >= 0.95x numpy's speed", speed, f"{speed:.3f}x",
                       speed >= 0.95)]
    if case.workload == "logreg_step":
        best = best_peer(_peers(res)) or ("no peer", math.nan)
        rel = ours / best[1]
        return [_check(f"logreg_step {label}: no slower than the best peer", rel,
                       f"{rel:.3f}x {best[0]} ({fmt_time(ours)} vs {fmt_time(best[1])})",
                       rel <= 1.0)]
    if case.workload == "call_overhead":
        return [_check("call_overhead: <= 1.5 us per call", ours, fmt_time(ours),
                       ours <= 1.5e-6)]
    return []


def judge(results: list[CaseResult], column: str,
          compile_times: Mapping[str, Any] | None) -> list[Verdict]:
    """Every bar this run has figures for: the FAST_RUN `column` against its references."""
    verdicts = [v for res in results for v in _per_case(res, column)]
    if compile_times is not None:
        cold, warm = compile_times.get("cold_s", math.nan), compile_times.get("warm_s", math.nan)
        verdicts.append(_check("compile_time: cold <= 0.3 s and warm <= 50 ms",
                               max(cold, warm), f"{fmt_time(cold)} / {fmt_time(warm)}",
                               cold <= 0.3 and warm <= 0.05))
    return verdicts


def section(verdicts: list[Verdict], column: str, quick: bool = False) -> list[str]:
    """The markdown table of the verdicts (with --quick, marked as meaningless)."""
    if not verdicts:
        return []
    met = sum(v.met is True for v in verdicts)
    rows = [[v.bar, v.figure, {True: "met", False: "**missed**", None: "—"}[v.met]]
            for v in verdicts]
    return ["## The C backend's bars in this run", "",
            f"The bars of the C backend issue, judged for `{column}` on this run's medians "
            f"(the same figures as the tables below): {met} of {len(verdicts)} met."
            + (" _--quick sizes: these verdicts say nothing about the bars._" if quick else ""),
            "",
            *table(["bar", "this run", "verdict"], rows), ""]
