#!/bin/bash
# Makes the format-1 fixture with the server built at 3ba51ea.
set -euo pipefail
BIN=${BIN:?path to tenantkv-server built at 3ba51ea}
D=/tmp/fmt1-data
rm -rf "$D"; mkdir -m 700 "$D"
export TENANTKV_OPERATOR_TOKEN=tkvop_$(printf '0%.0s' {1..64})
OP=$TENANTKV_OPERATOR_TOKEN
PORT=18479
"$BIN" --listen 127.0.0.1:$PORT --data-dir "$D" --spare-column-families 1 --block-cache-mb 8 --memtable-budget-mb 16 > "$D.out" 2> "$D.err" &
PID=$!
for i in $(seq 1 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
U=http://127.0.0.1:$PORT
H=(-H "Authorization: Bearer $OP" -H 'Content-Type: application/json')
curl -sf -X POST "$U/admin/v1/tenants" "${H[@]}" -d '{"id":"acme"}'; echo
curl -sf -X POST "$U/admin/v1/tenants" "${H[@]}" -d '{"id":"globex"}'; echo
A=$(curl -sf -X POST "$U/admin/v1/tenants/acme/apikeys" "${H[@]}" -d '{"role":"write"}')
G=$(curl -sf -X POST "$U/admin/v1/tenants/globex/apikeys" "${H[@]}" -d '{"role":"read"}')
echo "$A"; echo "$G"
AT=$(echo "$A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
GT=$(echo "$G" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -X PUT "$U/v1/kv/greeting" -H "Authorization: Bearer $AT" --data-binary hello -o /dev/null -w '%{http_code}\n'
curl -sf -X PUT "$U/v1/kv/counter" -H "Authorization: Bearer $AT" --data-binary 42 -o /dev/null -w '%{http_code}\n'
# globex's key is read-only: its value goes in through a write key revoked afterwards.
W=$(curl -sf -X POST "$U/admin/v1/tenants/globex/apikeys" "${H[@]}" -d '{"role":"write"}')
WT=$(echo "$W" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
WID=$(echo "$W" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
curl -sf -X PUT "$U/v1/kv/color" -H "Authorization: Bearer $WT" --data-binary blue -o /dev/null -w '%{http_code}\n'
curl -sf -X DELETE "$U/admin/v1/tenants/globex/apikeys/$WID" "${H[@]}" -o /dev/null -w '%{http_code}\n'
curl -sf "$U/v1/kv/color" -H "Authorization: Bearer $GT"; echo
kill -TERM $PID; wait $PID || true
echo "ACME_TOKEN=$AT"
echo "GLOBEX_TOKEN=$GT"
echo "REVOKED_WRITE_KEY=$WID"
ls -la "$D" "$D/db"
