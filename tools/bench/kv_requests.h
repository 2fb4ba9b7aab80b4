// The data-API requests a tenant's load is made of, built without any I/O.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "tools/bench/op_mix.h"

namespace tenantkv::bench {

// Puts in one `batch` op (it counts as one request against the rate).
inline constexpr int kBatchPuts = 100;

struct OpRequest {
  std::string method;        // "GET", "PUT" or "POST"
  std::string path;          // route and query, ready for the request line
  std::string body;          // "" for GET
  std::string content_type;  // "" when there is no body
};

// "k<n>": the keys a run reads and writes (no byte needs percent-encoding).
std::string KeyName(std::uint64_t n);

// Builds the requests of one tenant: keys uniform over k0..k<keys-1>, values
// of `value_bytes` pseudo-random bytes fixed at construction, scans of
// `scan_limit` items (1..1000, the server's list page limit).
class KvRequestFactory {
 public:
  KvRequestFactory(std::uint64_t keys, std::size_t value_bytes, std::uint64_t seed,
                   std::uint32_t scan_limit = 100);

  // get:   GET /v1/kv/<key>
  // put:   PUT /v1/kv/<key>, the value as application/octet-stream
  // list:  GET /v1/kv?prefix=k&limit=100
  // batch: POST /v1/batch with kBatchPuts puts of random keys
  // scan:  GET /v1/kv?prefix=k&limit=<scan_limit>&values=true
  // sweep: the same from a random key (&start_after=<key>): over many, a
  //        scan of the whole key space
  OpRequest Make(OpKind op, std::mt19937_64& rng) const;

  // POST /v1/batch putting keys first..first+count-1 (to pre-load a tenant).
  OpRequest MakePreload(std::uint64_t first, std::uint64_t count) const;

 private:
  std::string RandomKey(std::mt19937_64& rng) const;

  std::uint64_t keys_;
  std::string scan_path_;
  std::string value_;
  std::string value_b64_;
};

}  // namespace tenantkv::bench
