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

source "$here/lib.sh"
work="$tkv_work"
# The cpp-httplib front's per-address cap (64) would refuse the load; the
# event-driven front's default is far above (lib.sh, tkv_cap_args).
tkv_cap_args "$bin/tenantkv-server" 256
for name in sched bypass; do
  flags=(--no-access-log "${cap_args[@]}")
  [ "$name" = bypass ] && flags+=(--bypass-scheduler)
  tkv_start "$name" "${flags[@]}"
  # 10,000 keys written; quotas raised out of the way (admission still runs).
  "$bin/tenantkv-bench" --server "$(tkv_url "$name")" --operator-token-file "$(tkv_optok "$name")" \
    --setup --duration 1 --quiet --tenant "name=solo,rate=1,conns=1,mix=get:100,keys=10000,value=100" >/dev/null
  tkv_unlimit "$name" solo
  tkv_key "$name" solo write "$work/$name.token"
done

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
