#!/usr/bin/env bash
# Rotation latency: what background re-encryption costs the tenant whose
# data key is rotated. A tenant with 100,000 values (100 bytes) is read at a
# fixed GET rate; its p99 is measured without re-encryption, then right
# after POST .../keys/rotate while the job re-seals every value. Prints
# both p99s and their ratio (target: at most 1.5), how long the
# re-encryption took, and checks afterwards that no value is left on the
# old version (destroyed, 0 values). Loopback only; the server started here
# is stopped by its PID.
#
#   tools/bench/scripts/rotation-latency.sh [--bin build/bin] [--values 100000] [--rate 500]
#       [--duration 10] [-- server flags...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
values=100000
rate=500
duration=10
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --values) values="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--bin DIR] [--values N] [--rate R] [--duration S] [-- server flags]" >&2; exit 2 ;;
  esac
done

source "$here/lib.sh"
tkv_start rot --no-access-log "$@"
url="$(tkv_url rot)"
optok="$(tkv_optok rot)"
work="$tkv_work"
tenant=rotbench

tkv_admin rot POST /admin/v1/tenants "{\"id\":\"$tenant\"}" >/dev/null
tkv_unlimit rot "$tenant"
spec="name=$tenant,rate=$rate,conns=4,mix=get:100,keys=$values,value=100"
echo "loading $values values..."
"$bin/tenantkv-bench" --server "$url" --operator-token-file "$optok" --setup --setup-timeout 600 \
  --duration 1 --quiet --tenant "${spec/rate=$rate/rate=1}" >/dev/null
tkv_key rot "$tenant" read "$work/read.token"

keys_json() { tkv_admin rot GET "/admin/v1/tenants/$tenant/keys"; }
p99() {  # runs the GET load for $duration s; prints the tenant's p99 (ms)
  "$bin/tenantkv-bench" --server "$url" --duration "$duration" --warmup "${1:-2}" --quiet \
    --tenant "$spec,token_file=$work/read.token" >"$work/report.txt"
  # Report columns: tenant weight target achieved ok 429 503 other transport unsent p50 p90 p99 ...
  awk -v n="$tenant" '$1==n {print $13}' "$work/report.txt"
}
show() { awk -v n="$tenant" -v label="$1" '$1==n {printf "%-28s achieved %6s/s  ok %7s  p50 %6s  p99 %6s  p99.9 %6s ms\n", label, $4, $5, $11, $13, $14}' "$work/report.txt"; }

before="$(p99 2)"
show "GET without re-encryption"
start_ns="$(date +%s%N)"
tkv_admin rot POST "/admin/v1/tenants/$tenant/keys/rotate" "{}" >/dev/null
during="$(p99 0)"
show "GET during re-encryption"
if ! keys_json | grep -q '"reencrypting":true'; then
  echo "warning: re-encryption ended before the measurement did (part of it ran without)"
fi
for _ in $(seq 1 6000); do
  keys_json | grep -q '"reencrypting":false' && break
  sleep 0.1
done
end_ns="$(date +%s%N)"
final="$(keys_json)"
echo "$final" | grep -q '"reencrypting":false' || { echo "re-encryption did not finish within 10 minutes" >&2; exit 1; }

awk -v b="$before" -v d="$during" -v s="$start_ns" -v e="$end_ns" -v n="$values" 'BEGIN {
  printf "p99 without %.3f ms, during %.3f ms, ratio %.2f (target <= 1.5)\n", b, d, (b > 0 ? d / b : 0)
  printf "re-encryption of %d values took %.1f s\n", n, (e - s) / 1e9
}'
# Version 1 must be destroyed with no value left on it, every value on version 2.
v1="$(echo "$final" | grep -o '{[^{}]*}' | grep '"version":1[,}]' | head -1)"
v2="$(echo "$final" | grep -o '{[^{}]*}' | grep '"version":2[,}]' | head -1)"
echo "version 1: $v1"
echo "version 2: $v2"
echo "$v1" | grep -q '"state":"destroyed"' && echo "$v1" | grep -q '"values":0[,}]' &&
  echo "$v2" | grep -q "\"values\":$values[,}]" || { echo "FAIL: values left on the old version" >&2; exit 1; }
echo "ok: no value left on the old version"
