#include "tools/bench/op_bytes.h"

#include <charconv>

#include "tools/bench/kv_requests.h"

namespace tenantkv::bench {

OpBytes CountOpBytes(OpKind op, int http_status, std::string_view body, std::size_t value_bytes) {
  constexpr int kOk = 200;
  const bool success = http_status >= 200 && http_status < 300;
  OpBytes bytes;
  switch (op) {
    case OpKind::kGet:
      if (http_status == kOk) bytes.read = body.size();
      break;
    case OpKind::kPut:
      if (success) bytes.write = value_bytes;
      break;
    case OpKind::kBatch:
      if (success) bytes.write = static_cast<std::uint64_t>(kBatchPuts) * value_bytes;
      break;
    case OpKind::kList:
      break;
    case OpKind::kScan:
    case OpKind::kSweep:
      if (http_status == kOk) bytes.read = ScanValueBytes(body);
      break;
  }
  return bytes;
}

std::uint64_t ScanValueBytes(std::string_view body) {
  constexpr std::string_view kMember = "\"size\":";
  std::uint64_t total = 0;
  for (std::size_t at = body.find(kMember); at != std::string_view::npos;
       at = body.find(kMember, at)) {
    at += kMember.size();
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t' || body[at] == '\n' ||
                                body[at] == '\r')) {
      ++at;
    }
    std::uint64_t size = 0;
    const auto [end, ec] = std::from_chars(body.data() + at, body.data() + body.size(), size);
    if (ec == std::errc()) {
      total += size;
      at = static_cast<std::size_t>(end - body.data());
    }
  }
  return total;
}

}  // namespace tenantkv::bench
