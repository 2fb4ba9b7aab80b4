#!/usr/bin/env bash
# Cache fairness: a hot tenant reads a working set that fits in the block
# cache, alone and then while another tenant sweeps through 10x the
# cache's size of its own data. Prints, per server setting and run, the hot
# tenant's p50/p99 and its block cache hit rate (from the server's
# per-tenant counters in /metrics), the sweeper's rate, and both tenants'
# share of the cache; then per setting the medians and the contended/solo
# p99 ratio. Loopback only; every process started here is stopped by its
# PID.
#
#   tools/bench/scripts/cache-fairness.sh [--bin build/bin] [--runs 3]
#       [--duration 10] [--cache-mb 16] [--hot-keys 4000] [--hot-rate 500]
#       [--sweep-conns 2] [--tier TIER] [--settings around,fill]
#       [--pin SERVER_CPUS:GEN_CPUS] [-- server flags...]
#
# Settings (each is its own server, measured in turn within each run):
#   around  the default: list scans read around the block cache
#   fill    --scan-fill-cache: the sweeper's blocks go into the cache
# Data: the hot tenant holds --hot-keys values of 1,000 bytes (4 MB by
# default, well inside the cache); the sweeper holds 10 x --cache-mb MiB of
# 1,000-byte values. Both are written, then the server restarts, so that
# all of it is in SST files (RocksDB flushes what it recovers from the WAL)
# and the cache starts cold. Each phase warms the hot tenant up for 2 s
# before it measures. The sweeper is tenantkv-bench's `sweep` op (pages of
# 1,000 values with their bytes, each from a random key; closed loop over
# --sweep-conns connections), started 1 s before the hot tenant's
# contended phase. Both tenants' quotas are raised out of the way.
# --tier creates both tenants in that tier (pooled or column_family).
# --pin 1:0 runs the servers under `taskset -c 1` and both load generators
# under `taskset -c 0`: the generators (the sweeper's client parses about
# 1 MB of JSON a page) then no longer take the server's core, so what is
# left of the hot tenant's p99 is the server's own.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=10
cache_mb=16
hot_keys=4000
hot_rate=500
sweep_conns=2
tier=""
settings=around,fill
pin=""
usage="usage: $0 [--bin DIR] [--runs N] [--duration S] [--cache-mb M] [--hot-keys K] [--hot-rate R] [--sweep-conns C] [--tier TIER] [--settings LIST] [--pin SERVER_CPUS:GEN_CPUS] [-- server flags]"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --cache-mb) cache_mb="$2"; shift 2 ;;
    --hot-keys) hot_keys="$2"; shift 2 ;;
    --hot-rate) hot_rate="$2"; shift 2 ;;
    --sweep-conns) sweep_conns="$2"; shift 2 ;;
    --tier) tier="$2"; shift 2 ;;
    --settings) settings="$2"; shift 2 ;;
    --pin) pin="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
case "$tier" in
  "" | pooled | column_family) ;;
  *) echo "unknown tier '$tier' (pooled, column_family)" >&2; exit 2 ;;
esac
IFS=, read -r -a setting_list <<<"$settings"
for s in "${setting_list[@]}"; do
  case "$s" in around | fill) ;; *) echo "unknown setting '$s' (around, fill)" >&2; exit 2 ;; esac
done

source "$here/lib.sh"
gen=()  # the load generators' wrapper (--pin)
if [ -n "$pin" ]; then
  case "$pin" in *:*) ;; *) echo "--pin takes SERVER_CPUS:GEN_CPUS, e.g. 1:0" >&2; exit 2 ;; esac
  command -v taskset >/dev/null || { echo "taskset is needed for --pin" >&2; exit 2; }
  tkv_server_wrap=(taskset -c "${pin%%:*}")
  gen=(taskset -c "${pin#*:}")
fi
work="$tkv_work"
results="$work/results.txt"
: >"$results"
log() { echo "[$(date +%T)] $*" >&2; }

value_bytes=1000
sweep_keys=$((cache_mb * 10 * 1048576 / value_bytes))
hot="name=hot,rate=$hot_rate,conns=4,mix=get:100,keys=$hot_keys,value=$value_bytes"
sweeper="name=sweeper,rate=0,conns=$sweep_conns,mix=sweep:100,keys=$sweep_keys,value=$value_bytes,scan=1000"

# start NAME SETTING: (re)starts server NAME on its data directory.
start() {
  local fill=()
  [ "$2" = fill ] && fill=(--scan-fill-cache)
  tkv_start "$1" --no-access-log --block-cache-mb "$cache_mb" "${fill[@]}" "${server_flags[@]}"
}
# setup NAME SETTING: both tenants and their data, then a restart.
setup() {
  local name="$1" t
  start "$name" "$2"
  for t in hot sweeper; do
    tkv_create "$name" "$t" "$tier"
    tkv_unlimit "$name" "$t" '"storage_bytes":1000000000000'
  done
  log "$name: loading $hot_keys hot values and $sweep_keys to sweep ($((sweep_keys * value_bytes / 1048576)) MiB)"
  "$bin/tenantkv-bench" --server "$(tkv_url "$name")" --operator-token-file "$(tkv_optok "$name")" --setup \
    --duration 1 --quiet --tenant "${hot/rate=$hot_rate,conns=4/rate=1,conns=1}" \
    --tenant "${sweeper/rate=0,conns=$sweep_conns/rate=1,conns=1}" >/dev/null
  tkv_key "$name" hot read "$work/$name.hot.token"
  tkv_key "$name" sweeper read "$work/$name.sweeper.token"
  # Stopped by its PID (the last one started), then started again: the data
  # goes to SST files and the cache is cold.
  local pid="${tkv_pids[-1]}"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  start "$name" "$2"
}
# counters NAME: "hits misses hot_charge sweeper_charge" from /metrics.
counters() {
  tkv_admin "$1" GET /metrics | awk '
    /^tenantkv_tenant_block_cache_hits_total[{]tenant="hot"[}]/ { h = $NF }
    /^tenantkv_tenant_block_cache_misses_total[{]tenant="hot"[}]/ { m = $NF }
    /^tenantkv_tenant_block_cache_charge_bytes[{]tenant="hot"[}]/ { hc = $NF }
    /^tenantkv_tenant_block_cache_charge_bytes[{]tenant="sweeper"[}]/ { sc = $NF }
    END { printf "%d %d %d %d\n", h, m, hc, sc }'
}
# hot_run NAME SETTING PHASE RUN: one measured phase of the hot tenant,
# appended to the results as "SETTING PHASE RUN achieved non2xx p50 p99
# hit_rate hot_charge_mb sweeper_charge_mb".
hot_run() {
  local name="$1" setting="$2" phase="$3" run="$4" before after line
  # The warm-up reads count in the hit rate too; it is measured over the
  # whole phase.
  before="$(counters "$name")"
  line="$({ "${gen[@]}" "$bin/tenantkv-bench" --server "$(tkv_url "$name")" --duration "$duration" --warmup 2 --quiet \
    --tenant "$hot,token_file=$work/$name.hot.token" || true; } | awk '$1=="hot" {print $4, $6 + $7 + $8 + $9, $11, $13}')"
  after="$(counters "$name")"
  read -r h0 m0 _ _ <<<"$before"
  read -r h1 m1 hc sc <<<"$after"
  echo "$setting $phase $run $line $(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) -v hc="$hc" -v sc="$sc" \
    'BEGIN {printf "%.4f %.1f %.1f", (h + m > 0 ? h / (h + m) : 0), hc / 1048576, sc / 1048576}')" >>"$results"
  tail -1 "$results" | awk '{printf "  %-6s %-9s run %s: hot %s/s, non-2xx %s, p50 %s ms, p99 %s ms, hit rate %s; cache: hot %s MiB, sweeper %s MiB\n",
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}' >&2
}

server_flags=("$@")
for s in "${setting_list[@]}"; do
  log "server cf-$s: setting $s, --block-cache-mb $cache_mb $*"
  setup "cf-$s" "$s"
done

for run in $(seq 1 "$runs"); do
  log "run $run of $runs"
  for s in "${setting_list[@]}"; do
    hot_run "cf-$s" "$s" solo "$run"
    "${gen[@]}" "$bin/tenantkv-bench" --server "$(tkv_url "cf-$s")" --duration "$((duration + 4))" --warmup 0 --quiet \
      --tenant "$sweeper,token_file=$work/cf-$s.sweeper.token" >"$work/sweep.txt" 2>&1 &
    sweep_pid=$!
    sleep 1
    hot_run "cf-$s" "$s" contended "$run"
    wait "$sweep_pid" || true
    awk -v s="$s" '$1=="sweeper" {printf "  %-6s sweeper: %s pages/s (%.0f MB/s of values), non-2xx %d\n", s, $4, $4 * 1000 * 1000 / 1e6, $6 + $7 + $8 + $9}' \
      "$work/sweep.txt" >&2
  done
done

median() {  # values on stdin -> median, or "-" when none
  sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
echo "### cache-fairness.sh: ${pin:+pinned server:generators $pin, }$runs run(s) of ${duration} s, block cache $cache_mb MiB, hot tenant $hot_keys x $value_bytes B at $hot_rate GET/s, sweeper $sweep_keys x $value_bytes B over $sweep_conns connections, tier ${tier:-of the plan}"
echo
echo "| setting | hot p99 solo ms | hot p99 contended ms | ratio | hot hit rate solo | contended | hot non-2xx | hot's cache MiB (contended, end) | sweeper's cache MiB |"
echo "|---|---|---|---|---|---|---|---|---|"
for s in "${setting_list[@]}"; do
  col() { awk -v s="$s" -v ph="$1" -v c="$2" '$1==s && $2==ph {print $c}' "$results" | median; }
  solo="$(col solo 7)"
  cont="$(col contended 7)"
  ratio="$(awk -v a="$cont" -v b="$solo" 'BEGIN {if (b + 0 > 0 && a != "-") printf "%.2fx", a / b; else print "-"}')"
  non2xx="$(awk -v s="$s" '$1==s {n += $5} END {print n + 0}' "$results")"
  echo "| $s | $solo | $cont | $ratio | $(col solo 8) | $(col contended 8) | $non2xx | $(col contended 9) | $(col contended 10) |"
done
echo
echo "target (issue 16): the hot tenant's contended p99 <= 1.5x its solo p99"
echo
echo "per run (setting phase run achieved non2xx p50 p99 hit_rate hot_cache_mib sweeper_cache_mib):"
sed 's/^/    /' "$results"
