-- Shared by the wrk scripts tenants-kv.lua and etcd-kv.lua (loaded with
-- dofile from their own folder): the tenants' credentials and base64.
local lib = {}

-- The comma-separated list in the environment variable TOKENS, each entry
-- with `prefix` in front ("Bearer " for tenantkv, "" for etcd).
function lib.tokens(prefix)
  local tokens = {}
  for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = prefix .. t end
  assert(#tokens > 0, "TOKENS is empty")
  return tokens
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
-- Standard base64 with padding.
function lib.b64(s)
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

return lib
