#!/usr/bin/env bash
# Side by side on one machine, in one run: nginx answering a fixed 100-byte
# body (what an HTTP server does here), the HTTP ceiling (a no-op server
# on tenantkv-server's own HTTP front and settings), the storage
# floor (that server making only tenantkv's RocksDB calls: a Get per GET, a
# Get and a write per PUT; see noop_server.cc), tenantkv, etcd
# 3.4 with auth and one prefix-restricted user per tenant (v3 JSON gateway),
# and PostgreSQL 15 with row-level security by tenant (pgbench). Same data
# everywhere: TENANTS tenants x KEYS keys of 100-byte values. Then the
# memory an idle tenant costs (RSS with IDLE more tenants, divided).
#
#   tools/bench/scripts/peers.sh [--bin build/bin] [--runs 3] [--duration 5] [--quick]
#       [--conns 64] [--tenants 8] [--keys 10000] [--idle-tenants 1000]
#       [--baseline-ref REF | --baseline-bin DIR]
#       [--no-nginx] [--no-etcd] [--no-postgres] [--no-memory] [--out FILE]
#
# --baseline-ref REF: tenantkv-server and tenantkv-noop-server as built from
# commit REF (baseline-build.sh: a separate tree and build dir outside the
# repository) are measured too, in the same alternating runs ("base-"
# rows: its ceiling, tenantkv, tenantkv --sync-writes), with the same load
# generator and the same set-up. --baseline-bin DIR uses binaries already
# built there.
#
# --quick: one run of each (default 3; the table shows medians). wrk -t2
# -cCONNS -dDURATION for HTTP, pgbench -cCONNS/TENANTS per tenant for
# PostgreSQL. Every server runs on 127.0.0.1 on a free port in a temp dir
# and is stopped by its PID when the script exits. The measurements of one
# run alternate between the systems, so a noisy machine hits them alike:
# compare the ratios within a run.
#
# Durability: etcd fsyncs its WAL before it acknowledges a write; tenantkv
# does so with --sync-writes (a second server, "tenantkv-sync"); the default
# tenantkv server does not fsync (a crash of the machine may lose the last
# writes, a crash of the process does not). PostgreSQL runs with
# synchronous_commit on (fsync per commit) and, separately, off.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../../build/bin"
runs=3
duration=5
conns=64
tenants=8
keys=10000
idle=1000
do_nginx=1
do_etcd=1
do_pg=1
base_ref=""
base_bin=""
do_mem=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --quick) runs=1; shift ;;
    --conns) conns="$2"; shift 2 ;;
    --tenants) tenants="$2"; shift 2 ;;
    --keys) keys="$2"; shift 2 ;;
    --idle-tenants) idle="$2"; shift 2 ;;
    --baseline-ref) base_ref="$2"; shift 2 ;;
    --baseline-bin) base_bin="$2"; shift 2 ;;
    --no-nginx) do_nginx=0; shift ;;
    --no-etcd) do_etcd=0; shift ;;
    --no-postgres) do_pg=0; shift ;;
    --no-memory) do_mem=0; shift ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin DIR] [--runs N] [--duration S] [--quick] [--conns C] [--tenants T] [--keys K] [--idle-tenants N] [--baseline-ref REF | --baseline-bin DIR] [--no-nginx] [--no-etcd] [--no-postgres] [--no-memory] [--out FILE]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed (free ports, etcd loading)" >&2; exit 2; }
pgbin=/usr/lib/postgresql/15/bin
[ "$do_nginx" = 0 ] || command -v nginx >/dev/null || { echo "nginx not found (apt-get install nginx-light, or --no-nginx)" >&2; exit 2; }
[ -z "$base_ref" ] || [ -z "$base_bin" ] || { echo "--baseline-ref and --baseline-bin exclude each other" >&2; exit 2; }
if [ -n "$base_ref" ]; then
  # The current build's type, so that both are compiled alike.
  base_bin="$("$here/baseline-build.sh" "$base_ref" \
    --build-type "$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$bin/../CMakeCache.txt" 2>/dev/null || true)" | tail -1)"
fi
if [ -n "$base_bin" ]; then
  for b in tenantkv-server tenantkv-noop-server; do
    [ -x "$base_bin/$b" ] || { echo "$base_bin/$b not found" >&2; exit 2; }
  done
fi
[ "$do_etcd" = 0 ] || command -v etcd >/dev/null || { echo "etcd not found (or --no-etcd)" >&2; exit 2; }
[ "$do_pg" = 0 ] || [ -x "$pgbin/postgres" ] || { echo "$pgbin/postgres not found (or --no-postgres)" >&2; exit 2; }
[ "$tenants" -ge 1 ] && [ "$conns" -ge "$tenants" ] || { echo "--conns must be >= --tenants >= 1" >&2; exit 2; }

source "$here/lib.sh"
work="$tkv_work"
chmod 711 "$work"  # PostgreSQL runs as its own user under it
results="$work/results.txt"
: >"$results"
log() { echo "[$(date +%T)] $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- measurement helpers -------------------------------------------------
# to_ms "1.23ms" -> 1.23
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }
# record LABEL RPS P99_MS ERRORS
record() {
  echo "$1 $2 $3 $4" >>"$results"
  printf "  %-22s %10.0f /s  p99 %8.2f ms%s\n" "$1" "$2" "$3" "$([ "$4" = 0 ] || echo "  ($4 errors)")" >&2
}
# wrk_run LABEL URL LUA [ENV=VALUE...]
wrk_run() {
  local label="$1" url="$2" lua="$3"
  shift 3
  env "$@" wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$lua" "$url" >"$work/wrk.txt" 2>&1 || true
  local rps p99 errs
  rps="$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")"
  p99="$(to_ms "$(awk '$1=="99%" {print $2}' "$work/wrk.txt")")"
  errs="$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$work/wrk.txt")"
  [ -n "$rps" ] || { cat "$work/wrk.txt" >&2; rps=0; }
  record "$label" "$rps" "$p99" "$errs"
}

# ---- the ceiling ---------------------------------------------------------
# start_noop NAME [flags]: the ceiling (no flags) or the storage floor
# (--storage-dir ...); its URL in $work/NAME.url. The binary is
# $noop_bin/tenantkv-noop-server ($bin unless set).
start_noop() {
  local name="$1"
  shift
  tkv_cap_args "${noop_bin:-$bin}/tenantkv-noop-server" 256
  "${noop_bin:-$bin}/tenantkv-noop-server" --listen 127.0.0.1:0 "${cap_args[@]}" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  tkv_pids+=($!)
  local _ url
  for _ in $(seq 1 600); do grep -q "listening on" "$work/$name.out" 2>/dev/null && break; sleep 0.1; done
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name.out" | head -1)"
  [ -n "$url" ] || { log "$name server did not start"; cat "$work/$name.err" >&2; exit 1; }
  echo "$url" >"$work/$name.url"
}

# ---- tenantkv ------------------------------------------------------------
# setup_tkv NAME [server flags]: TENANTS tenants t0.. with KEYS keys each,
# quotas out of the way (admission, scheduler, encryption all still on);
# their write keys, comma-separated, in $work/NAME.tokens.
setup_tkv() {
  local name="$1"
  shift
  tkv_cap_args "${tkv_server_bin:-$bin}/tenantkv-server" 256
  tkv_start "$name" --no-access-log "${cap_args[@]}" "$@"
  local specs=() i
  # Created and their quotas raised first: loading is not held to the
  # default plan's 500 requests/s (a batch costs one per op).
  for i in $(seq 0 $((tenants - 1))); do
    tkv_admin "$name" POST /admin/v1/tenants "{\"id\":\"t$i\"}" >/dev/null
    tkv_unlimit "$name" "t$i"
    specs+=(--tenant "name=t$i,rate=1,conns=1,mix=get:100,keys=$keys,value=100")
  done
  "$bin/tenantkv-bench" --server "$(tkv_url "$name")" --operator-token-file "$(tkv_optok "$name")" \
    --setup --duration 1 --quiet --setup-timeout 600 "${specs[@]}" >/dev/null
  local toks=()
  for i in $(seq 0 $((tenants - 1))); do
    tkv_key "$name" "t$i" write "$work/$name.t$i.token"
    toks+=("$(cat "$work/$name.t$i.token")")
  done
  (IFS=,; echo "${toks[*]}") >"$work/$name.tokens"
}
tkv_run() {  # LABEL NAME OP
  wrk_run "$1" "$(tkv_url "$2")" "$here/tenants-kv.lua" TOKENS="$(cat "$work/$2.tokens")" KEYS="$keys" OP="$3"
}

# ---- nginx ---------------------------------------------------------------
# The outside reference for what an HTTP server does on this machine:
# nginx answering every request (GET, PUT, any path) with `return 200` and
# the same 100-byte body as the ceiling, keep-alive for 10,000 requests per
# connection, one worker per core, no access log. Its request bodies are
# read and dropped, never written to a file.
nginx_url=""
setup_nginx() {
  local port d="$work/nginx"
  port="$(free_port)"
  mkdir -p "$d"
  nginx_url="http://127.0.0.1:$port"
  cat >"$d/nginx.conf" <<NGINX
worker_processes $(nproc);
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000;
  keepalive_timeout 60s;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port reuseport;
    default_type application/octet-stream;
    location / { return 200 "$(printf 'v%.0s' $(seq 1 100))"; }
  }
}
NGINX
  # In the foreground (daemon off), so $! is the master and stopping it by
  # its PID stops the workers; -e keeps the start-up log out of /var/log.
  nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" -g 'daemon off;' >"$d/out.log" 2>&1 &
  tkv_pids+=($!)
  local _ body
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$nginx_url/" 2>/dev/null && break; sleep 0.1; done
  body="$(curl -sf -X PUT --data-binary x "$nginx_url/v1/kv/k0")" || { log "nginx did not start"; cat "$d/error.log" "$d/out.log" >&2; exit 1; }
  [ "${#body}" = 100 ] || { log "nginx answers ${#body} bytes, expected 100"; exit 1; }
}
nginx_run() {  # LABEL OP
  wrk_run "$1" "$nginx_url" "$here/tenants-kv.lua" TOKENS="$(cat "$work/tkv.tokens")" KEYS="$keys" OP="$2"
}

# ---- etcd ----------------------------------------------------------------
etcd_url=""
setup_etcd() {
  local cport pport
  cport="$(free_port)"
  pport="$(free_port)"
  etcd_url="http://127.0.0.1:$cport"
  etcd --name bench --data-dir "$work/etcd" \
    --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "bench=http://127.0.0.1:$pport" --auth-token-ttl 3600 \
    --logger zap --log-outputs "$work/etcd.log" >/dev/null 2>&1 &
  tkv_pids+=($!)
  local _
  for _ in $(seq 1 100); do curl -sf "$etcd_url/health" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf "$etcd_url/health" >/dev/null || { log "etcd did not start"; tail "$work/etcd.log" >&2; exit 1; }
  local ctl=(etcdctl --endpoints "$etcd_url")
  "${ctl[@]}" user add root:rootpw --interactive=false >/dev/null
  "${ctl[@]}" role add root >/dev/null 2>&1 || true
  "${ctl[@]}" user grant-role root root >/dev/null
  local i
  for i in $(seq 0 $((tenants - 1))); do
    "${ctl[@]}" role add "t$i" >/dev/null
    "${ctl[@]}" role grant-permission "t$i" --prefix=true readwrite "/t$i/" >/dev/null
    "${ctl[@]}" user add "t$i:pw$i" --interactive=false >/dev/null
    "${ctl[@]}" user grant-role "t$i" "t$i" >/dev/null
  done
  "${ctl[@]}" auth enable >/dev/null
  # Keys written through the gateway by each tenant's own user, 100 puts
  # per transaction (etcd's default --max-txn-ops is 128); then the tokens,
  # and a check that a tenant cannot read another's prefix.
  python3 - "$etcd_url" "$tenants" "$keys" "$work/etcd.tokens" <<'PY'
import base64, json, sys, urllib.request, urllib.error
url, tenants, keys, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
b = lambda s: base64.b64encode(s.encode()).decode()
def call(path, body, token=None):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    if token: req.add_header("Authorization", token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())
tokens = []
value = b("v" * 100)
for t in range(tenants):
    tok = call("/v3/auth/authenticate", {"name": f"t{t}", "password": f"pw{t}"})["token"]
    tokens.append(tok)
    for start in range(0, keys, 100):
        ops = [{"requestPut": {"key": b(f"/t{t}/k{k}"), "value": value}} for k in range(start, min(keys, start + 100))]
        r = call("/v3/kv/txn", {"success": ops}, tok)
        assert r.get("succeeded", False), r
r = call("/v3/kv/range", {"key": b("/t0/k1")}, tokens[0])
assert r.get("count") == "1", r
if tenants > 1:
    try:
        call("/v3/kv/range", {"key": b("/t1/k1")}, tokens[0])
        sys.exit("etcd: tenant t0 could read t1's key: the roles are not in force")
    except urllib.error.HTTPError:
        pass
open(out, "w").write(",".join(tokens))
PY
}
etcd_run() {  # LABEL OP
  wrk_run "$1" "$etcd_url" "$here/etcd-kv.lua" TOKENS="$(cat "$work/etcd.tokens")" KEYS="$keys" OP="$2"
}

# ---- PostgreSQL ----------------------------------------------------------
pg_port=""
as_pg=()
setup_pg() {
  [ "$(id -u)" = 0 ] && as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
  mkdir -p "$work/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
  "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 >"$work/pg/initdb.log" 2>&1 ||
    { cat "$work/pg/initdb.log" >&2; exit 1; }
  pg_port="$(free_port)"
  "${as_pg[@]}" "$pgbin/postgres" -D "$work/pg/data" -p "$pg_port" -k "$work/pg" \
    -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on \
    >"$work/pg/server.log" 2>&1 &
  tkv_pids+=($!)
  local _
  for _ in $(seq 1 100); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.1; done
  "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { log "PostgreSQL did not start"; cat "$work/pg/server.log" >&2; exit 1; }
  # tenant is of type name, like current_user: a policy comparing it as
  # text (current_user::text) gets another collation than the index, and
  # every read would scan all of the tenant's index entries.
  {
    cat <<SQL
CREATE TABLE kv (tenant name NOT NULL, key text NOT NULL, value bytea NOT NULL, PRIMARY KEY (tenant, key));
ALTER TABLE kv ENABLE ROW LEVEL SECURITY;
ALTER TABLE kv FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON kv USING (tenant = current_user) WITH CHECK (tenant = current_user);
INSERT INTO kv SELECT 't' || t, 'k' || k, convert_to(repeat('v', 100), 'UTF8')
  FROM generate_series(0, $((tenants - 1))) t, generate_series(0, $((keys - 1))) k;
SQL
    local i
    for i in $(seq 0 $((tenants - 1))); do
      echo "CREATE ROLE t$i LOGIN NOSUPERUSER NOBYPASSRLS; GRANT SELECT, INSERT, UPDATE ON kv TO t$i;"
    done
    echo "VACUUM ANALYZE kv; CHECKPOINT;"
  } | psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres >/dev/null
  local seen
  seen="$(psql -tAq -h 127.0.0.1 -p "$pg_port" -U t0 -d postgres -c "SELECT count(*), count(*) FILTER (WHERE tenant <> 't0') FROM kv")"
  [ "$seen" = "$keys|0" ] || { log "PostgreSQL: tenant t0 sees '$seen' rows, expected only its $keys: RLS not in force"; exit 1; }
}
# pg_run LABEL SCRIPT SYNCHRONOUS_COMMIT: one pgbench per tenant (its own
# role), CONNS/TENANTS connections each, at the same time; transactions/s
# summed, p99 over all transactions' latencies.
pg_run() {
  local label="$1" script="$2" sc="$3" per=$((conns / tenants)) i pids=()
  rm -f "$work"/pglog.*
  for i in $(seq 0 $((tenants - 1))); do
    PGOPTIONS="-c synchronous_commit=$sc" pgbench -n -M prepared -h 127.0.0.1 -p "$pg_port" -U "t$i" \
      -c "$per" -j 1 -T "$duration" -D keys="$keys" -f "$here/$script" -l --log-prefix="$work/pglog.$i" postgres \
      >"$work/pgbench.$i.txt" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  local tps p99 errs
  tps="$(cat "$work"/pgbench.*.txt | awk '/^tps = / {s += $3} END {printf "%.1f", s}')"
  errs="$(cat "$work"/pgbench.*.txt | awk '/number of failed transactions/ {s += $5} /aborted/ {s += 1} END {print s + 0}')"
  p99="$(cat "$work"/pglog.* | awk '{print $3}' | sort -n | awk '{a[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f", a[i] / 1000}')"
  record "$label" "$tps" "$p99" "$errs"
}

# ---- set-up --------------------------------------------------------------
log "setting up: no-op ceiling, storage floor, tenantkv, tenantkv --sync-writes ($tenants tenants x $keys keys)"
start_noop noop
start_noop floor --storage-dir "$work/floor" --column-families "$tenants" --keys "$keys"
setup_tkv tkv
setup_tkv tkvsync --sync-writes
if [ -n "$base_bin" ]; then
  log "setting up the baseline from $base_bin: its ceiling, tenantkv, tenantkv --sync-writes"
  noop_bin="$base_bin" start_noop basenoop
  tkv_server_bin="$base_bin" setup_tkv base
  tkv_server_bin="$base_bin" setup_tkv basesync --sync-writes
fi
if [ "$do_nginx" = 1 ]; then log "setting up $(nginx -v 2>&1 | cut -d' ' -f3) ($(nproc) workers, return 200)"; setup_nginx; fi
if [ "$do_etcd" = 1 ]; then log "setting up etcd $(etcd --version | awk '/etcd Version/ {print $3}') with auth"; setup_etcd; fi
if [ "$do_pg" = 1 ]; then log "setting up PostgreSQL 15 with row-level security"; setup_pg; fi
noop_run() {  # LABEL NAME OP (NAME: noop or floor)
  wrk_run "$1" "$(cat "$work/$2.url")" "$here/tenants-kv.lua" TOKENS="$(cat "$work/tkv.tokens")" KEYS="$keys" OP="$3"
}

# ---- the runs ------------------------------------------------------------
for run in $(seq 1 "$runs"); do
  log "run $run of $runs (wrk -t2 -c$conns -d${duration}s)"
  [ "$do_nginx" = 1 ] && nginx_run nginx-get get
  noop_run ceiling-get noop get
  [ -n "$base_bin" ] && noop_run base-ceiling-get basenoop get
  noop_run floor-get floor get
  tkv_run tkv-get tkv get
  [ -n "$base_bin" ] && tkv_run base-tkv-get base get
  [ "$do_etcd" = 1 ] && etcd_run etcd-get get
  [ "$do_pg" = 1 ] && pg_run pg-get pg-get.sql on
  [ "$do_nginx" = 1 ] && nginx_run nginx-put put
  noop_run ceiling-put noop put
  [ -n "$base_bin" ] && noop_run base-ceiling-put basenoop put
  noop_run floor-put floor put
  tkv_run tkv-put tkv put
  [ -n "$base_bin" ] && tkv_run base-tkv-put base put
  tkv_run tkvsync-put tkvsync put
  [ -n "$base_bin" ] && tkv_run base-tkvsync-put basesync put
  [ "$do_etcd" = 1 ] && etcd_run etcd-put put
  [ "$do_pg" = 1 ] && pg_run pg-put-sync pg-put.sql on
  [ "$do_pg" = 1 ] && pg_run pg-put-async pg-put.sql off
  tkv_run tkv-mix tkv mix
  tkv_run tkv-batch tkv batch
  tkv_run tkvsync-batch tkvsync batch
done

# ---- idle tenant memory --------------------------------------------------
mem_line=""
if [ "$do_mem" = 1 ]; then
  log "idle tenants: RSS before and after creating $idle tenants"
  tkv_start mem --no-access-log
  mem_pid="${tkv_pids[${#tkv_pids[@]} - 1]}"
  spares() { tkv_admin mem GET /metrics | awk '$1=="tenantkv_cf_pool_spares" {print $2 + 0}'; }
  settle() {  # waits (at most 120 s) until the spare pool's size has not changed for 3 s
    local _ prev=-1 cur same=0
    for _ in $(seq 1 120); do
      cur="$(spares)"
      if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
      [ "$same" -ge 3 ] && break
      prev="$cur"
      sleep 1
    done
  }
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$mem_pid/status"; }
  settle
  before="$(rss)"
  t0=$(date +%s)
  seq 1 "$idle" | xargs -P 4 -I{} curl -sf -o /dev/null -X POST \
    -H "Authorization: Bearer $(cat "$(tkv_optok mem)")" -H "Content-Type: application/json" \
    -d '{"id":"idle-{}"}' "$(tkv_url mem)/admin/v1/tenants"
  t1=$(date +%s)
  settle
  after="$(rss)"
  mem_line="$(awk -v b="$before" -v a="$after" -v n="$idle" -v s="$((t1 - t0))" 'BEGIN {printf "RSS %d KB -> %d KB with %d idle tenants (created in %d s): %.1f KB per idle tenant", b, a, n, s, (a - b) / n}')"
  log "  $mem_line"
fi

# ---- the table -----------------------------------------------------------
median_of() {  # LABEL COLUMN(2=rps,3=p99)
  awk -v l="$1" -v c="$2" '$1==l {print $c}' "$results" | sort -g |
    awk '{a[NR]=$1} END {if (NR == 0) print ""; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
errors_of() { awk -v l="$1" '$1==l {s += $4} END {print s + 0}' "$results"; }
# pair_ratio LABEL REF: "rate ratio, p99 ratio" of the medians, or "" when
# either is missing or REF is LABEL itself.
pair_ratio() {
  [ "$1" != "$2" ] || { echo "-"; return 0; }
  awk -v r="$(median_of "$1" 2)" -v p="$(median_of "$1" 3)" -v cr="$(median_of "$2" 2)" -v cp="$(median_of "$2" 3)" \
    'BEGIN {if (r != "" && cr > 0 && cp > 0) printf "%.2f, %.2fx", r / cr, p / cp; else printf "-"}'
}
{
  echo "### peers.sh: $runs run(s), wrk -t2 -c$conns -d${duration}s, $tenants tenants x $keys keys, 100-byte values"
  [ -n "$base_bin" ] && echo && echo "base-: the baseline build in $base_bin${base_ref:+ (commit $(git -C "$here" rev-parse --short=12 "$base_ref^{commit}"))}"
  echo
  echo "| measurement | median /s | median p99 ms | errors | ratio to its ceiling (rate, p99) | ratio to nginx (rate, p99) |"
  echo "|---|---|---|---|---|---|"
  for l in nginx-get ceiling-get base-ceiling-get floor-get tkv-get base-tkv-get etcd-get pg-get \
           nginx-put ceiling-put base-ceiling-put floor-put tkv-put base-tkv-put tkvsync-put base-tkvsync-put \
           etcd-put pg-put-sync pg-put-async tkv-mix tkv-batch tkvsync-batch; do
    r="$(median_of "$l" 2)"
    [ -n "$r" ] || continue
    p="$(median_of "$l" 3)"
    case "$l" in *-get) kind="get" ;; *) kind="put" ;; esac
    # A baseline row is compared with the baseline's own ceiling; nginx
    # has no ceiling of ours.
    case "$l" in
      nginx-*) c="$l" ;;
      base-*) c="base-ceiling-$kind" ;;
      *) c="ceiling-$kind" ;;
    esac
    ratio="$(pair_ratio "$l" "$c")"
    to_nginx="$(pair_ratio "$l" "nginx-$kind")"
    case "$l" in
      *-batch) ratio="$(awk -v r="$r" 'BEGIN {printf "%.0f values/s", r * 100}')"; to_nginx="-" ;;
    esac
    printf "| %s | %.0f | %.2f | %s | %s | %s |\n" "$l" "$r" "$p" "$(errors_of "$l")" "$ratio" "$to_nginx"
  done
  echo
  ratio_line() {  # TEXT A B
    local a b
    a="$(median_of "$2" 2)"
    b="$(median_of "$3" 2)"
    [ -n "$a" ] && [ -n "$b" ] && awk -v t="$1" -v a="$a" -v b="$b" 'BEGIN {printf "- %s: %.2fx\n", t, a / b}'
    return 0
  }
  ratio_line "tenantkv GET / nginx GET" tkv-get nginx-get
  ratio_line "tenantkv PUT / nginx PUT" tkv-put nginx-put
  ratio_line "ceiling GET / nginx GET" ceiling-get nginx-get
  ratio_line "tenantkv GET / storage floor GET" tkv-get floor-get
  ratio_line "tenantkv PUT / storage floor PUT" tkv-put floor-put
  ratio_line "tenantkv GET / etcd GET" tkv-get etcd-get
  ratio_line "tenantkv --sync-writes PUT / etcd PUT (both fsync)" tkvsync-put etcd-put
  ratio_line "tenantkv PUT (no fsync) / etcd PUT" tkv-put etcd-put
  ratio_line "tenantkv GET / PostgreSQL-RLS read" tkv-get pg-get
  ratio_line "tenantkv --sync-writes PUT / PostgreSQL-RLS write, synchronous_commit on" tkvsync-put pg-put-sync
  ratio_line "tenantkv PUT (no fsync) / PostgreSQL-RLS write, synchronous_commit off" tkv-put pg-put-async
  ratio_line "tenantkv GET / baseline tenantkv GET" tkv-get base-tkv-get
  ratio_line "tenantkv PUT / baseline tenantkv PUT" tkv-put base-tkv-put
  ratio_line "tenantkv --sync-writes PUT / baseline --sync-writes PUT" tkvsync-put base-tkvsync-put
  ratio_line "ceiling GET / baseline ceiling GET" ceiling-get base-ceiling-get
  [ -n "$mem_line" ] && echo "- $mem_line"
  echo
  # The data-path targets of issue 15, from the medians above (a ratio of
  # medians; per-run ratios are in the lines below).
  target_line() {  # TEXT A B COLUMN(2=rate,3=p99) ge|le TARGET
    local a b
    a="$(median_of "$2" "$4")"
    b="$(median_of "$3" "$4")"
    [ -n "$a" ] && [ -n "$b" ] || return 0
    awk -v t="$1" -v a="$a" -v b="$b" -v op="$5" -v x="$6" 'BEGIN {
      v = b > 0 ? a / b : 0
      met = (op == "ge") ? v >= x : v <= x
      printf "- %s: %.2fx (target %s %.1fx: %s)\n", t, v, op == "ge" ? ">=" : "<=", x, met ? "met" : "NOT met" }'
  }
  echo "targets (issue 15):"
  target_line "GET / nginx GET" tkv-get nginx-get 2 ge 0.6
  target_line "GET / baseline GET" tkv-get base-tkv-get 2 ge 1.5
  target_line "durable PUT / baseline durable PUT" tkvsync-put base-tkvsync-put 2 ge 1.4
  target_line "durable PUT / etcd PUT" tkvsync-put etcd-put 2 ge 3
  target_line "GET / PostgreSQL-RLS read" tkv-get pg-get 2 ge 1.2
  target_line "GET p99 / ceiling GET p99" tkv-get ceiling-get 3 le 2
  target_line "PUT p99 / ceiling PUT p99" tkv-put ceiling-put 3 le 2
  echo
  echo "per run (label rate p99_ms errors):"
  sed 's/^/    /' "$results"
} | tee ${out:+"$out"}
