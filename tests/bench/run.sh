#!/usr/bin/env bash
# Builds and runs every benchmark, then the Python standard-library baseline doing the same work,
# and prints per-operation figures and the C++/Python ratios (the README's table).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROB_BUILD_BENCH=ON >/dev/null
cmake --build build -j"${ROB_JOBS:-$(nproc)}" >/dev/null
out=build/bench-results
mkdir -p "$out"
for b in build/tests/bench/bench_*; do
  [[ -x "$b" ]] || continue
  "$b" --benchmark_format=json --benchmark_out="$out/$(basename "$b").json" \
       --benchmark_out_format=json --benchmark_min_time="${ROB_BENCH_MIN_TIME:-0.5}" >/dev/null
done
/usr/bin/python3 tests/bench/baseline.py >"$out/python-baseline.json"
/usr/bin/python3 tests/bench/report.py "$out"
