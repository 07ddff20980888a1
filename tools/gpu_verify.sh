#!/usr/bin/env bash
# GPU verification in one command, on a machine with an NVIDIA GPU, CuPy and PyTorch (no network
# needed): install dezero without dependencies, run the whole test suite with the GPU specs, count
# the GPU test cases and the skips given for GPU reasons (zero expected), then run the GPU benchmark.
#
#     bash tools/gpu_verify.sh            # about 5 to 8 minutes; exit status 0 when all is well
#
# Writes to $OUT (default ./gpu-verify-out): summary.txt, tests.log, junit.xml, bench.log and the
# benchmark table gpu-<device>.md, which belongs in benchmarks/results/.
# Time limits (seconds) can be changed with TEST_TIMEOUT and BENCH_TIMEOUT; PYTHON picks the
# interpreter (default python3), WORKERS the pytest-xdist processes (default 8), and PYTEST_ARGS
# narrows the run (e.g. PYTEST_ARGS="tests/test_gpu.py -x"; default: the whole suite).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-verify-out}
PYTHON=${PYTHON:-python3}
WORKERS=${WORKERS:-8}
mkdir -p "$OUT"
export MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1
summary="$OUT/summary.txt"
: > "$summary"
say() { echo "$*" | tee -a "$summary"; }

say "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$summary" \
    || say "nvidia-smi not found"
"$PYTHON" - <<'EOF' 2>&1 | tee -a "$summary"
import platform, numpy
print('Python', platform.python_version(), '| NumPy', numpy.__version__)
try:
    import cupy
    print('CuPy', cupy.__version__, '| devices:', cupy.cuda.runtime.getDeviceCount())
except Exception as e:
    print('CuPy unusable:', type(e).__name__, e)
try:
    import torch
    print('PyTorch', torch.__version__, '| CUDA available:', torch.cuda.is_available())
except Exception as e:
    print('PyTorch unusable:', type(e).__name__, e)
EOF

say "== install (no dependencies, no build isolation: there is no network)"
if "$PYTHON" -m pip install -q --no-deps --no-build-isolation -e . > "$OUT/install.log" 2>&1; then
    say "installed: $("$PYTHON" -c 'import dezero, os; print(dezero.__version__, os.path.dirname(dezero.__file__))')"
else
    say "pip install failed (see install.log); the tests import dezero from the repository instead"
    tail -3 "$OUT/install.log" | tee -a "$summary"
fi
"$PYTHON" -c "import dezero.cuda as c; assert c.gpu_enable and c.cupy.cuda.runtime.getDeviceCount() > 0" \
    2>/dev/null || say "WARNING: dezero.cuda sees no GPU: the GPU tests will be skipped"

say "== tests"
xdist=()
"$PYTHON" -c "import xdist" 2>/dev/null && xdist=(-n "$WORKERS")
per_test=()
"$PYTHON" -c "import pytest_timeout" 2>/dev/null && per_test=(--timeout 300)
timeout "${TEST_TIMEOUT:-360}" "$PYTHON" -m pytest -q -p no:cacheprovider -rs ${xdist[@]+"${xdist[@]}"} ${per_test[@]+"${per_test[@]}"} \
    --junitxml="$OUT/junit.xml" ${PYTEST_ARGS:-} > "$OUT/tests.log" 2>&1
tests_rc=$?
tail -n 25 "$OUT/tests.log"
say "pytest exit status: $tests_rc$([ $tests_rc = 124 ] && echo ' (timed out)')"
say "$(grep -E '^=+ .*(passed|failed|error).* =+$' "$OUT/tests.log" | tail -1)"
"$PYTHON" - "$OUT/junit.xml" <<'EOF' 2>&1 | tee -a "$summary"
import re, sys, xml.etree.ElementTree as ET
try:
    cases = list(ET.parse(sys.argv[1]).getroot().iter('testcase'))
except Exception as e:
    sys.exit(f'no JUnit report: {e}')
def outcome(c):
    for tag in ('failure', 'error', 'skipped'):
        if c.find(tag) is not None:
            return tag
    return 'passed'
gpu_reason = re.compile(r'gpu|cupy|cuda', re.I)
gpu_cases = [c for c in cases if '-gpu' in c.get('name', '') or c.get('classname', '').endswith('test_gpu')]
counts = {}
for c in gpu_cases:
    counts[outcome(c)] = counts.get(outcome(c), 0) + 1
print(f'GPU test cases (harness "-gpu" ids and tests/test_gpu.py): {len(gpu_cases)} {counts}')
skips = [(c, c.find('skipped').get('message', '')) for c in cases if outcome(c) == 'skipped']
gpu_skips = [(c, m) for c, m in skips if gpu_reason.search(m)]
print(f'skips: {len(skips)} in all, {len(gpu_skips)} for GPU reasons')
for c, m in gpu_skips:
    print(f'  GPU SKIP {c.get("classname")}::{c.get("name")}: {m}')
reasons = {}
for c, m in skips:
    reasons[m] = reasons.get(m, 0) + 1
for m, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
    print(f'  skipped {n}x: {m[:150]}')
bad = [c for c in cases if outcome(c) in ('failure', 'error')]
for c in bad[:40]:
    print(f'  FAILED {c.get("classname")}::{c.get("name")}')
sys.exit(1 if gpu_skips or bad or not gpu_cases else 0)
EOF
count_rc=$?

say "== benchmark"
start=$(date +%s)
timeout "${BENCH_TIMEOUT:-200}" "$PYTHON" benchmarks/gpu.py > "$OUT/bench.log" 2>&1
bench_rc=$?
cat "$OUT/bench.log"
newest=$(ls -t benchmarks/results/gpu-*.md 2>/dev/null | head -1)
if [ $bench_rc = 0 ] && [ -n "$newest" ] && [ "$(stat -c %Y "$newest")" -ge "$start" ]; then
    cp "$newest" "$OUT/"
    say "benchmark table: $OUT/$(basename "$newest")"
fi
say "benchmark exit status: $bench_rc$([ $bench_rc = 124 ] && echo ' (timed out)')"

status=0
[ $tests_rc = 0 ] && [ $count_rc = 0 ] && [ $bench_rc = 0 ] || status=1
say "== verdict: $([ $status = 0 ] && echo 'all GPU checks passed' || echo 'NOT all passed (see above)')"
exit $status
