#!/usr/bin/env bash
# Quota accuracy on the standard plan (500 requests/s, burst 1000; reads
# 20 MiB/s, burst 40 MiB; writes 10 MiB/s, burst 20 MiB): each tenant asks
# for about twice its quota; tenantkv-bench prints, per 1 s window, the
# requests served and the value bytes read and written. The warm-up spends
# the burst, so the measured windows show the sustained rate.
# Loopback only; the server started here is stopped by its PID.
#
#   tools/bench/scripts/quota-accuracy.sh [--bin build/bin] [--runs 3] [--duration 20]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=20
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin DIR] [--runs N] [--duration S]" >&2; exit 2 ;;
  esac
done

source "$here/lib.sh"
tkv_start qa --no-access-log
url="$(tkv_url qa)"
optok="$(tkv_optok qa)"
work="$tkv_work"

run() {  # label warmup spec...
  local label="$1" warmup="$2"
  shift 2
  "$bin/tenantkv-bench" --server "$url" --operator-token-file "$optok" --setup --quiet \
    --warmup "$warmup" --duration "$duration" --timeout 30 --tenant "$@" >"$work/report.txt"
  echo "$label"
  awk '$1 ~ /^q(rate|read|write)[0-9]+$/ {printf "  achieved %s/s ok %s 429 %s 503 %s\n", $4, $5, $6, $7} /^per second/ {print "  " $0}' "$work/report.txt"
}

for i in $(seq 1 "$runs"); do
  echo "== run $i"
  # Each run uses fresh tenants, so every run starts with a full burst.
  run "requests_per_sec 500 (1,000/s asked)" 3 "name=qrate$i,rate=1000,conns=8,mix=get:100,keys=1000,value=100"
  run "read_bytes_per_sec 20 MiB (10 MB scans, 4/s asked)" 5 \
    "name=qread$i,rate=4,conns=4,mix=scan:1,keys=1000,value=10240,scan=1000"
  run "write_bytes_per_sec 10 MiB (100 KiB puts, 20 MB/s asked)" 5 \
    "name=qwrite$i,rate=200,conns=8,mix=put:100,keys=100,value=102400"
done
