// The stored bytes a successful request read or wrote, as the generator
// counts them for the per-second windows.
#pragma once

#include <cstdint>
#include <string_view>

#include "tools/bench/op_mix.h"

namespace tenantkv::bench {

struct OpBytes {
  std::uint64_t read = 0;
  std::uint64_t write = 0;
};

// Value bytes only (keys and the server's encryption overhead are not
// counted):
//   get   read  = the answer body on 200 (the value); 0 on 304 or 404
//   put   write = value_bytes on 2xx
//   batch write = kBatchPuts * value_bytes on 2xx
//   list  nothing (it asks for no values)
//   scan  read  = ScanValueBytes(body) on 200
// Zero for any other status.
OpBytes CountOpBytes(OpKind op, int http_status, std::string_view body, std::size_t value_bytes);

// The sum of the items' "size" members of a GET /v1/kv answer: the length of
// every value the page returned, without decoding value_b64 or building a
// JSON tree. A '"' inside a JSON string is always escaped, so the text
// "size": (quote included) can only be a member name. Members whose value is
// not an unsigned integer are skipped.
std::uint64_t ScanValueBytes(std::string_view body);

}  // namespace tenantkv::bench
