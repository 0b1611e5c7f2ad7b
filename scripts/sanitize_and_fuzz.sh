#!/usr/bin/env bash
# Sanitizer and fuzz runs (the "Reliability" part of `make test`).
#
#  1. configures and builds build-asan/ with clang, -fsanitize=address,undefined and
#     -fno-sanitize-recover=all: the C++ unit tests (delivsim_tests) and the libFuzzer targets
#     of tests/fuzz/ (nothing else: no CLI, benchmarks or Python extension);
#  2. runs the whole unit-test suite under ASan (with leak detection) and UBSan;
#  3. replays every saved finding, tests/fuzz/regressions/<target>/*, as a plain input;
#  4. fuzzes each target (fuzz_scenario_text, fuzz_scenario_structure, fuzz_spf, fuzz_world_text,
#     fuzz_world_structure) for
#     FUZZ_SECONDS (default 60) from its committed seed corpus tests/fuzz/corpus/<target>/
#     (corpus/spf/ for fuzz_spf; read only: new inputs go to a temporary working corpus).
#
# Any sanitizer report, crash, uncaught exception, hang (> 10 s on one input), out-of-memory
# (> 2048 MB) or failed unit test fails the script (exit 1); the reproducer of a fuzz finding
# is kept under build-asan/fuzz-artifacts/<target>/ and its path printed with the commands
# to replay and minimise it. Safe to run again: the build is incremental and nothing in the
# source tree is written.
#
# Environment: FUZZ_SECONDS (0 skips step 4), FUZZ_PARALLEL (1: fuzz the targets at the same
# time, the default with 2+ cores), BUILD_ASAN (build tree, default build-asan), JOBS,
# CLANGXX (default clang++). Needs clang 14 with its sanitizer/libFuzzer runtimes and
# llvm-symbolizer (Debian: clang-14 libclang-rt-14-dev llvm-14) besides scripts/bootstrap.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=${BUILD_ASAN:-build-asan}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-$(nproc)}
CLANGXX=${CLANGXX:-clang++}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}
TARGETS=(fuzz_scenario_text fuzz_scenario_structure fuzz_spf fuzz_world_text fuzz_world_structure)
LIBFUZZER_LIMITS=(-timeout=10 -rss_limit_mb=2048 -max_len=65536)

SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'sanitize_and_fuzz: %s\n' "$*" >&2; exit 1; }
start=$SECONDS

# --- tools -----------------------------------------------------------------------------------
command -v "$CLANGXX" >/dev/null || die "$CLANGXX not found (apt-get install clang-14 libclang-rt-14-dev llvm-14)"
rtdir=$("$CLANGXX" --print-runtime-dir 2>/dev/null || true)
for lib in asan ubsan_standalone fuzzer; do
  compgen -G "$rtdir/libclang_rt.$lib*.a" >/dev/null ||
    die "clang's $lib runtime is missing in '$rtdir' (apt-get install libclang-rt-14-dev)"
done
for s in llvm-symbolizer llvm-symbolizer-14; do
  if command -v "$s" >/dev/null; then export ASAN_SYMBOLIZER_PATH; ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
done
[ -n "${ASAN_SYMBOLIZER_PATH:-}" ] || echo "sanitize_and_fuzz: no llvm-symbolizer (apt-get install llvm-14): stacks will not be symbolised" >&2

# --- build -----------------------------------------------------------------------------------
say "configure and build $BUILD (clang, ASan + UBSan)"
# A tree configured with another compiler is started afresh: CMake would drop the cache and
# re-run without this script's -D options.
stamp=$BUILD/.sanitize_and_fuzz-cxx
case "$(realpath -m "$BUILD")" in "$ROOT" | / | "$HOME") die "BUILD_ASAN=$BUILD: not a build tree of its own" ;; esac
if [ -f "$BUILD/CMakeCache.txt" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$CLANGXX" ]; then
  echo "$BUILD was configured with another compiler: starting it afresh"
  rm -rf "$BUILD"
fi
mkdir -p "$BUILD" && echo "$CLANGXX" >"$stamp"
cmake -S . -B "$BUILD" \
  -DCMAKE_CXX_COMPILER="$CLANGXX" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$SAN_FLAGS" \
  -DDELIVSIM_BUILD_TESTS=ON -DDELIVSIM_BUILD_FUZZERS=ON -DDELIVSIM_BUILD_CLI=OFF \
  -DDELIVSIM_BUILD_BENCHMARKS=OFF -DDELIVSIM_BUILD_PYTHON=OFF -DDELIVSIM_INSTALL=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target delivsim_tests "${TARGETS[@]}"

failures=()

# --- unit tests under the sanitizers ---------------------------------------------------------
say "delivsim_tests under ASan + UBSan (full suite)"
t0=$SECONDS
if "$BUILD/tests/delivsim_tests" --no-intro=true; then
  echo "unit tests: passed in $((SECONDS - t0)) s"
else
  failures+=("delivsim_tests under ASan/UBSan (rerun: ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS $BUILD/tests/delivsim_tests)")
fi

# --- saved findings --------------------------------------------------------------------------
say "replay tests/fuzz/regressions"
for t in "${TARGETS[@]}"; do
  dir=tests/fuzz/regressions/$t
  [ -d "$dir" ] || continue
  n=0
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    if ! "$BUILD/tests/fuzz/$t" "${LIBFUZZER_LIMITS[@]}" "$f" >"$BUILD/replay.log" 2>&1; then
      tail -n 60 "$BUILD/replay.log"
      failures+=("regression $f (replay: $BUILD/tests/fuzz/$t $f)")
    fi
  done < <(find "$dir" -type f -print0 | sort -z)
  echo "$t: $n saved inputs replayed"
done

# --- fuzzing ---------------------------------------------------------------------------------
corpus_of() {  # the committed seed corpus of a target
  case $1 in fuzz_spf) echo tests/fuzz/corpus/spf ;; *) echo "tests/fuzz/corpus/$1" ;; esac
}
fuzz_one() {  # target work_dir artifact_dir log
  local t=$1 work=$2 art=$3 log=$4 extra=()
  case $t in
    fuzz_scenario_text | fuzz_world_text) extra+=(-dict=tests/fuzz/scenario.dict) ;;
    fuzz_spf) extra+=(-dict=tests/fuzz/spf.dict) ;;
  esac
  "$BUILD/tests/fuzz/$t" -max_total_time="$FUZZ_SECONDS" "${LIBFUZZER_LIMITS[@]}" -print_final_stats=1 \
    -artifact_prefix="$art/" "${extra[@]}" "$work" "$(corpus_of "$t")" >"$log" 2>&1
}

if [ "$FUZZ_SECONDS" -gt 0 ]; then
  say "fuzz each target for $FUZZ_SECONDS s (parallel: $FUZZ_PARALLEL)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/delivsim-fuzz.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  declare -A pid status
  for t in "${TARGETS[@]}"; do
    art=$(realpath -m "$BUILD/fuzz-artifacts/$t")
    rm -rf "$art" && mkdir -p "$art" "$work/$t" "$BUILD/fuzz-logs"
    if [ "$FUZZ_PARALLEL" = 1 ]; then
      fuzz_one "$t" "$work/$t" "$art" "$BUILD/fuzz-logs/$t.log" & pid[$t]=$!
    else
      fuzz_one "$t" "$work/$t" "$art" "$BUILD/fuzz-logs/$t.log" && status[$t]=0 || status[$t]=$?
    fi
  done
  for t in "${TARGETS[@]}"; do
    if [ "$FUZZ_PARALLEL" = 1 ]; then wait "${pid[$t]}" && status[$t]=0 || status[$t]=$?; fi
    log=$BUILD/fuzz-logs/$t.log
    art=$BUILD/fuzz-artifacts/$t
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -oE '(DONE|INITED) +cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || echo "?")
    if [ "${status[$t]}" -eq 0 ] && [ -z "$(ls -A "$art")" ]; then
      echo "$t: no finding ($runs inputs, coverage $cov edges; log $log)"
    else
      echo "$t: FINDING (exit ${status[$t]}); the end of $log:"
      grep -vE '^(#[0-9]+|	NEW_FUNC)' "$log" | tail -n 80
      for a in "$art"/*; do
        [ -e "$a" ] || continue
        echo "  reproducer: $a"
        echo "    replay:   $BUILD/tests/fuzz/$t $a"
        echo "    minimise: $BUILD/tests/fuzz/$t -minimize_crash=1 -runs=20000 $a"
        echo "    then keep it: cp $a tests/fuzz/regressions/$t/"
      done
      failures+=("fuzzing $t (log $log)")
    fi
  done
fi

say "done in $((SECONDS - start)) s"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAILED:\n' >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "sanitizers and fuzzing: no findings"
