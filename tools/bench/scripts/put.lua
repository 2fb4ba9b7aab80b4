-- PUT /v1/kv/key<n % KEYS> with a 100-byte body; TOKEN holds a write key.
local token = os.getenv("TOKEN")
local keys = tonumber(os.getenv("KEYS") or "10000")
wrk.method = "PUT"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = string.rep("v", 100)
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/kv/key" .. (n % keys))
end
