// One simulated tenant of a run, as given by a --tenant SPEC argument.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"
#include "tools/bench/op_mix.h"

namespace tenantkv::bench {

// The server's largest list page (GET /v1/kv limit); a larger scan= is refused
// here rather than answered 400 invalid_limit by every request.
inline constexpr std::uint32_t kMaxScanLimit = 1000;

struct TenantSpec {
  std::string name;             // tenant id, ^[a-z0-9][a-z0-9-]{0,62}$; the id --setup creates
  std::string token;            // tenant API key; "" = none given (needs --setup or token_file)
  std::string token_file;       // file holding the API key; "" = none
  double rate = 100;            // requests per second, 0..1e6; 0 = closed loop (as fast as possible)
  int conns = 2;                // connections (one thread each), 1..256
  OpMix mix = DefaultMix();     // which calls, how often
  std::uint64_t keys = 1000;    // key space k0..k<keys-1>, 1..1e8
  std::size_t value_bytes = 100;  // size of put and batch values, 0..1 MiB
  double weight = 1;            // share this tenant should get (Jain normalisation), > 0, <= 1e6
  std::uint32_t scan_limit = 100;  // items per `scan` op (list with values), 1..kMaxScanLimit

  static OpMix DefaultMix();
};

// Parses "name=acme,token=tkv_...,rate=200,conns=4,mix=get:90/put:10,
// keys=10000,value=100,weight=1,scan=100": comma-separated field=value pairs, `name`
// required, any other field optional (defaults above), `token` and
// `token_file` exclusive. InvalidArgument naming the field for an unknown or
// repeated field, a missing '=', or a value out of range. The message never
// holds the token.
Result<TenantSpec> ParseTenantSpec(std::string_view text);

// True when `id` is a valid tenant id (^[a-z0-9][a-z0-9-]{0,62}$).
bool IsValidTenantId(std::string_view id);

}  // namespace tenantkv::bench
