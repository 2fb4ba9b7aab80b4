#!/usr/bin/env bash
# Long crash-consistency run: concurrent writers in several tenants against
# the real server, kill -9 at random moments, restart, check (see
# tests/server/integration/crash_consistency_test.cc and docs/testing.md); then the same
# with the kill landing inside online master-key rotations (the rotation must
# resume at restart, finish, and retire the old version).
#
#   tools/scripts/crash-test.sh [--mode writes|reencrypt|masterkey] [--cycles N] [--seed N]
#
# --mode writes (default): kills under concurrent writes in several tenants.
# --mode reencrypt: a data-key rotation each cycle, kills during the
# background re-encryption; checks every value and that the job finishes.
# --mode masterkey: kills inside online master-key rotations; checks that the
# rotation resumes and finishes, the old version is retired, every value opens.
# --cycles N: kill/restart cycles (default 50). --seed N: replay a run (the
# seed of every run is printed). Builds in build/ (RelWithDebInfo).
source "$(dirname "$0")/common.sh"
cycles=50
seed=""
mode=writes
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="${2:?--cycles needs a number}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --mode) mode="${2:?--mode needs writes, reencrypt or masterkey}"; shift 2 ;;
    *) echo "usage: $0 [--mode writes|reencrypt|masterkey] [--cycles N] [--seed N]" >&2; exit 2 ;;
  esac
done
case "$mode" in
  writes) filter='CrashConsistency.AcknowledgedStateSurvivesRepeatedKill9' ;;
  reencrypt) filter='CrashConsistency.ReencryptionSurvivesRepeatedKill9' ;;
  masterkey) filter='CrashConsistency.MasterKeyRotationResumesAfterKill9' ;;
  *) echo "--mode must be writes, reencrypt or masterkey" >&2; exit 2 ;;
esac
tkv_install_deps
tkv_build "$TKV_ROOT/build" -- crash_consistency_test tenantkv-server
args=(--gtest_filter="$filter" --cycles "$cycles")
[ -n "$seed" ] && args+=(--seed "$seed")
exec "$TKV_ROOT/build/bin/crash_consistency_test" "${args[@]}"
