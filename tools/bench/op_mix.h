// The operation mix of one tenant: which data-API calls it makes, and how often.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::bench {

// kScan and kSweep come last so that adding them kept the ticket ranges of
// older mixes.
enum class OpKind { kGet, kPut, kList, kBatch, kScan, kSweep };

inline constexpr std::size_t kOpKindCount = 6;

// "get", "put", "list", "batch", "scan" or "sweep".
const char* OpName(OpKind op);

// Relative weights of the kinds; their sum is > 0 once parsed.
struct OpMix {
  std::array<std::uint32_t, kOpKindCount> weights{};  // indexed by OpKind

  std::uint32_t Weight(OpKind op) const { return weights[static_cast<std::size_t>(op)]; }
  std::uint64_t Total() const;

  // The kind for a draw `ticket` in [0, Total()): kinds own consecutive
  // ranges of tickets, in OpKind order, as wide as their weights.
  OpKind Pick(std::uint64_t ticket) const;

  // "get:90/put:10": the kinds with a non-zero weight, in OpKind order.
  std::string ToString() const;
};

// Parses "op:weight[/op:weight...]" with op one of get, put, list, batch, scan, sweep and
// weight an integer 0..1000000. InvalidArgument for an unknown or repeated op,
// a bad weight, or weights that sum to 0.
Result<OpMix> ParseOpMix(std::string_view text);

}  // namespace tenantkv::bench
