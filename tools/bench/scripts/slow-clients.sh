#!/usr/bin/env bash
# Slow clients: a well-behaved tenant's steady load, measured alone and while
# CONNS connections from one address trickle a request head one byte every
# INTERVAL s and IDLE more sit idle (slow-clients.py, re-opening any the
# server closes). Prints, per run, the tenant's p50/p99/p99.9 and errors in
# both phases and what the server did with the slow connections; then the
# medians, the slowed/solo p99 ratio and the tenant's error total. Loopback
# only; every process started here is stopped by its PID.
#
#   tools/bench/scripts/slow-clients.sh [--bin build/bin] [--server-bin DIR]
#       [--runs 3] [--duration 10] [--conns 1000] [--idle N] [--interval 2]
#       [--rate 200] [--source 127.0.0.1] [--no-reconnect] [-- server flags...]
#
# The tenant is tenantkv-bench: --rate GET/s open loop over 4 connections
# (opened after the slow clients are in place: fresh connections), 2 s
# warm-up, --duration s measured; latency from the intended send time,
# errors = non-2xx answers + transport failures (a request unanswered
# within 10 s counts as one). The slow connections come from --source
# (default 127.0.0.1, the tenant's own address, so no per-address cap can
# tell them apart; 127.0.0.2 puts them on an address of their own).
# --idle defaults to --conns. The open-file limit is raised to the hard
# limit (the server and the generator inherit it). The server runs with its
# defaults plus the flags after `--`; --server-bin DIR takes tenantkv-server
# from DIR (e.g. a baseline-build.sh build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
server_bin=""
runs=3
duration=10
conns=1000
idle=""
interval=2
rate=200
source_addr=127.0.0.1
reconnect=()
usage="usage: $0 [--bin DIR] [--server-bin DIR] [--runs N] [--duration S] [--conns N] [--idle N] [--interval S] [--rate R] [--source ADDR] [--no-reconnect] [-- server flags]"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --server-bin) server_bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --conns) conns="$2"; shift 2 ;;
    --idle) idle="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --source) source_addr="$2"; shift 2 ;;
    --no-reconnect) reconnect=(--no-reconnect); shift ;;
    --) shift; break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
idle="${idle:-$conns}"
command -v python3 >/dev/null || { echo "python3 is needed (slow-clients.py)" >&2; exit 2; }
[ -z "$server_bin" ] || [ -x "$server_bin/tenantkv-server" ] || { echo "$server_bin/tenantkv-server not found" >&2; exit 2; }
# Both the server and the generator hold every slow connection open.
need=$((conns + idle + 1024))
hard="$(ulimit -Hn)"
[ "$hard" = unlimited ] || [ "$hard" -ge "$need" ] ||
  { echo "needs $need open files per process; the hard limit is $hard" >&2; exit 2; }
ulimit -n "$hard"

source "$here/lib.sh"
work="$tkv_work"
tkv_server_bin="${server_bin:-$bin}"
results="$work/results.txt"
: >"$results"
log() { echo "[$(date +%T)] $*" >&2; }

log "server: $tkv_server_bin/tenantkv-server $* (open files: $(ulimit -n))"
tkv_start sc --no-access-log "$@"
url="$(tkv_url sc)"
steady="name=steady,rate=$rate,conns=4,mix=get:100,keys=10000,value=100"
# Loaded with its quota raised, then back on the default plan.
tkv_admin sc POST /admin/v1/tenants '{"id":"steady"}' >/dev/null
tkv_unlimit sc steady
"$bin/tenantkv-bench" --server "$url" --operator-token-file "$(tkv_optok sc)" --setup --duration 1 --quiet \
  --tenant "${steady/rate=$rate,conns=4/rate=1,conns=1}" >/dev/null
tkv_replan sc steady
tkv_key sc steady read "$work/steady.token"
port="${url##*:}"

# tenant PHASE RUN: one run of the steady tenant, its report line appended
# as "PHASE RUN achieved ok 429 503 other transport unsent p50 p99 p99.9
# lag_p99" (lag: how late the tenant's own generator sent).
tenant_run() {
  # Exit status 1 (nothing succeeded) is a result here, not a failure.
  { "$bin/tenantkv-bench" --server "$url" --duration "$duration" --warmup 2 --quiet \
      --tenant "$steady,token_file=$work/steady.token" || true; } |
    awk -v ph="$1" -v r="$2" '$1=="steady" {print ph, r, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14, $16}' >>"$results"
  awk -v ph="$1" -v r="$2" '$1==ph && $2==r {
    printf "  tenant %-7s achieved %7s/s  errors %5d (429 %s, 503 %s, other %s, transport %s)  unsent %s  p50 %7s  p99 %7s  p99.9 %7s ms  (send lag p99 %s ms)\n",
      ph, $3, $5 + $6 + $7 + $8, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' "$results" >&2
}

for run in $(seq 1 "$runs"); do
  log "run $run of $runs"
  tenant_run solo "$run"
  rm -f "$work/ready.json"
  # Long enough for the connects plus the tenant's whole run; stopped by
  # its PID once the tenant is done (it still prints its report).
  python3 "$here/slow-clients.py" --target "127.0.0.1:$port" --source "$source_addr" \
    --trickle "$conns" --idle "$idle" --interval "$interval" --duration "$((duration + 120))" \
    --ready-file "$work/ready.json" "${reconnect[@]}" >"$work/slow.txt" 2>&1 &
  slow_pid=$!
  for _ in $(seq 1 600); do [ -s "$work/ready.json" ] && break; kill -0 "$slow_pid" 2>/dev/null || break; sleep 0.1; done
  [ -s "$work/ready.json" ] || { log "the slow clients were not in place after 60 s"; cat "$work/slow.txt" >&2; }
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("  slow clients in place: open %d trickling + %d idle, connect failures %d" % (r["open"]["trickle"], r["open"]["idle"], r["connect_failures"]))' \
    "$work/ready.json" >&2 2>/dev/null || true
  tenant_run slowed "$run"
  kill "$slow_pid" 2>/dev/null || true
  wait "$slow_pid" || true
  sed 's/^/  /' "$work/slow.txt" >&2
done

median() {  # values on stdin -> median, or "-" when none
  sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
solo="$(awk '$1=="solo" {print $11}' "$results" | median)"
slowed="$(awk '$1=="slowed" {print $11}' "$results" | median)"
ratio="$(awk -v a="$slowed" -v b="$solo" 'BEGIN {if (b + 0 > 0 && a != "-") printf "%.2fx", a / b; else print "-"}')"
read -r ok errors unsent < <(awk '$1=="slowed" {o += $4; e += $5 + $6 + $7 + $8; u += $9} END {print o + 0, e + 0, u + 0}' "$results")
echo "### slow-clients.sh: $runs run(s) of ${duration} s, tenant $rate GET/s open loop; $conns trickling (1 byte / ${interval} s) + $idle idle connections from $source_addr"
echo
echo "| tenant p99 solo ms | tenant p99 with slow clients ms | ratio | with slow clients, all runs: served | errors | unsent |"
echo "|---|---|---|---|---|---|"
echo "| $solo | $slowed | $ratio | $ok of $((ok + errors + unsent)) | $errors | $unsent |"
echo
echo "target (issue 15): p99 with slow clients <= 1.5x solo p99, no error. Errors: non-2xx answers and"
echo "transport failures (no answer within 10 s); unsent: requests due while all 4 of the tenant's"
echo "connections were still waiting for an answer (the server held them), also not served."
echo
echo "per run (phase run achieved ok 429 503 other transport unsent p50 p99 p99.9 send_lag_p99, ms):"
sed 's/^/    /' "$results"
# The server's own count of what it refused or timed out (all runs), to
# set against what the slow clients saw.
echo
echo "refusals in the server's /metrics (all runs):"
refused="$(tkv_refusals sc)"
echo "${refused:-(none)}" | sed 's/^/    /'
