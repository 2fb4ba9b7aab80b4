#!/usr/bin/env bash
# A tenantkv cluster on one machine: a real etcd and three nodes on
# 127.0.0.1, one operator token. Measured in alternating runs, so that a
# noisy machine hits every row alike:
#   direct-get/put     wrk against n1 for tenants n1 holds;
#   forwarded-get/put  the same tenants through n2, which passes every
#                      request on to n1 (one hop);
#   (direct and forwarded rows also give the CPU time n1 and n2 spent per
#   request answered, from /proc: what a hop costs the forwarding node
#   against what serving costs the owner);
#   one-node-get/put   wrk against n1 alone for its tenants (the other two
#                      nodes idle), with CONNS connections;
#   three-nodes-get/put three wrk at once, one per node, each for the tenants
#                      that node holds, CONNS/3 connections each: the
#                      aggregate of the cluster on this machine.
# The table has the medians and the ratios forwarded/direct and
# three-nodes/one-node. The machine's cores bound the last: three nodes and
# three load generators share them (nproc below), so it is a measure of
# the cluster's overhead here, not of scaling.
# Then (unless --moves 0) node-move.py against the same cluster: a tenant
# of MOVE_VALUES values moved MOVES times round n1 -> n2 -> n3 under two
# writers sending through n3; its table (each move's write pause and total
# time, every acknowledged write read back through each node) is appended
# to the output, and a failed move or a lost write fails the script.
#
#   tools/bench/scripts/cluster.sh [--bin build/bin] [--runs 3] [--duration 5]
#       [--conns 63] [--tenants 3] [--keys 10000] [--moves 10]
#       [--move-values 100000] [--out FILE]
#   TKV_NODE_ARGS="--cluster-forward-io-threads 2" adds flags to every node.
#
# Loopback only; every process started here (etcd, the nodes, wrk) is
# stopped by its PID when the script exits.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=5
conns=63
tenants=3
keys=10000
moves=10
move_values=100000
out=""
usage="usage: $0 [--bin DIR] [--runs N] [--duration S] [--conns C] [--tenants T] [--keys K] [--moves N] [--move-values V] [--out FILE]"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --conns) conns="$2"; shift 2 ;;
    --tenants) tenants="$2"; shift 2 ;;
    --keys) keys="$2"; shift 2 ;;
    --moves) moves="$2"; shift 2 ;;
    --move-values) move_values="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
command -v etcd >/dev/null || { echo "etcd is needed (apt-get install etcd-server)" >&2; exit 2; }
[ "$conns" -ge 3 ] || { echo "--conns must be at least 3" >&2; exit 2; }

source "$here/lib.sh"
work="$tkv_work"
results="$work/results.txt"
cpu_results="$work/cpu.txt"
: >"$results"
: >"$cpu_results"
log() { echo "[$(date +%T)] $*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- etcd ------------------------------------------------------------------
etcd_port="$(free_port)"
etcd_peer="$(free_port)"
etcd --name bench --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "bench=http://127.0.0.1:$etcd_peer" >"$work/etcd.log" 2>&1 &
tkv_pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q true && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$etcd_port/health" | grep -q true || { echo "etcd did not start" >&2; exit 1; }

# ---- the nodes ---------------------------------------------------------------
token_file="$work/operator.token"
python3 -c 'import secrets; print(secrets.token_hex(32))' >"$token_file"
chmod 600 "$token_file"
for n in n1 n2 n3; do
  port="$(free_port)"
  tkv_start "$n" --no-access-log --listen "127.0.0.1:$port" --cluster-etcd "http://127.0.0.1:$etcd_port" \
    --node-id "$n" --advertise-url "http://127.0.0.1:$port" --operator-token-file "$token_file" \
    ${TKV_NODE_ARGS:-}
done
op() { cat "$token_file"; }
admin() {  # NODE METHOD PATH [JSON]
  curl -sf -X "$2" -H "Authorization: Bearer $(op)" -H "Content-Type: application/json" ${4:+-d "$4"} \
    "$(tkv_url "$1")$3"
}

# Each node holds TENANTS tenants (<node>-t<i>), with KEYS keys of 100
# bytes each; their quotas are out of the way (admission still runs).
for n in n1 n2 n3; do
  specs=()
  for i in $(seq 0 $((tenants - 1))); do
    t="$n-t$i"
    admin n1 POST /admin/v1/tenants "{\"id\":\"$t\",\"node\":\"$n\"}" >/dev/null
    admin n1 PUT "/admin/v1/tenants/$t/quota" \
      '{"requests_per_sec":1000000,"burst_requests":1000000,"max_concurrent":1024,"read_bytes_per_sec":10000000000,"burst_read_bytes":10000000000,"write_bytes_per_sec":10000000000,"burst_write_bytes":10000000000}' >/dev/null
    specs+=(--tenant "name=$t,rate=1,conns=1,mix=get:100,keys=$keys,value=100")
  done
  log "$n: loading $tenants tenants x $keys keys"
  "$bin/tenantkv-bench" --server "$(tkv_url "$n")" --operator-token-file "$token_file" --setup --duration 1 \
    --quiet --setup-timeout 600 "${specs[@]}" >/dev/null
  toks=()
  for i in $(seq 0 $((tenants - 1))); do
    admin n1 POST "/admin/v1/tenants/$n-t$i/apikeys" '{"role":"write"}' |
      grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$work/$n-t$i.token"
    toks+=("$(cat "$work/$n-t$i.token")")
  done
  (IFS=,; echo "${toks[*]}") >"$work/$n.tokens"
done
# Every answer for n1's tenants through n2 must come from n1.
owner="$(curl -s -o /dev/null -D - -H "Authorization: Bearer $(cut -d, -f1 "$work/n1.tokens")" \
  "$(tkv_url n2)/v1/kv/k0" | awk -F': ' 'tolower($1) == "tenantkv-node" {print $2}' | tr -d '\r')"
[ "$owner" = n1 ] || { echo "a request through n2 was not served by n1 (Tenantkv-Node: '$owner')" >&2; exit 1; }

# ---- measuring ---------------------------------------------------------------
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }
# parse FILE: "RPS P99_MS ERRORS" of a wrk report.
parse() {
  local rps p99 errs
  rps="$(awk '/^Requests\/sec/ {print $2}' "$1")"
  p99="$(to_ms "$(awk '$1=="99%" {print $2}' "$1")")"
  errs="$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$1")"
  [ -n "$rps" ] || { cat "$1" >&2; rps=0; }
  echo "$rps $p99 $errs"
}
record() {  # LABEL RPS P99 ERRORS
  echo "$1 $2 $3 $4" >>"$results"
  printf "  %-18s %10.0f /s  p99 %8.2f ms%s\n" "$1" "$2" "$3" "$([ "$4" = 0 ] || echo "  ($4 errors)")" >&2
}
# The CPU time node N has used so far, in clock ticks: user and system.
hz="$(getconf CLK_TCK)"
pid_of() { case "$1" in n1) echo "${tkv_pids[1]}" ;; n2) echo "${tkv_pids[2]}" ;; n3) echo "${tkv_pids[3]}" ;; esac; }
cpu_ticks() { awk '{print $14, $15}' "/proc/$(pid_of "$1")/stat"; }
# one LABEL VIA_NODE TENANTS_OF OP CONNS: one wrk; also the CPU time n1
# and n2 spent per request answered (microseconds: user + system, then
# the system part), into $cpu_results.
one() {
  local c1 c2 reqs
  c1="$(cpu_ticks n1)"
  c2="$(cpu_ticks n2)"
  TOKENS="$(cat "$work/$3.tokens")" KEYS="$keys" OP="$4" \
    wrk -t2 -c"$5" -d"${duration}s" --latency -s "$here/tenants-kv.lua" "$(tkv_url "$2")" >"$work/wrk.txt" 2>&1 || true
  reqs="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
  echo "$1 $c1 $(cpu_ticks n1) $c2 $(cpu_ticks n2)" | awk -v r="${reqs:-0}" -v hz="$hz" \
    '{if (r > 0) { k = 1e6 / hz / r
                   printf "%s %.1f %.1f %.1f %.1f\n", $1, ($4 + $5 - $2 - $3) * k, ($8 + $9 - $6 - $7) * k,
                          ($5 - $3) * k, ($9 - $7) * k }}' >>"$cpu_results"
  # shellcheck disable=SC2046
  record "$1" $(parse "$work/wrk.txt")
}
# three LABEL OP: one wrk per node at once, each for its own tenants; the
# sum of the rates, the worst p99.
three() {
  local per=$((conns / 3)) n pids=()
  for n in n1 n2 n3; do
    TOKENS="$(cat "$work/$n.tokens")" KEYS="$keys" OP="$2" \
      wrk -t1 -c"$per" -d"${duration}s" --latency -s "$here/tenants-kv.lua" "$(tkv_url "$n")" >"$work/wrk.$n.txt" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  local sum=0 worst=0 errs=0 r
  for n in n1 n2 n3; do
    read -r -a r <<<"$(parse "$work/wrk.$n.txt")"
    sum="$(awk -v a="$sum" -v b="${r[0]}" 'BEGIN {print a + b}')"
    worst="$(awk -v a="$worst" -v b="${r[1]}" 'BEGIN {print (b > a) ? b : a}')"
    errs=$((errs + r[2]))
  done
  record "$1" "$sum" "$worst" "$errs"
}

for run in $(seq 1 "$runs"); do
  log "run $run of $runs (wrk -c$conns -d${duration}s; $(nproc) cores)"
  for opn in get put; do
    one "direct-$opn" n1 n1 "$opn" "$conns"
    one "forwarded-$opn" n2 n1 "$opn" "$conns"
    one "one-node-$opn" n1 n1 "$opn" "$conns"
    three "three-nodes-$opn" "$opn"
  done
done

# ---- the table ---------------------------------------------------------------
median_of() {  # LABEL COLUMN(2=rps,3=p99) [FILE]
  awk -v l="$1" -v c="$2" '$1==l {print $c}' "${3:-$results}" | sort -g |
    awk '{a[NR]=$1} END {if (NR == 0) print ""; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
errors_of() { awk -v l="$1" '$1==l {s += $4} END {print s + 0}' "$results"; }
ratio() {  # LABEL REF COLUMN
  awk -v a="$(median_of "$1" "$3")" -v b="$(median_of "$2" "$3")" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "-"}'
}
{
  echo "### cluster.sh: $runs run(s), wrk -c$conns -d${duration}s, 3 nodes x $tenants tenants x $keys keys, 100-byte values, $(nproc) cores"
  echo
  echo "| row | req/s (median) | p99 ms (median) | errors |"
  echo "|---|---|---|---|"
  for l in direct-get forwarded-get one-node-get three-nodes-get direct-put forwarded-put one-node-put three-nodes-put; do
    echo "| $l | $(median_of "$l" 2) | $(median_of "$l" 3) | $(errors_of "$l") |"
  done
  echo
  echo "| row | n1 CPU µs/request (median) | n2 CPU µs/request (median) | of which system: n1 | n2 |"
  echo "|---|---|---|---|---|"
  for l in direct-get forwarded-get direct-put forwarded-put; do
    echo "| $l | $(median_of "$l" 2 "$cpu_results") | $(median_of "$l" 3 "$cpu_results") | $(median_of "$l" 4 "$cpu_results") | $(median_of "$l" 5 "$cpu_results") |"
  done
  echo
  for opn in get put; do
    echo "- $opn: forwarded / direct = $(ratio "forwarded-$opn" "direct-$opn" 2) of the rate, p99 $(ratio "forwarded-$opn" "direct-$opn" 3)x; three nodes / one node = $(ratio "three-nodes-$opn" "one-node-$opn" 2) of the rate"
  done
} | tee ${out:+"$out"}

# ---- moves between nodes -----------------------------------------------------
if [ "$moves" -gt 0 ]; then
  log "moves: a tenant of $move_values values moved $moves times under writers (node-move.py)"
  rc=0
  timeout 1800 python3 "$here/node-move.py" --nodes "n1=$(tkv_url n1),n2=$(tkv_url n2),n3=$(tkv_url n3)" \
    --operator-token-file "$token_file" --moves "$moves" --values "$move_values" >"$work/node-move.txt" || rc=$?
  { echo; cat "$work/node-move.txt"; } | tee ${out:+-a "$out"}
  if [ "$rc" != 0 ]; then
    echo "node-move.py failed (exit $rc); the nodes' log lines that speak of moves:" >&2
    grep -hi move "$work"/n1.err "$work"/n2.err "$work"/n3.err >&2 || true
    exit 1
  fi
fi
