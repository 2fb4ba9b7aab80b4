#include "tools/bench/op_mix.h"

#include <charconv>

namespace tenantkv::bench {
namespace {

constexpr std::uint32_t kMaxWeight = 1000000;
constexpr std::array<OpKind, kOpKindCount> kAllOps = {OpKind::kGet, OpKind::kPut, OpKind::kList,
                                                      OpKind::kBatch, OpKind::kScan, OpKind::kSweep};

Result<OpKind> ParseOpName(std::string_view name) {
  for (OpKind op : kAllOps) {
    if (name == OpName(op)) return op;
  }
  return Status::InvalidArgument("unknown op '" + std::string(name) +
                                 "' (expected get, put, list, batch, scan or sweep)");
}

Result<std::uint32_t> ParseWeight(std::string_view text) {
  std::uint32_t weight = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), weight);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      weight > kMaxWeight) {
    return Status::InvalidArgument("op weight '" + std::string(text) +
                                   "' is not an integer 0..1000000");
  }
  return weight;
}

}  // namespace

const char* OpName(OpKind op) {
  switch (op) {
    case OpKind::kGet: return "get";
    case OpKind::kPut: return "put";
    case OpKind::kList: return "list";
    case OpKind::kBatch: return "batch";
    case OpKind::kScan: return "scan";
    case OpKind::kSweep: return "sweep";
  }
  return "?";
}

std::uint64_t OpMix::Total() const {
  std::uint64_t total = 0;
  for (std::uint32_t w : weights) total += w;
  return total;
}

OpKind OpMix::Pick(std::uint64_t ticket) const {
  for (OpKind op : kAllOps) {
    if (ticket < Weight(op)) return op;
    ticket -= Weight(op);
  }
  // Out of range: the last kind with any weight, so callers never get a kind
  // the mix excludes.
  for (auto it = kAllOps.rbegin(); it != kAllOps.rend(); ++it) {
    if (Weight(*it) > 0) return *it;
  }
  return OpKind::kGet;
}

std::string OpMix::ToString() const {
  std::string out;
  for (OpKind op : kAllOps) {
    if (Weight(op) == 0) continue;
    if (!out.empty()) out += '/';
    out += std::string(OpName(op)) + ":" + std::to_string(Weight(op));
  }
  return out;
}

Result<OpMix> ParseOpMix(std::string_view text) {
  OpMix mix;
  std::array<bool, kOpKindCount> seen{};
  while (true) {
    const std::size_t slash = text.find('/');
    const std::string_view item = text.substr(0, slash);
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("mix item '" + std::string(item) + "' is not op:weight");
    }
    TKV_ASSIGN_OR_RETURN(const OpKind op, ParseOpName(item.substr(0, colon)));
    TKV_ASSIGN_OR_RETURN(const std::uint32_t weight, ParseWeight(item.substr(colon + 1)));
    const auto index = static_cast<std::size_t>(op);
    if (seen[index]) {
      return Status::InvalidArgument(std::string("op '") + OpName(op) + "' appears twice in the mix");
    }
    seen[index] = true;
    mix.weights[index] = weight;
    if (slash == std::string_view::npos) break;
    text.remove_prefix(slash + 1);
  }
  if (mix.Total() == 0) return Status::InvalidArgument("the op weights sum to 0");
  return mix;
}

}  // namespace tenantkv::bench
