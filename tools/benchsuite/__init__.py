"""The benchmark suite behind `tools/bench.py`: tensordsl against its peers and the machine.

Modules, one job each:
  env.py        optional peer imports, versions, machine and BLAS description
  limits.py     physical ceilings: C STREAM triad (memory) and numpy GEMM (BLAS peak)
  timing.py     warm-up, calibrated inner loops, round-robin interleaved repeats, medians
  checks.py     compare an implementation's output with numpy's
  cases.py      Case (one table row group), column names, NotApplicable
  tdsl.py       tensordsl columns (modes, decorator) detected at run time
  wl_*.py       workloads: one factory per (workload, library)
  compile_time.py  cold/warm compile time in fresh processes
  runner.py     check then time every implementation of a case
  report.py     markdown output and the ratio helpers
  cli.py        argument parsing and the run order
"""
