#include "tools/bench/kv_requests.h"

#include "tools/bench/base64.h"

namespace tenantkv::bench {
namespace {

constexpr char kOctetStream[] = "application/octet-stream";
constexpr char kJson[] = "application/json";

std::string RandomBytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// Keys are "k<digits>" and values base64, so neither needs JSON escaping and
// the body is assembled as text: a json object per op would cost more than
// the request on a fast server.
void AppendPutOp(const std::string& key, const std::string& value_b64, std::string* body) {
  if (body->back() != '[') *body += ',';
  *body += R"({"op":"put","key":")";
  *body += key;
  *body += R"(","value_b64":")";
  *body += value_b64;
  *body += "\"}";
}

OpRequest BatchRequest(std::string body) {
  return {"POST", "/v1/batch", std::move(body), kJson};
}

}  // namespace

std::string KeyName(std::uint64_t n) { return "k" + std::to_string(n); }

KvRequestFactory::KvRequestFactory(std::uint64_t keys, std::size_t value_bytes,
                                   std::uint64_t seed, std::uint32_t scan_limit)
    : keys_(keys),
      scan_path_("/v1/kv?prefix=k&limit=" + std::to_string(scan_limit) + "&values=true"),
      value_(RandomBytes(value_bytes, seed)),
      value_b64_(Base64Encode(value_)) {}

std::string KvRequestFactory::RandomKey(std::mt19937_64& rng) const {
  return KeyName(std::uniform_int_distribution<std::uint64_t>(0, keys_ - 1)(rng));
}

OpRequest KvRequestFactory::Make(OpKind op, std::mt19937_64& rng) const {
  switch (op) {
    case OpKind::kGet: return {"GET", "/v1/kv/" + RandomKey(rng), "", ""};
    case OpKind::kPut: return {"PUT", "/v1/kv/" + RandomKey(rng), value_, kOctetStream};
    case OpKind::kList: return {"GET", "/v1/kv?prefix=k&limit=100", "", ""};
    case OpKind::kScan: return {"GET", scan_path_, "", ""};
    case OpKind::kSweep: return {"GET", scan_path_ + "&start_after=" + RandomKey(rng), "", ""};
    case OpKind::kBatch: {
      std::string body = R"({"ops":[)";
      for (int i = 0; i < kBatchPuts; ++i) AppendPutOp(RandomKey(rng), value_b64_, &body);
      body += "]}";
      return BatchRequest(std::move(body));
    }
  }
  return {"GET", "/v1/kv/" + RandomKey(rng), "", ""};
}

OpRequest KvRequestFactory::MakePreload(std::uint64_t first, std::uint64_t count) const {
  std::string body = R"({"ops":[)";
  for (std::uint64_t n = first; n < first + count; ++n) AppendPutOp(KeyName(n), value_b64_, &body);
  body += "]}";
  return BatchRequest(std::move(body));
}

}  // namespace tenantkv::bench
