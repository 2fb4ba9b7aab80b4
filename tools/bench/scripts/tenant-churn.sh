#!/usr/bin/env bash
# Writes (or reads) of one tenant while other tenants are created and
# deleted, with many tenants present. Loopback only; every process started
# here is stopped by its PID.
#
#   tools/bench/scripts/tenant-churn.sh [--bin build/bin] [--tenants 1000] [--churn 30]
#                                       [--duration 10] [--op put|get] [-- server flags...]
#
# Prints one line per phase: alone / while creating / while deleting, with
# wrk's requests/s and p99, and how long the creates and deletes took.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
tenants=1000
churn=30
duration=10
op=put
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --tenants) tenants="$2"; shift 2 ;;
    --churn) churn="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --op) op="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--bin DIR] [--tenants N] [--churn N] [--duration S] [--op put|get] [-- server flags]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }

source "$here/lib.sh"
tkv_start churn --no-access-log "$@"
url="$(tkv_url churn)"
work="$tkv_work"
server_pid="${tkv_pids[0]}"

calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
create() { tkv_admin churn POST /admin/v1/tenants "{\"id\":\"$1\"}" >/dev/null; }
remove() { tkv_admin churn DELETE "/admin/v1/tenants/$1" >/dev/null; }

start=$(date +%s.%N)
for i in $(seq 1 "$tenants"); do create "bulk-$i"; done
echo "created $tenants tenants in $(calc "$(date +%s.%N) - $start") s"

create load
# The load tenant's quotas are raised out of the way: what is measured is
# the storage path, not admission.
tkv_unlimit churn load
tkv_key churn load write "$work/load.token"
token="$(cat "$work/load.token")"
export TOKEN="$token" KEYS=10000
if [ "$op" = get ]; then
  TOKEN="$token" wrk -t2 -c16 -d3s -s "$here/put.lua" "$url" >/dev/null
fi

run_wrk() {
  wrk -t2 -c16 -d"${duration}s" --latency -s "$here/$op.lua" "$url" >"$work/wrk.txt"
  local rps p99
  rps="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")"
  p99="$(awk '$1=="99%" {print $2}' "$work/wrk.txt")"
  echo "$rps req/s, p99 $p99"
}

echo "alone:            $(run_wrk)"

churn_loop() {  # $1 = create|remove; spread over the run
  local gap
  gap="$(calc "$duration / ($churn + 2)")"
  sleep "$gap"
  local t0
  t0=$(date +%s.%N)
  for i in $(seq 1 "$churn"); do "$1" "churn-$i"; sleep "$gap"; done
  echo "$(calc "($(date +%s.%N) - $t0 - $gap * $churn) * 1000 / $churn") ms per $1" >"$work/churn.txt"
}
churn_loop create &
churn_pid=$!
line="$(run_wrk)"
wait "$churn_pid"
echo "while creating:   $line ($(cat "$work/churn.txt"))"

churn_loop remove &
churn_pid=$!
line="$(run_wrk)"
wait "$churn_pid"
echo "while deleting:   $line ($(cat "$work/churn.txt"))"
echo "server RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status")"
