#!/usr/bin/env bash
# Noisy neighbour: a victim tenant at a fixed 200 GET/s, measured alone and
# while an aggressor tenant floods with 64 closed-loop connections. Prints,
# per run, the victim's p50/p99/p99.9 and refusals in both phases and the
# aggressor's served and refused counts. Loopback only; every process
# started here is stopped by its PID.
#
#   tools/bench/scripts/noisy-neighbour.sh [--bin build/bin] [--runs 3] [--duration 10]
#       [--aggressor-nice N] [--victim-rate 200] [--aggressor-conns 64] [-- server flags...]
#
# The victim and the aggressor are driven by two tenantkv-bench processes.
# --aggressor-nice runs the aggressor's generator at that nice level (the
# default 0 puts it on equal terms with everything else on the machine).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=10
agg_nice=0
victim_rate=200
agg_conns=64
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --aggressor-nice) agg_nice="$2"; shift 2 ;;
    --victim-rate) victim_rate="$2"; shift 2 ;;
    --aggressor-conns) agg_conns="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--bin DIR] [--runs N] [--duration S] [--aggressor-nice N] [--victim-rate R] [--aggressor-conns C] [-- server flags]" >&2; exit 2 ;;
  esac
done

source "$here/lib.sh"
# All connections come from 127.0.0.1: the per-client cap must admit 68.
tkv_start nn --max-connections-per-client 256 --no-access-log "$@"
url="$(tkv_url nn)"
optok="$(tkv_optok nn)"
work="$tkv_work"

victim="name=victim,rate=$victim_rate,conns=4,mix=get:100,keys=10000,value=100"
aggressor="name=aggressor,rate=0,conns=$agg_conns,mix=get:100,keys=10000,value=100"
# Both tenants on the default plan; keys written once.
"$bin/tenantkv-bench" --server "$url" --operator-token-file "$optok" --setup --duration 1 --quiet \
  --tenant "$victim" --tenant "${aggressor/rate=0,conns=$agg_conns/rate=1,conns=1}" >/dev/null
for t in victim aggressor; do tkv_key nn "$t" read "$work/$t.token"; done

bench() {  # spec name -> report line of that tenant
  "$bin/tenantkv-bench" --server "$url" --duration "$duration" --warmup 2 --quiet \
    --tenant "$1,token_file=$work/$2.token" | awk -v n="$2" '$1==n'
}
# Columns of the report line: tenant weight target achieved ok 429 503
# other transport unsent p50 p90 p99 p99.9 max lag.
show() { awk -v label="$1" '{printf "%-22s achieved %7s/s  ok %7s  429 %7s  503 %5s  p50 %7s  p99 %7s  p99.9 %7s ms\n", label, $4, $5, $6, $7, $11, $13, $14}'; }

for run in $(seq 1 "$runs"); do
  echo "run $run"
  bench "$victim" victim | show "  victim alone"
  nice -n "$agg_nice" "$bin/tenantkv-bench" --server "$url" --duration "$((duration + 4))" --warmup 0 --quiet \
    --tenant "$aggressor,token_file=$work/aggressor.token" >"$work/agg.txt" &
  agg_pid=$!
  sleep 1
  bench "$victim" victim | show "  victim contended"
  wait "$agg_pid"
  awk '$1=="aggressor"' "$work/agg.txt" | show "  aggressor"
done
