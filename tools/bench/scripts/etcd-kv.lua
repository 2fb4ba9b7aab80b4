-- etcd v3 JSON gateway over several users (one per tenant, each limited
-- by its role to the prefix /t<i>/), for wrk. Request n goes to tenant
-- n % #TOKENS with key /t<i>/k<(n / #TOKENS) % KEYS>.
--   TOKENS  comma-separated auth tokens (POST /v3/auth/authenticate), tenant 0 first
--   KEYS    keys per tenant (default 10000); OP get | put; VALUE bytes (default 100)
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "kv-lib.lua")
local tokens = lib.tokens("")
local keys = tonumber(os.getenv("KEYS") or "10000")
local op = os.getenv("OP") or "get"
local value = string.rep("v", tonumber(os.getenv("VALUE") or "100"))

local b64 = lib.b64
local value_b64 = b64(value)

local headers = {}
for i, t in ipairs(tokens) do
  headers[i] = {["Authorization"] = t, ["Content-Type"] = "application/json"}
end

local n = 0
request = function()
  local i = n % #tokens + 1
  local k = math.floor(n / #tokens) % keys
  n = n + 1
  local key = b64("/t" .. (i - 1) .. "/k" .. k)
  if op == "put" then
    return wrk.format("POST", "/v3/kv/put", headers[i], '{"key":"' .. key .. '","value":"' .. value_b64 .. '"}')
  end
  return wrk.format("POST", "/v3/kv/range", headers[i], '{"key":"' .. key .. '"}')
end
