-- GET /v1/kv/key<n % KEYS>; TOKEN holds a read key.
local token = os.getenv("TOKEN")
local keys = tonumber(os.getenv("KEYS") or "10000")
wrk.headers["Authorization"] = "Bearer " .. token
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/kv/key" .. (n % keys))
end
