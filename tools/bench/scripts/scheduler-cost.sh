#!/usr/bin/env bash
# Scheduler cost: one tenant, uncontended GETs of 100-byte values (wrk,
# keep-alive), against a server with the fair scheduler (the default) and
# one started with --bypass-scheduler, alternating, so both see the same
# machine. Prints requests/s and p99 of each run and the ratio of medians.
# Loopback only; the servers started here are stopped by their PIDs.
#
#   tools/bench/scripts/scheduler-cost.sh [--bin build/bin] [--runs 3] [--duration 10] [--op get|put]
#       [--conns 64]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=10
op=get
conns=64
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --op) op="$2"; shift 2 ;;
    --conns) conns="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin DIR] [--runs N] [--duration S] [--op get|put] [--conns C]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }

work="$(mktemp -d /tmp/tkv-sched.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

start() {  # name extra-flags... -> sets url_<name>, token in $work/<name>.token
  local name="$1"
  shift
  "$bin/tenantkv-server" --data-dir "$work/$name" --listen 127.0.0.1:0 --log-level warn --no-access-log \
    --max-connections-per-client 256 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 1 300); do
    grep -q "listening on" "$work/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  local url
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name.out" | head -1)"
  [ -n "$url" ] || { echo "server $name did not start" >&2; exit 1; }
  echo "$url" >"$work/$name.url"
  local optok="$work/$name/operator.token"
  # 10,000 keys written; quotas raised out of the way (admission still runs).
  "$bin/tenantkv-bench" --server "$url" --operator-token-file "$optok" --setup --duration 1 --quiet \
    --tenant "name=solo,rate=1,conns=1,mix=get:100,keys=10000,value=100" >/dev/null
  curl -sf -H "Authorization: Bearer $(cat "$optok")" -H "Content-Type: application/json" -X PUT \
    "$url/admin/v1/tenants/solo/quota" \
    -d '{"requests_per_sec":1000000,"burst_requests":1000000,"max_concurrent":1024,"read_bytes_per_sec":10000000000,"burst_read_bytes":10000000000,"write_bytes_per_sec":10000000000,"burst_write_bytes":10000000000}' >/dev/null
  curl -sf -H "Authorization: Bearer $(cat "$optok")" -H "Content-Type: application/json" -X POST \
    "$url/admin/v1/tenants/solo/apikeys" -d '{"role":"write"}' |
    grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$work/$name.token"
}
start sched
start bypass --bypass-scheduler

measure() {  # name -> "rps p99"
  TOKEN="$(cat "$work/$1.token")" KEYS=10000 wrk -t2 -c"$conns" -d"${duration}s" --latency \
    -s "$here/$op.lua" "$(cat "$work/$1.url")" >"$work/wrk.txt"
  echo "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") $(awk '$1=="99%" {print $2}' "$work/wrk.txt")"
}
: >"$work/sched.rps"
: >"$work/bypass.rps"
for i in $(seq 1 "$runs"); do
  for name in sched bypass; do
    read -r rps p99 <<<"$(measure "$name")"
    echo "$rps" >>"$work/$name.rps"
    printf "run %d %-6s %10s req/s  p99 %s\n" "$i" "$name" "$rps" "$p99"
  done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ms="$(median "$work/sched.rps")"
mb="$(median "$work/bypass.rps")"
awk -v s="$ms" -v b="$mb" 'BEGIN {printf "median: scheduler %.0f req/s, bypass %.0f req/s, ratio %.3f\n", s, b, s / b}'
