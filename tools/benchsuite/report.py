"""Markdown output: a table per workload, the tensordsl-vs-peers ratios, the context lines.

The ratio helpers at the top are pure functions (unit-tested in
tests/test_bench_helpers.py); the rest only formats what runner.py measured.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from benchsuite.cases import EXTRA_COLUMNS, FLOOR_COLUMNS, LIMIT_COLUMNS, PEERS
from benchsuite.runner import GEMM_ROW, TRIAD_ROW, CaseResult, Cell, Limits, throughput

# ---------------------------------------------------------------- ratio helpers


def best_peer(medians: Mapping[str, float]) -> tuple[str, float] | None:
    """(name, seconds) of the fastest peer with a finite time, or None."""
    timed = [(t, name) for name, t in medians.items() if t is not None and math.isfinite(t)
             and t > 0]
    if not timed:
        return None
    t, name = min(timed)
    return name, t


def ratio(seconds: float, reference_seconds: float) -> float:
    """seconds / reference_seconds: 2.0 means twice as slow, 0.5 twice as fast."""
    if not (seconds > 0 and reference_seconds > 0):
        return math.nan
    return seconds / reference_seconds


def percent_of_limit(achieved_rate: float, limit_rate: float | None) -> float:
    """Achieved GB/s or GFLOP/s as a percentage of the ceiling (nan when unknown)."""
    if not limit_rate or not math.isfinite(achieved_rate) or limit_rate <= 0:
        return math.nan
    return 100.0 * achieved_rate / limit_rate


def fmt_time(seconds: float | None) -> str:
    """Seconds in the unit that keeps 3 significant digits readable (s, ms, µs, ns)."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    rounded = abs(float(f"{seconds:.3g}"))  # 0.99999 s is shown as 1 s, not 1e+03 ms
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if rounded >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(value: float) -> str:
    """A ratio as '1.23×' (or '—')."""
    return "—" if not math.isfinite(value) else f"{value:.3g}×"


def fmt_percent(value: float) -> str:
    """A percentage (or '—')."""
    return "—" if not math.isfinite(value) else f"{value:.3g}%"


def fmt_rate(value: float | None, unit: str) -> str:
    """A throughput with its unit (or '—')."""
    return "—" if value is None or not math.isfinite(value) else f"{value:.3g} {unit}"


# ---------------------------------------------------------------- tables


def table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return lines


class Footnotes:
    """Numbered notes under a table; identical texts share a number."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def ref(self, text: str) -> str:
        """The marker of `text`, adding it when new."""
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"

    def lines(self) -> list[str]:
        """The notes as a markdown list."""
        return [f"{i}. {t}" for i, t in enumerate(self.texts, 1)]


def _cell_text(column: str, cell: Cell | None, notes: Footnotes) -> str:
    if cell is None:
        return "—"
    if cell.status == "ok":
        marker = notes.ref(f"{column}: {cell.note}") if cell.note else ""
        return fmt_time(cell.timing.median if cell.timing else None) + marker
    if cell.status == "not installed":
        return "not installed"
    label = {"n/a": "n/a", "error": "error", "mismatch": "✗ wrong result"}[cell.status]
    return label + notes.ref(f"{column}: {cell.note}")


def _rate_unit(limit: str | None) -> str:
    return "GB/s" if limit == "triad" else "GFLOP/s"


def workload_section(name: str, results: list[CaseResult], tdsl_columns: list[str],
                     doc: str) -> list[str]:
    """The markdown of one workload: what it is, the library table, the tensordsl ratios."""
    notes = Footnotes()
    # a peer no case of this workload lists (torch outside lenet_step) gets no column
    columns = [p for p in PEERS if any(p in r.cells for r in results)] + tdsl_columns
    columns += [c for c in EXTRA_COLUMNS if any(c in r.cells for r in results)]
    columns += [c for c in LIMIT_COLUMNS if any(c in r.cells for r in results)]
    lines = [f"## {name}", "", doc, ""]
    rows = []
    for res in results:
        rows.append([res.case.label] + [_cell_text(c, res.cells.get(c), notes) for c in columns])
    lines += table(["case"] + columns, rows)
    lines += ["", "tensordsl against the best peer and the physical limit "
              "(÷ best peer = tensordsl time / best peer time; below 1 is faster):", ""]
    lines += table(["case", "tensordsl", "median", "best peer", "÷ best peer", "÷ numpy",
                    "throughput", "limit (this run)", "% of limit"],
                   [row for res in results for row in _ratio_rows(res, tdsl_columns)])
    lines += _floor_table(results, tdsl_columns)
    lines += ["", _context_line(results)]
    if notes.texts:
        lines += ["", "Notes:", ""] + notes.lines()
    return lines + [""]


def _medians(res: CaseResult, columns: Iterable[str]) -> dict[str, float]:
    return {c: res.cells[c].timing.median for c in columns
            if c in res.cells and res.cells[c].status == "ok" and res.cells[c].timing}


def _ratio_rows(res: CaseResult, tdsl_columns: list[str]) -> list[list[str]]:
    peers = _medians(res, PEERS)
    best = best_peer(peers)
    unit = _rate_unit(res.case.limit)
    limit_text = fmt_rate(res.limit_rate, unit) if res.case.limit else "—"
    if res.case.limit == "triad" and TRIAD_ROW in res.cells:
        limit_text += " (triad, same rounds)"
    elif res.case.limit and GEMM_ROW in res.cells:
        limit_text += f" (numpy GEMM {res.case.limit[5:]}, same rounds)"
    elif res.case.limit:
        limit_text += f" ({res.case.limit.replace('_', ' ')})"
    rows = []
    for column, median in _medians(res, tdsl_columns).items():
        rate = throughput(res.case, median) if res.case.limit else math.nan
        rows.append([res.case.label, column, fmt_time(median),
                     f"{best[0]} {fmt_time(best[1])}" if best else "—",
                     fmt_ratio(ratio(median, best[1])) if best else "—",
                     fmt_ratio(ratio(median, peers.get("numpy", math.nan))),
                     fmt_rate(rate, unit) if res.case.limit else "—", limit_text,
                     fmt_percent(percent_of_limit(rate, res.limit_rate))])
    return rows or [[res.case.label, "no tensordsl column ran", "", "", "", "", "", "", ""]]


def _floor_table(results: list[CaseResult], tdsl_columns: list[str]) -> list[str]:
    """Every column's time over the GEMM floor timed in the same rounds (when there is one)."""
    rows = []
    for res in results:
        floors = _medians(res, FLOOR_COLUMNS)
        if not floors:
            continue
        name, floor = min(floors.items(), key=lambda item: item[1])
        columns = list(PEERS) + tdsl_columns + list(EXTRA_COLUMNS)
        for column, median in _medians(res, columns).items():
            rows.append([res.case.label, column, fmt_time(median), f"{fmt_time(floor)} ({name})",
                         fmt_ratio(ratio(median, floor))])
    if not rows:
        return []
    return ["", "Each column against the GEMM floor (its matrix products alone through "
            "numpy's BLAS, same rounds, the faster of default threads and one thread; "
            "÷ floor = 1 would be the physical limit):", "",
            *table(["case", "column", "median", "GEMM floor", "÷ floor"], rows)]


def _context_line(results: list[CaseResult]) -> str:
    parts = []
    for res in results:
        reps = {len(c.timing.samples) for c in res.cells.values() if c.timing and c.timing.samples}
        parts.append(f"{res.case.label}: wall {res.wall_s:.1f} s, loadavg {res.load[0]:.2f}"
                     f"→{res.load[1]:.2f}, {'/'.join(map(str, sorted(reps)))} timed rounds")
    return "_" + "; ".join(parts) + "_"


def limits_section(limits: Limits, doc: str) -> list[str]:
    """The ceilings table."""
    rows = [[label, fmt_time(c.timing.median if c.timing else None),
             fmt_time(c.timing.best if c.timing else None), rate or c.note]
            for label, c, rate in limits.rows]
    return ["## limits", "", doc, ""] + table(["ceiling", "median", "best", "rate"], rows) + [""]
