#!/usr/bin/env bash
# Online master-key rotation on a node with many tenants, while a few
# tenants keep reading and writing. Loopback only; every process started
# here is stopped by its PID.
#
#   tools/bench/scripts/master-rotation.sh [--bin build/bin] [--tenants 1000] [--values 10]
#                                          [--load-tenants 4] [--rate 200] [--duration 30]
#                                          [-- server flags...]
#
# Prints how long populating took, the rotation's answer (from/to, tenants
# and keys rewrapped, duration), the bench report of the loaded tenants
# during the rotation and the number of non-2xx answers and transport
# failures among them (should be 0).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
tenants=1000
values=10
load_tenants=4
rate=200
duration=30
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --tenants) tenants="$2"; shift 2 ;;
    --values) values="$2"; shift 2 ;;
    --load-tenants) load_tenants="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--bin DIR] [--tenants N] [--values N] [--load-tenants N] [--rate R] [--duration S] [-- server flags]" >&2; exit 2 ;;
  esac
done

source "$here/lib.sh"
tkv_start rot --no-access-log "$@"
url="$(tkv_url rot)"
optok="$(tkv_optok rot)"
work="$tkv_work"
server_pid="${tkv_pids[0]}"
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }

# Each tenant: created, a write key, `values` values in one batch.
batch="{\"ops\":["
for k in $(seq 1 "$values"); do
  batch+="{\"op\":\"put\",\"key\":\"k$k\",\"value_b64\":\"$(head -c 100 /dev/urandom | base64 -w0)\"}"
  [ "$k" -lt "$values" ] && batch+=","
done
batch+="]}"
populate() {  # $1 = worker, $2 = workers: tenants i = $1 mod $2
  local i
  for i in $(seq "$1" "$2" "$tenants"); do
    tkv_admin rot POST /admin/v1/tenants "{\"id\":\"rot-$i\"}" >/dev/null
    tkv_key rot "rot-$i" write "$work/t$1.token"
    curl -sf -X POST -H "Authorization: Bearer $(cat "$work/t$1.token")" -H "Content-Type: application/json" \
      -d "$batch" "$url/v1/batch" >/dev/null
  done
}
start=$(date +%s.%N)
workers=()
for w in 1 2 3 4; do populate "$w" 4 & workers+=($!); done
for p in "${workers[@]}"; do wait "$p"; done
echo "populated $tenants tenants x $values values in $(calc "$(date +%s.%N) - $start") s"

specs=()
for i in $(seq 1 "$load_tenants"); do
  specs+=(--tenant "name=load-$i,rate=$rate,conns=2,mix=get:70/put:30,keys=1000,value=100")
done
"$bin/tenantkv-bench" --server "$url" --operator-token-file "$optok" --setup --duration 1 --quiet \
  "${specs[@]/rate=$rate/rate=1}" >/dev/null
load=()
for i in $(seq 1 "$load_tenants"); do
  tkv_unlimit rot "load-$i"
  tkv_key rot "load-$i" write "$work/load-$i.token"
  load+=(--tenant "name=load-$i,token_file=$work/load-$i.token,rate=$rate,conns=2,mix=get:70/put:30,keys=1000,value=100")
done

"$bin/tenantkv-bench" --server "$url" --duration "$duration" --warmup 1 --quiet "${load[@]}" >"$work/bench.txt" &
bench_pid=$!
sleep 3
t0=$(date +%s.%N)
answer="$(tkv_admin rot POST /admin/v1/master-key/rotate "{}")"
wall="$(calc "($(date +%s.%N) - $t0) * 1000")"
echo "rotation: $answer"
echo "rotation wall time: $wall ms (load running for ${duration} s from 2 s before it)"
wait "$bench_pid"
cat "$work/bench.txt"
# Report line columns: tenant weight target achieved ok 429 503 other transport unsent ...
bad="$(awk '$1 ~ /^load-/ {n += $6 + $7 + $8 + $9} END {print n + 0}' "$work/bench.txt")"
ok="$(awk '$1 ~ /^load-/ {n += $5} END {print n + 0}' "$work/bench.txt")"
echo "load during rotation: $ok ok, $bad non-2xx or failed"
tkv_admin rot GET /admin/v1/master-key
echo
echo "server RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status")"
[ "$bad" -eq 0 ]
