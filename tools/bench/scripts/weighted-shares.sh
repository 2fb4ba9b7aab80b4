#!/usr/bin/env bash
# Weighted shares: four tenants with quota weights 1:2:3:4 saturate the node
# (closed loop, the same op mix each); prints each tenant's achieved rate,
# its share of the total against weight/10, and Jain's index over
# rate/weight. Loopback only; the server started here is stopped by its PID.
#
#   tools/bench/scripts/weighted-shares.sh [--bin build/bin] [--runs 3] [--duration 20]
#       [--conns 8] [--mix get:100] [--value 100] [--scan 100] [-- server flags...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=20
conns=8
mix="get:100"
value=100
scan=100
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --conns) conns="$2"; shift 2 ;;
    --mix) mix="$2"; shift 2 ;;
    --value) value="$2"; shift 2 ;;
    --scan) scan="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--bin DIR] [--runs N] [--duration S] [--conns C] [--mix M] [--value B] [--scan L] [-- server flags]" >&2; exit 2 ;;
  esac
done

source "$here/lib.sh"
tkv_cap_args "$bin/tenantkv-server" 256
tkv_start ws --no-access-log "${cap_args[@]}" "$@"
url="$(tkv_url ws)"
optok="$(tkv_optok ws)"
work="$tkv_work"

specs=()
for w in 1 2 3 4; do
  specs+=(--tenant "name=w$w,rate=1,conns=1,mix=get:100,keys=1000,value=$value")
done
"$bin/tenantkv-bench" --server "$url" --operator-token-file "$optok" --setup --duration 1 --quiet "${specs[@]}" >/dev/null
specs=()
for w in 1 2 3 4; do
  # Rates and bytes out of the way: what is measured is the scheduler's
  # split of a saturated node by weight.
  tkv_unlimit ws "w$w" "\"weight\":$w,\"max_queue_ms\":10000"
  tkv_key ws "w$w" write "$work/w$w.token"
  specs+=(--tenant "name=w$w,token_file=$work/w$w.token,rate=0,conns=$conns,mix=$mix,keys=1000,value=$value,scan=$scan,weight=$w")
done

for run in $(seq 1 "$runs"); do
  "$bin/tenantkv-bench" --server "$url" --duration "$duration" --warmup 3 --quiet "${specs[@]}" >"$work/report.txt"
  awk -v run="$run" '
    $1 ~ /^w[1-4]$/ { name[$1] = $1; rate[$1] = $4; e429[$1] = $6; e503[$1] = $7; total += $4 }
    /Jain/ { jain = $NF }
    END {
      printf "run %d: total %.1f/s, Jain %s\n", run, total, jain
      for (w = 1; w <= 4; w++) {
        n = "w" w
        printf "  %s weight %d: %9.1f/s  share %5.1f%% (target %d%%)  429 %s  503 %s\n", n, w, rate[n], 100 * rate[n] / total, 10 * w, e429[n], e503[n]
      }
    }' "$work/report.txt"
done
