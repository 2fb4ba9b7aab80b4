# Shared by the benchmark scripts (source it after setting $bin): servers
# of our own on 127.0.0.1 port 0, each in a temp dir, all stopped by their
# PIDs when the script exits, and the admin calls the scripts make.

tkv_work="$(mktemp -d /tmp/tkv-bench.XXXXXX)"
tkv_pids=()
tkv_cleanup() {
  local p
  # A server's exit status after the signal must not end the loop (set -e
  # applies inside the trap): every PID is stopped.
  for p in "${tkv_pids[@]}"; do
    if kill "$p" 2>/dev/null; then wait "$p" 2>/dev/null || true; fi
  done
  rm -rf "$tkv_work"
}
trap tkv_cleanup EXIT

# tkv_start NAME [server flags...]: a server with its data in
# $tkv_work/NAME; its URL is then in $tkv_work/NAME.url, its operator
# token in $tkv_work/NAME/operator.token. The binary is
# $tkv_server_bin/tenantkv-server ($bin unless set, e.g. to a baseline
# build), started through the command in the array tkv_server_wrap if set
# (e.g. taskset -c 1): the wrapper execs the server, so the PID is the
# server's.
# A --listen among the flags replaces the default 127.0.0.1:0 (a cluster
# node advertises its address, so it must know it before it starts).
tkv_server_wrap=()
tkv_start() {
  local name="$1" listen=(--listen 127.0.0.1:0) a
  shift
  for a in "$@"; do [ "$a" = --listen ] && listen=(); done
  "${tkv_server_wrap[@]}" "${tkv_server_bin:-$bin}/tenantkv-server" --data-dir "$tkv_work/$name" "${listen[@]}" --log-level warn \
    "$@" >"$tkv_work/$name.out" 2>"$tkv_work/$name.err" &
  tkv_pids+=($!)
  local _
  for _ in $(seq 1 300); do
    grep -q "listening on" "$tkv_work/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  local url
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$tkv_work/$name.out" | head -1)"
  if [ -z "$url" ]; then
    echo "server $name did not start" >&2
    cat "$tkv_work/$name.err" >&2
    exit 1
  fi
  echo "$url" >"$tkv_work/$name.url"
}

tkv_url() { cat "$tkv_work/$1.url"; }
tkv_optok() { echo "$tkv_work/$1/operator.token"; }

# tkv_admin NAME METHOD PATH [JSON]: an operator call; prints the answer.
tkv_admin() {
  local name="$1" method="$2" path="$3" body="${4:-}"
  curl -sf -X "$method" -H "Authorization: Bearer $(cat "$(tkv_optok "$name")")" \
    -H "Content-Type: application/json" ${body:+-d "$body"} "$(tkv_url "$name")$path"
}

# tkv_create NAME TENANT [TIER]: creates TENANT on server NAME, in TIER if
# given (pooled, column_family), and fails unless the tenant reports it.
tkv_create() {
  local name="$1" tenant="$2" tier="${3:-}"
  tkv_admin "$name" POST /admin/v1/tenants "{\"id\":\"$tenant\"${tier:+,\"tier\":\"$tier\"}}" >/dev/null
  if [ -n "$tier" ]; then
    tkv_admin "$name" GET "/admin/v1/tenants/$tenant" | grep -q "\"tier\":\"$tier\"" ||
      { echo "tenant $tenant is not in the $tier tier" >&2; return 1; }
  fi
}

# tkv_key NAME TENANT ROLE FILE: a new API key of TENANT, its token into FILE.
tkv_key() {
  tkv_admin "$1" POST "/admin/v1/tenants/$2/apikeys" "{\"role\":\"$3\"}" |
    grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$4"
}

# tkv_unlimit NAME TENANT [EXTRA_JSON_FIELDS]: raises TENANT's rate, byte
# and concurrency quotas out of the way (admission still runs).
tkv_unlimit() {
  tkv_admin "$1" PUT "/admin/v1/tenants/$2/quota" \
    "{\"requests_per_sec\":1000000,\"burst_requests\":1000000,\"max_concurrent\":1024,\"read_bytes_per_sec\":10000000000,\"burst_read_bytes\":10000000000,\"write_bytes_per_sec\":10000000000,\"burst_write_bytes\":10000000000${3:+,$3}}" >/dev/null
}

# tkv_replan NAME TENANT: back to the quota TENANT was created with (its
# plan's defaults: manifest version 1), e.g. after loading its keys
# unlimited.
tkv_replan() {
  tkv_admin "$1" POST "/admin/v1/tenants/$2/quota/revert" '{"version":1}' >/dev/null
}

# tkv_cap_args BINARY N: sets the array cap_args to
# (--max-connections-per-client N) when BINARY has that setting as a live
# one (the cpp-httplib front: its default of 64 per address would refuse a
# 64-connection load plus the set-up's connections), and to () when it is
# gone or marked deprecated in --help (the event-driven front, measured on
# its own per-address default, which is far above).
tkv_cap_args() {
  local help
  help="$("$1" --help 2>&1 | grep -A1 -- '--max-connections-per-client' || true)"
  cap_args=()
  if [ -n "$help" ] && ! grep -qi deprecated <<<"$help"; then cap_args=(--max-connections-per-client "$2"); fi
}

# tkv_refusals NAME: the refusals server NAME counted in /metrics, so that a
# run can check its client-side refusals were seen by the server too:
# tenantkv_requests_total samples with a code other than 2xx, 3xx, 404 and
# 409 (a tenant the set-up found already there),
# and every non-zero sample of a metric whose name speaks of connections,
# refusals, rejections, throttling or timeouts.
tkv_refusals() {
  tkv_admin "$1" GET /metrics | awk '
    /^#/ { next }
    /^tenantkv_requests_total/ {
      code = $0; sub(/.*code="/, "", code); sub(/".*/, "", code)
      if (code !~ /^[23]/ && code != "404" && code != "409" && $NF + 0 > 0) print
      next
    }
    { name = $1; sub(/[{].*/, "", name) }
    name ~ /connection|refus|reject|throttl|timeout|timed_out|too_many/ && $NF + 0 > 0 { print }'
}
