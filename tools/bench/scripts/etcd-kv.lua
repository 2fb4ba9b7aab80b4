-- etcd v3 JSON gateway over several users (one per tenant, each limited
-- by its role to the prefix /t<i>/), for wrk. Request n goes to tenant
-- n % #TOKENS with key /t<i>/k<(n / #TOKENS) % KEYS>.
--   TOKENS  comma-separated auth tokens (POST /v3/auth/authenticate), tenant 0 first
--   KEYS    keys per tenant (default 10000); OP get | put; VALUE bytes (default 100)
local tokens = {}
for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
assert(#tokens > 0, "TOKENS is empty")
local keys = tonumber(os.getenv("KEYS") or "10000")
local op = os.getenv("OP") or "get"
local value = string.rep("v", tonumber(os.getenv("VALUE") or "100"))

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local q = {}
    for j = 3, 0, -1 do
      local idx = math.floor(n / (64 ^ j)) % 64
      q[#q + 1] = b64chars:sub(idx + 1, idx + 1)
    end
    if not b then q[3] = "=" end
    if not c then q[4] = "=" end
    out[#out + 1] = table.concat(q)
  end
  return table.concat(out)
end
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
