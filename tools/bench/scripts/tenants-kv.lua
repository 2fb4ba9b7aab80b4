-- tenantkv data API over several tenants, for wrk. Request n goes to
-- tenant n % #TOKENS with key k<(n / #TOKENS) % KEYS>, so every tenant gets
-- the same share and walks all its keys.
--   TOKENS  comma-separated API keys, one per tenant (read/write)
--   KEYS    keys per tenant (default 10000), written beforehand as k0..k<KEYS-1>
--   OP      get | put | mix (90 % get, 10 % put) | batch (POST /v1/batch of BATCH puts)
--   VALUE   value size in bytes (default 100); BATCH ops per batch (default 100)
-- The no-op ceiling server is driven with the same script and answers
-- every route alike. Answers other than 2xx/3xx show in wrk's
-- "Non-2xx or 3xx responses" line (the scripts report it).
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "kv-lib.lua")
local tokens = lib.tokens("Bearer ")
local keys = tonumber(os.getenv("KEYS") or "10000")
local op = os.getenv("OP") or "get"
local value = string.rep("v", tonumber(os.getenv("VALUE") or "100"))
local batch = tonumber(os.getenv("BATCH") or "100")

local b64 = lib.b64
local value_b64 = b64(value)

local get_headers = {}
local put_headers = {}
local post_headers = {}
for i, t in ipairs(tokens) do
  get_headers[i] = {["Authorization"] = t}
  put_headers[i] = {["Authorization"] = t, ["Content-Type"] = "application/octet-stream"}
  post_headers[i] = {["Authorization"] = t, ["Content-Type"] = "application/json"}
end

local n = 0
request = function()
  local i = n % #tokens + 1
  local k = math.floor(n / #tokens) % keys
  n = n + 1
  if op == "batch" then
    local ops = {}
    for j = 0, batch - 1 do
      ops[#ops + 1] = '{"op":"put","key":"k' .. ((k * batch + j) % keys) .. '","value_b64":"' .. value_b64 .. '"}'
    end
    return wrk.format("POST", "/v1/batch", post_headers[i], '{"ops":[' .. table.concat(ops, ",") .. ']}')
  end
  if op == "put" or (op == "mix" and n % 10 == 0) then
    return wrk.format("PUT", "/v1/kv/k" .. k, put_headers[i], value)
  end
  return wrk.format("GET", "/v1/kv/k" .. k, get_headers[i])
end
