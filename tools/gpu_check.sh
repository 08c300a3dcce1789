#!/usr/bin/env bash
# tools/gpu_check.sh: the OpenCL backend on whatever OpenCL device is here (written for an
# NVIDIA GPU machine without network; works on PoCL too), in one run of at most 8 minutes.
#
#   tools/gpu_check.sh [--quick] [--budget SECONDS] [--wheels DIR] [RESULTS_FILE]
#
# Stages, each under `timeout` so the whole run ends within the budget (default 480 s):
#   1. install carried wheels when DIR (default ./wheels) exists: pip install --no-index
#      --find-links DIR (see docs/opencl.md, "Running on a GPU machine", for what to carry);
#   2. tools/gpu_probe.py: device name, device-memory bandwidth (a float4 copy kernel and
#      clEnqueueCopyBuffer), float32 GEMM 4096² in tensordsl's OpenCL dot and in cuBLAS via
#      CuPy when CuPy imports (else the results say so);
#   3. the OpenCL property tests, tests/backends/opencl/ (pytest, hypothesis profile "ci":
#      derandomized, 40 examples);
#   4. the benchmark workloads with the OpenCL column, one tools/bench.py --columns opencl
#      --only WL run each (black_scholes, gemm, axpy, reduce, mlp_step: a timeout loses
#      only the one running; numpy and the limits run beside the OpenCL column).
# --quick: 1024² GEMM, a 64 MiB copy, tests/backends/opencl/test_ops.py only, bench --quick.
#
# RESULTS_FILE (default $OUT/gpu_results.md when $OUT is set, else ./gpu_results.md) gets
# one markdown section, headed with the date, the commit and the device name, to paste into
# docs/benchmarks.md. The device: TENSORDSL_FLAGS's device when it names an OpenCL one,
# else device=opencl (the first OpenCL device pyopencl lists). Exit status 0 when every
# stage finished and passed, 1 otherwise (the results file is written either way).
set -u

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here" || exit 2
start=$(date +%s)
budget=480
quick=0
wheels="wheels"
results=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --budget) shift; budget="$1" ;;
        --wheels) shift; wheels="$1" ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "gpu_check.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) results="$1" ;;
    esac
    shift
done
case "$budget" in ''|*[!0-9]*) echo "gpu_check.sh: --budget wants seconds, got '$budget'" >&2
                               exit 2 ;; esac
if [ -z "$results" ]; then results="${OUT:-.}/gpu_results.md"; fi
mkdir -p "$(dirname "$results")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

case "${TENSORDSL_FLAGS:-}" in
    *device=opencl*) ;;
    "") export TENSORDSL_FLAGS="device=opencl" ;;
    *) export TENSORDSL_FLAGS="${TENSORDSL_FLAGS},device=opencl" ;;
esac
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
py="${PYTHON:-python3}"
failed=0
summary="$work/summary.md"
: > "$summary"

left() {  # seconds of the budget left, less a reserve for writing the results
    echo $(( budget - ($(date +%s) - start) - 10 ))
}

# stage NAME CAP_SECONDS LOG COMMAND...: run under timeout min(CAP, what is left)
stage() {
    local name="$1" cap="$2" log="$3"; shift 3
    local limit; limit=$(left)
    if [ "$limit" -gt "$cap" ]; then limit="$cap"; fi
    if [ "$limit" -lt 5 ]; then
        echo "| $name | not run: the ${budget} s budget was spent |" >> "$summary"
        failed=1
        return 1
    fi
    local t0 rc; t0=$(date +%s)
    timeout --kill-after=5 "$limit" "$@" > "$log" 2>&1
    rc=$?
    local took=$(( $(date +%s) - t0 ))
    if [ "$rc" -eq 0 ]; then
        echo "| $name | ok, ${took} s |" >> "$summary"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "| $name | timed out after ${took} s (limit ${limit} s) |" >> "$summary"
        failed=1
    else
        echo "| $name | FAILED (exit $rc) after ${took} s |" >> "$summary"
        failed=1
    fi
    echo "[gpu_check] $name: exit $rc, ${took} s" >&2
    return "$rc"
}

if [ -d "$wheels" ]; then
    stage "install wheels from $wheels" 120 "$work/pip.log" \
        "$py" -m pip install --no-index --find-links "$wheels" --quiet \
        numpy scipy astunparse pycparser hypothesis filelock platformdirs \
        pyopencl pycparserext pytest
    # CuPy is optional (the cuBLAS comparison); a missing wheel is not a failure
    ls "$wheels" | grep -q '^cupy' && "$py" -m pip install --no-index --find-links \
        "$wheels" --quiet "$(ls "$wheels" | grep '^cupy' | head -1 | cut -d- -f1)" \
        >> "$work/pip.log" 2>&1
fi

if [ "$quick" -eq 1 ]; then
    probe_args=(--quick); tests=(tests/backends/opencl/test_ops.py); bench_args=(--quick)
else
    probe_args=(); tests=(tests/backends/opencl/); bench_args=(--repeats 7)
fi

stage "device probe (tools/gpu_probe.py ${probe_args[*]})" 150 "$work/probe.log" \
    "$py" tools/gpu_probe.py ${probe_args[@]+"${probe_args[@]}"} --out "$work/probe.md"
# the tests get at most half of what is left, so the benchmarks always get their turn
half=$(( $(left) / 2 ))
stage "OpenCL property tests (pytest ${tests[*]})" "$half" "$work/tests.log" \
    "$py" -m pytest -v -p no:xdist -p no:cacheprovider -rfEs "${tests[@]}"
# one bench.py run per workload, most wanted first: a timeout loses only the one running
for wl in black_scholes gemm axpy reduce mlp_step; do
    stage "benchmark $wl (tools/bench.py --columns opencl ${bench_args[*]})" 600 \
        "$work/bench_$wl.log" "$py" tools/bench.py "${bench_args[@]}" --columns opencl \
        --only "$wl" --out "$work/bench_$wl.md"
done

device="$("$py" - <<'EOF' 2>/dev/null
import tensordsl
from tensordsl.backends.opencl.device import select
spec = tensordsl.config.device
info = select(spec if spec.startswith("opencl") else "opencl")
print(f"{info.name.strip()} ({info.spec}, {info.type})")
EOF
)"
{
    echo "## gpu_check: ${device:-no OpenCL device found}"
    echo
    echo "\`tools/gpu_check.sh$( [ "$quick" -eq 1 ] && echo ' --quick') --budget $budget\` on" \
         "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null ||
         echo unknown), host $(uname -n), $(nproc) CPUs, $(( $(date +%s) - start )) s in all."
    echo
    echo "| stage | result |"
    echo "|---|---|"
    cat "$summary"
    echo
    if [ -s "$work/probe.md" ]; then cat "$work/probe.md"; else
        echo "### Device probe: no results"; echo; echo '```'; tail -20 "$work/probe.log"
        echo '```'; fi
    echo
    echo "### OpenCL property tests"
    echo
    echo '```'
    # the report header (device), failures and the summary line ("N passed in Ts")
    grep -E "^(FAILED|ERROR|SKIPPED)|tensordsl OpenCL tests|[0-9]+ (passed|failed)|error" \
        "$work/tests.log" 2>/dev/null | tail -25
    echo '```'
    echo
    for wl in black_scholes gemm axpy reduce mlp_step; do
        echo "### Benchmark: $wl"
        echo
        if [ -s "$work/bench_$wl.md" ]; then sed 's/^#/###/' "$work/bench_$wl.md"; else
            echo '```'; tail -20 "$work/bench_$wl.log" 2>/dev/null; echo '```'; fi
        echo
    done
} > "$results"
echo "[gpu_check] results in $results" >&2
exit "$failed"
