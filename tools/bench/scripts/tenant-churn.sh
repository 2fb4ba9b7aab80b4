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

work="$(mktemp -d /tmp/tkv-churn.XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/tenantkv-server" --data-dir "$work/data" --listen 127.0.0.1:0 --log-level warn "$@" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "listening on" "$work/server.out" 2>/dev/null && break
  sleep 0.1
done
url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.out" | head -1)"
[ -n "$url" ] || { echo "server did not start" >&2; cat "$work/server.err" >&2; exit 1; }
op_token="$(cat "$work/data/operator.token")"
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
admin() { curl -sf -H "Authorization: Bearer $op_token" -H "Content-Type: application/json" "$@"; }

create() { admin -X POST "$url/admin/v1/tenants" -d "{\"id\":\"$1\"}" >/dev/null; }
remove() { admin -X DELETE "$url/admin/v1/tenants/$1" >/dev/null; }

start=$(date +%s.%N)
for i in $(seq 1 "$tenants"); do create "bulk-$i"; done
echo "created $tenants tenants in $(calc "$(date +%s.%N) - $start") s"

create load
# The load tenant's quotas are raised out of the way: what is measured is
# the storage path, not admission.
admin -X PUT "$url/admin/v1/tenants/load/quota" \
  -d '{"requests_per_sec":1000000,"burst_requests":1000000,"max_concurrent":1024,"write_bytes_per_sec":1000000000,"burst_write_bytes":1000000000,"read_bytes_per_sec":1000000000,"burst_read_bytes":1000000000}' >/dev/null
token="$(admin -X POST "$url/admin/v1/tenants/load/apikeys" -d '{"role":"write"}' | grep -o '"token":"[^"]*"' | cut -d'"' -f4)"
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
