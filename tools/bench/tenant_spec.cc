#include "tools/bench/tenant_spec.h"

#include <charconv>
#include <cmath>
#include <set>

namespace tenantkv::bench {
namespace {

constexpr double kMaxRate = 1e6;
constexpr int kMaxConns = 256;
constexpr std::uint64_t kMaxKeys = 100000000;
constexpr std::size_t kMaxValueBytes = 1 << 20;
constexpr double kMaxWeight = 1e6;
constexpr std::size_t kMaxTenantIdLength = 63;

Status BadField(std::string_view field, std::string_view why) {
  return Status::InvalidArgument("tenant spec field '" + std::string(field) + "': " +
                                 std::string(why));
}

template <typename T>
bool ParseWhole(std::string_view text, T* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Result<double> ParseNumber(std::string_view field, std::string_view text, double min, double max) {
  double value = 0;
  if (!ParseWhole(text, &value) || !std::isfinite(value) || value < min || value > max) {
    return BadField(field, "'" + std::string(text) + "' is not a number in " +
                               std::to_string(static_cast<long long>(min)) + ".." +
                               std::to_string(static_cast<long long>(max)));
  }
  return value;
}

Result<std::uint64_t> ParseInteger(std::string_view field, std::string_view text,
                                   std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  if (!ParseWhole(text, &value) || value < min || value > max) {
    return BadField(field, "'" + std::string(text) + "' is not an integer in " +
                               std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

bool IsTokenText(std::string_view token) {
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return !token.empty();
}

Status ApplyField(std::string_view field, std::string_view value, TenantSpec* spec) {
  if (field == "name") {
    if (!IsValidTenantId(value)) {
      return BadField(field, "'" + std::string(value) + "' is not a tenant id ([a-z0-9][a-z0-9-]*, "
                             "at most 63 characters)");
    }
    spec->name = std::string(value);
  } else if (field == "token") {
    if (!IsTokenText(value)) return BadField(field, "empty, or holds whitespace or control characters");
    spec->token = std::string(value);
  } else if (field == "token_file") {
    if (value.empty()) return BadField(field, "empty path");
    spec->token_file = std::string(value);
  } else if (field == "rate") {
    TKV_ASSIGN_OR_RETURN(spec->rate, ParseNumber(field, value, 0, kMaxRate));
  } else if (field == "conns") {
    TKV_ASSIGN_OR_RETURN(const std::uint64_t conns, ParseInteger(field, value, 1, kMaxConns));
    spec->conns = static_cast<int>(conns);
  } else if (field == "mix") {
    Result<OpMix> mix = ParseOpMix(value);
    if (!mix.ok()) return BadField(field, mix.status().message());
    spec->mix = *mix;
  } else if (field == "keys") {
    TKV_ASSIGN_OR_RETURN(spec->keys, ParseInteger(field, value, 1, kMaxKeys));
  } else if (field == "value") {
    TKV_ASSIGN_OR_RETURN(const std::uint64_t bytes, ParseInteger(field, value, 0, kMaxValueBytes));
    spec->value_bytes = static_cast<std::size_t>(bytes);
  } else if (field == "weight") {
    TKV_ASSIGN_OR_RETURN(spec->weight, ParseNumber(field, value, 0, kMaxWeight));
    if (spec->weight <= 0) return BadField(field, "must be greater than 0");
  } else if (field == "scan") {
    TKV_ASSIGN_OR_RETURN(const std::uint64_t limit, ParseInteger(field, value, 1, kMaxScanLimit));
    spec->scan_limit = static_cast<std::uint32_t>(limit);
  } else {
    return Status::InvalidArgument(
        "unknown tenant spec field '" + std::string(field) +
        "' (expected name, token, token_file, rate, conns, mix, keys, value, weight, scan)");
  }
  return Status::Ok();
}

}  // namespace

OpMix TenantSpec::DefaultMix() {
  OpMix mix;
  mix.weights[static_cast<std::size_t>(OpKind::kGet)] = 90;
  mix.weights[static_cast<std::size_t>(OpKind::kPut)] = 10;
  return mix;
}

bool IsValidTenantId(std::string_view id) {
  if (id.empty() || id.size() > kMaxTenantIdLength || id.front() == '-') return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<TenantSpec> ParseTenantSpec(std::string_view text) {
  TenantSpec spec;
  std::set<std::string, std::less<>> seen;
  bool more = true;
  while (more) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) text.remove_prefix(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      // Only the part before any '=' could be shown, and there is none: the
      // item might be a token pasted alone, so it is not echoed.
      return Status::InvalidArgument("tenant spec item without '=' (expected field=value)");
    }
    const std::string_view field = item.substr(0, eq);
    if (!seen.insert(std::string(field)).second) {
      return Status::InvalidArgument("tenant spec field '" + std::string(field) + "' is repeated");
    }
    TKV_RETURN_IF_ERROR(ApplyField(field, item.substr(eq + 1), &spec));
  }
  if (spec.name.empty()) return Status::InvalidArgument("tenant spec has no name=");
  if (!spec.token.empty() && !spec.token_file.empty()) {
    return Status::InvalidArgument("tenant spec '" + spec.name +
                                   "' gives both token= and token_file=");
  }
  return spec;
}

}  // namespace tenantkv::bench
