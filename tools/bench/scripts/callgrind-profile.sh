#!/usr/bin/env bash
# Instructions per request of tenantkv-server (and of the no-op ceiling)
# under valgrind's callgrind, which counts instructions deterministically,
# so the figures do not depend on how busy the machine is. One tenant with
# 1,000 keys of 100 bytes; wrk drives each operation for a few seconds on 4
# connections while instrumentation is on; the profile of each operation is
# dumped to its own file for callgrind_annotate. Loopback only; the servers
# started here are stopped by their PIDs.
#
#   tools/bench/scripts/callgrind-profile.sh [--bin build/bin] [--out DIR] [--ops get,put,batch]
#       [--duration 5] [-- server flags...]
#
# Prints, per operation: requests served while profiled, instructions per
# request, and the top functions by inclusive cost (our code and the
# libraries); the full profiles stay in DIR (default a new temp dir).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
out=""
ops="get,put,batch"
duration=5
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--bin DIR] [--out DIR] [--ops get,put,batch] [--duration S] [-- server flags]" >&2; exit 2 ;;
  esac
done
for t in valgrind callgrind_control callgrind_annotate wrk; do
  command -v "$t" >/dev/null || { echo "$t is needed (apt-get install valgrind wrk)" >&2; exit 2; }
done
[ -n "$out" ] || out="$(mktemp -d /tmp/tkv-callgrind.XXXXXX)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

# start NAME CMD...: under callgrind with instrumentation off; sets $url, $pid.
start() {
  local name="$1"
  shift
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/$name.%p" "$@" \
    >"$out/$name.out" 2>"$out/$name.err" &
  pid=$!
  pids+=("$pid")
  local _
  for _ in $(seq 1 1200); do grep -q "listening on" "$out/$name.out" 2>/dev/null && break; sleep 0.5; done
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$out/$name.out" | head -1)"
  [ -n "$url" ] || { echo "$name did not start" >&2; cat "$out/$name.err" >&2; exit 1; }
}
# profile NAME OP: instrumentation on, wrk, off, dump; prints the summary.
profile() {
  local name="$1" op="$2"
  callgrind_control -i on "$pid" >/dev/null
  TOKENS="$token" KEYS=1000 OP="$op" wrk -t1 -c4 -d"${duration}s" -s "$here/tenants-kv.lua" "$url" >"$out/$name.$op.wrk"
  callgrind_control -i off "$pid" >/dev/null
  callgrind_control -d "$op" "$pid" >/dev/null
  local file reqs total
  file="$(grep -l "^desc: Trigger: .* $op\$" "$out/$name".[0-9]*.[0-9]* | tail -1)"
  reqs="$(awk '/requests in/ {print $1}' "$out/$name.$op.wrk")"
  total="$(awk '/^totals:/ {print $2}' "$file")"
  awk -v n="$name" -v o="$op" -v r="$reqs" -v t="$total" \
    'BEGIN {printf "%s %s: %d requests, %.0f instructions per request (%s)\n", n, o, r, t / r, "'"$file"'"}'
  callgrind_annotate --inclusive=yes "$file" 2>/dev/null |
    grep -E 'tenantkv::(server|engine|crypto)::|rocksdb::DBImpl::(Get|Write)\(|httplib::Server::process_request|nlohmann.*parse\(' |
    awk -v r="$reqs" '{n = $1; gsub(/,/, "", n); line = $0; sub(/^ *[0-9,]+ *\( *[0-9.]+%\) */, "", line);
      sub(/^[^:]*:/, "", line); sub(/ \[.*$/, "", line); if (!seen[line]++) printf "  %8.0f  %s\n", n / r, line}' |
    head -25 | cut -c1-170 || true
}

start tenantkv "$bin/tenantkv-server" --data-dir "$out/data" --listen 127.0.0.1:0 --log-level warn \
  --no-access-log --spare-column-families 4 "$@"
"$bin/tenantkv-bench" --server "$url" --operator-token-file "$out/data/operator.token" --setup --duration 1 \
  --quiet --setup-timeout 600 --tenant "name=t0,rate=1,conns=1,mix=get:100,keys=1000,value=100" >/dev/null
optok="$(cat "$out/data/operator.token")"
curl -sf -X PUT -H "Authorization: Bearer $optok" -H "Content-Type: application/json" \
  -d '{"requests_per_sec":1000000,"burst_requests":1000000,"max_concurrent":1024,"read_bytes_per_sec":10000000000,"burst_read_bytes":10000000000,"write_bytes_per_sec":10000000000,"burst_write_bytes":10000000000}' \
  "$url/admin/v1/tenants/t0/quota" >/dev/null
token="$(curl -sf -X POST -H "Authorization: Bearer $optok" -H "Content-Type: application/json" \
  -d '{"role":"write"}' "$url/admin/v1/tenants/t0/apikeys" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)"
TOKENS="$token" KEYS=1000 OP=get wrk -t1 -c4 -d2s -s "$here/tenants-kv.lua" "$url" >/dev/null  # warm-up
for op in ${ops//,/ }; do profile tenantkv "$op"; done
kill "$pid"; wait "$pid" 2>/dev/null || true

start noop "$bin/tenantkv-noop-server" --listen 127.0.0.1:0
for op in ${ops//,/ }; do [ "$op" = batch ] || profile noop "$op"; done
echo "profiles in $out (callgrind_annotate --inclusive=yes FILE)"
