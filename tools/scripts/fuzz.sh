#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan in
# build-fuzz/, then runs each one for a bounded time, one after the other,
# and prints the executions per target. Exits non-zero if a target found a
# crash; the input that crashed is in build-fuzz/artifacts/.
#
#   tools/scripts/fuzz.sh [--seconds N] [target...]
#
# --seconds N: run time per target (default 60). Targets default to all.
# New inputs a run discovers go to build-fuzz/corpus/<target>/, never to the
# committed seeds in tests/fuzz/corpus/<target>/.
source "$(dirname "$0")/common.sh"
seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --seconds=*) seconds="${1#--seconds=}"; shift ;;
    -*) echo "usage: $0 [--seconds N] [target...]" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "--seconds needs a whole number" >&2; exit 2 ;; esac
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_value_envelope fuzz_request_body fuzz_request_target fuzz_admin_body fuzz_transfer_pages)
fi

tkv_install_deps "${TKV_FUZZ_PACKAGES[@]}"
out="$TKV_ROOT/build-fuzz"
tkv_build "$out" -DCMAKE_CXX_COMPILER=clang++ -DTENANTKV_FUZZ=ON -DTENANTKV_BUILD_TESTS=OFF -DTENANTKV_LINE_TABLES=ON -- "${targets[@]}"

mkdir -p "$out/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=0
summary=()
for t in "${targets[@]}"; do
  seeds="$TKV_ROOT/tests/fuzz/corpus/$t"
  work="$out/corpus/$t"
  log="$out/$t.log"
  mkdir -p "$work"
  args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
        -artifact_prefix="$out/artifacts/$t-")
  [ -f "$TKV_ROOT/tests/fuzz/$t.dict" ] && args+=(-dict="$TKV_ROOT/tests/fuzz/$t.dict")
  echo "== $t: ${seconds}s" >&2
  status=0
  "$out/bin/$t" "${args[@]}" "$work" "$seeds" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [ "$status" -ne 0 ]; then
    failed=1
    summary+=("$t: FAILED (exit $status) after ${runs:-?} executions; see $log and $out/artifacts/")
    tail -n 40 "$log" >&2
  else
    summary+=("$t: ${runs:-?} executions in ${seconds}s, corpus $(ls "$work" | wc -l) inputs")
  fi
done
printf '%s\n' "${summary[@]}"
exit "$failed"
