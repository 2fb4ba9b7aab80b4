#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest -j2):
# first the normal build, then the AddressSanitizer + UBSan build, then a
# short fuzz pass (tools/scripts/fuzz.sh, 20 s per libFuzzer target).
# --no-sanitize skips the second pass, --no-fuzz the third. Debug info is
# line tables only (-g1): failures still show file and line, and the suite
# compiles about 30% faster (docs/testing.md, "Build time").
source "$(dirname "$0")/common.sh"
sanitize=1
fuzz=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitize) sanitize=0 ;;
    --no-fuzz) fuzz=0 ;;
    *) echo "usage: $0 [--no-sanitize] [--no-fuzz]" >&2; exit 2 ;;
  esac
done
tkv_install_deps "${TKV_TEST_PACKAGES[@]}"
jobs=2

tkv_build "$TKV_ROOT/build" -DTENANTKV_LINE_TABLES=ON
(cd "$TKV_ROOT/build" && ctest -j "$jobs" --output-on-failure --timeout 600)

if [ "$sanitize" -eq 1 ]; then
  tkv_build "$TKV_ROOT/build-asan" -DTENANTKV_SANITIZE=ON -DTENANTKV_LINE_TABLES=ON
  # RocksDB's own allocations are not instrumented; leaks are checked in
  # our code only through ASan's default (no suppressions needed so far).
  (cd "$TKV_ROOT/build-asan" &&
     ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest -j "$jobs" --output-on-failure --timeout 900)
fi

if [ "$fuzz" -eq 1 ]; then
  bash "$TKV_ROOT/tools/scripts/fuzz.sh" --seconds 20
fi
