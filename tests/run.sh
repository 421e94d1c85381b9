#!/usr/bin/env bash
# Runs every test of the project: installs missing packages, builds, then runs
#   1. the unit tests, the vector check, the install/consumer test and the ABI checks (ctest),
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (ctest),
#   3. a short smoke run of every libFuzzer target (clang, ctest),
#   4. a one-iteration smoke run of every benchmark (ctest label "bench"),
#   5. the Python binding's tests and the loopback integration tests of the example hosts
#      (pytest, Debian's /usr/bin/python3),
#   6. a 2-minute soak: talking calls against the agent; no failed call, no descriptor growth,
#      bounded RSS growth (tests/bench/soak.py --ci; the hour-long run is the same script).
# Exits non-zero when any step fails; each runner prints its own summary.
# Environment: ROB_JOBS (build parallelism, default: nproc), ROB_FUZZ_SECONDS (default 10).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${ROB_JOBS:-$(nproc)}
export ROB_FUZZ_SECONDS=${ROB_FUZZ_SECONDS:-10}

bash tests/tools/deps.sh || exit 1

failed=()
step() { echo; echo "=== $*"; }

step "build (g++, warnings as errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROB_WERROR=ON -DROB_BUILD_BENCH=ON >/dev/null &&
  cmake --build build -j"$JOBS" >build/build.log 2>&1 || { tail -50 build/build.log; exit 1; }

step "ASan+UBSan build of the unit tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DROB_WERROR=ON -DROB_SANITIZE=ON \
  -DROB_BUILD_EXAMPLES=OFF -DROB_BUILD_SHARED=OFF >/dev/null &&
  cmake --build build-asan -j"$JOBS" --target unit_tests >build-asan/build.log 2>&1 ||
  { tail -50 build-asan/build.log; exit 1; }

step "libFuzzer build (clang)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROB_BUILD_FUZZ=ON -DROB_WERROR=ON \
  -DROB_BUILD_EXAMPLES=OFF -DROB_BUILD_SHARED=OFF -DROB_BUILD_UNIT_TESTS=OFF >/dev/null &&
  cmake --build build-fuzz -j"$JOBS" >build-fuzz/build.log 2>&1 || { tail -50 build-fuzz/build.log; exit 1; }

step "ctest: unit, integration, install, ABI, benchmarks smoke"
(cd build && ctest --output-on-failure -j"$JOBS") || failed+=(ctest)

step "ctest: unit tests under ASan+UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS="suppressions=$ROOT/tests/unit/lsan.supp" \
  ctest --output-on-failure -j"$JOBS") || failed+=(asan)

step "ctest: fuzz targets, ${ROB_FUZZ_SECONDS}s each"
(cd build-fuzz && ctest --output-on-failure -L fuzz) || failed+=(fuzz)

step "pytest: Python binding, loopback integration"
# Two runs: each folder has its own conftest.py (one pytest run would import only one of them).
# The loopback suite runs on two pytest workers (pytest-xdist): its calls mostly wait on real
# time, so two at once halve its ~9 minutes without contending for the two cores.
for suite in bindings/python/tests tests/integration; do
  echo "--- pytest $suite"
  workers=()
  [[ $suite == tests/integration ]] && workers=(-n 2)
  RINGOVERBOT_LIBRARY="$ROOT/build/libringoverbot.so" ROB_BUILD_DIR="$ROOT/build" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "${workers[@]}" "$suite" || failed+=("pytest $suite")
done

step "soak: 2 minutes of talking calls"
/usr/bin/python3 tests/bench/soak.py --ci --build "$ROOT/build" || failed+=(soak)

echo
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED steps: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
