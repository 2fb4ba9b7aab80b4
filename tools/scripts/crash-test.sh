#!/usr/bin/env bash
# Long crash-consistency run: concurrent writers in several tenants against
# the real server, kill -9 at random moments, restart, check (see
# tests/server/crash_consistency_test.cc and docs/testing.md); then the same
# with the kill landing inside online master-key rotations (the rotation must
# resume at restart, finish, and retire the old version).
#
#   tools/scripts/crash-test.sh [--cycles N] [--seed N] [--master-key-only]
#
# --cycles N: kill/restart cycles of each test (default 50). --seed N: replay
# a run (the seed of every run is printed). --master-key-only: only the
# master-key rotation cycles. Builds in build/ (RelWithDebInfo).
source "$(dirname "$0")/common.sh"
cycles=50
seed=""
filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="${2:?--cycles needs a number}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --master-key-only) filter="--gtest_filter=CrashConsistency.MasterKey*"; shift ;;
    *) echo "usage: $0 [--cycles N] [--seed N] [--master-key-only]" >&2; exit 2 ;;
  esac
done
tkv_install_deps
cmake -S "$TKV_ROOT" -B "$TKV_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$TKV_ROOT/build" -j "$(nproc)" --target crash_consistency_test tenantkv-server
args=(--cycles "$cycles")
[ -n "$seed" ] && args+=(--seed "$seed")
[ -n "$filter" ] && args+=("$filter")
exec "$TKV_ROOT/build/bin/crash_consistency_test" "${args[@]}"
