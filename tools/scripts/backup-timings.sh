#!/usr/bin/env bash
# Times a tenant export, import (same node), node backup and restore for a
# tenant of N values (default 100000) of 100 bytes, against a fresh server
# on 127.0.0.1 (port 0) in a temp dir. Prints one line per step.
#
#   tools/scripts/backup-timings.sh BUILD_DIR [N]
#
# Everything runs under `nice`; the server is stopped and the temp dir
# removed at the end.
set -euo pipefail

BUILD="${1:?usage: backup-timings.sh BUILD_DIR [N]}"
N="${2:-100000}"
SERVER="$BUILD/bin/tenantkv-server"
[ -x "$SERVER" ] || SERVER="$BUILD/server/tenantkv-server"
WORK="$(mktemp -d /tmp/tenantkv-backup-timings-XXXXXX)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

nice "$SERVER" --data-dir "$WORK/data" --listen 127.0.0.1:0 >"$WORK/out" 2>"$WORK/log" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
PORT="$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/out")"
[ -n "$PORT" ] || { echo "server did not start" >&2; cat "$WORK/log" >&2; exit 1; }
U="http://127.0.0.1:$PORT"
OP="$(cat "$WORK/data/operator.token")"
post() { printf '%s' "$3" | curl -sf -X POST "$U$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' --data-binary @-; }

post /admin/v1/tenants "$OP" '{"id":"acme","plan":"premium"}' >/dev/null
curl -sf -X PUT "$U/admin/v1/tenants/acme/quota" -H "Authorization: Bearer $OP" \
  -d '{"requests_per_sec":1000000,"burst_requests":1000000,"write_bytes_per_sec":1000000000,"burst_write_bytes":1000000000,"storage_bytes":1000000000}' >/dev/null
TOKEN="$(post /admin/v1/tenants/acme/apikeys "$OP" '{"role":"write"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')"

# 100-byte values, 1000 per batch.
VALUE_B64="$(head -c 100 /dev/zero | tr '\0' 'v' | base64 -w0)"
t0=$(now_ms)
for ((b = 0; b < N / 1000; b++)); do
  body='{"ops":['
  for ((i = 0; i < 1000; i++)); do
    [ $i -gt 0 ] && body+=','
    body+="{\"op\":\"put\",\"key\":\"k$((b * 1000 + i))\",\"value_b64\":\"$VALUE_B64\"}"
  done
  body+=']}'
  post /v1/batch "$TOKEN" "$body" >/dev/null
done
echo "load: $N values in $(( $(now_ms) - t0 )) ms"

t0=$(now_ms); post /admin/v1/tenants/acme/export "$OP" "{\"dir\":\"$WORK/export\"}" >"$WORK/export.json"
echo "export: $(( $(now_ms) - t0 )) ms  $(cat "$WORK/export.json")"
t0=$(now_ms); post /admin/v1/tenants/import "$OP" "{\"dir\":\"$WORK/export\",\"dry_run\":true}" >/dev/null
echo "verify (dry-run import): $(( $(now_ms) - t0 )) ms"
t0=$(now_ms); post /admin/v1/tenants/import "$OP" "{\"dir\":\"$WORK/export\",\"id\":\"acme-copy\"}" >"$WORK/import.json"
echo "import: $(( $(now_ms) - t0 )) ms  $(cat "$WORK/import.json")"
t0=$(now_ms); post /admin/v1/backup "$OP" "{\"dir\":\"$WORK/backup\"}" >"$WORK/backup.json"
echo "node backup: $(( $(now_ms) - t0 )) ms  $(cat "$WORK/backup.json")"
t0=$(now_ms); nice "$SERVER" --restore-from "$WORK/backup" --data-dir "$WORK/restored" >/dev/null
echo "restore: $(( $(now_ms) - t0 )) ms  ($(du -sk "$WORK/restored/db" | cut -f1) KiB)"
