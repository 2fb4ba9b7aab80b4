// Pages of a tenant transfer (tenant_transfer.h) in a compact binary form,
// for the HTTP layer that ships them between nodes.
//
// Every integer is little-endian; every string is a u32 length and bytes.
//   entry page: "tkE1" | u8 flags (bit 0: done) | string next | u32 count |
//               count x (string user key | string sealed envelope)
//   delta page: "tkD1" | u8 flags (bit 0: overflowed, bit 1: more) |
//               u32 count | count x (u8 kind: 0 put, 1 delete |
//               string user key | string sealed envelope, puts only)
// Decoding checks every length against what is left, the keys (1 to
// kMaxKeyBytes bytes; strictly ascending in an entry page, and `next` its
// last key), each envelope's header (value_envelope.h), the flags and the
// end of the input, and answers InvalidArgument("bad_transfer_page") for
// anything else; it never reads out of bounds. A page decodes to at most
// kMaxTransferPageBytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace tenantkv::engine {

inline constexpr size_t kMaxTransferPageBytes = 64 << 20;

// A page of a transfer's snapshot, in key order: sealed bytes as stored.
struct TransferEntry {
  std::string key;     // the user key
  std::string sealed;  // the envelope as stored (bound to tenant and user key)
};
struct EntryPage {
  std::vector<TransferEntry> entries;
  std::string next;   // the last key given: the next page starts after it
  bool done = false;  // no entry follows
};

// A key written since the last delta: its current envelope, or deleted.
struct DeltaItem {
  std::string key;
  bool deleted = false;
  std::string sealed;  // empty when deleted
};
struct DeltaPage {
  std::vector<DeltaItem> items;
  // More noted keys wait for the next Delta.
  bool more = false;
  // The keys noted since the last delta passed their bound and were
  // dropped: this page holds nothing, and the caller must start the copy
  // again (TenantTransferSource::Rescan, TenantTransferSink::ClearEntries).
  bool overflowed = false;
};

std::string EncodeEntries(const EntryPage& page);
Result<EntryPage> DecodeEntries(std::string_view bytes);
std::string EncodeDelta(const DeltaPage& page);
Result<DeltaPage> DecodeDelta(std::string_view bytes);

}  // namespace tenantkv::engine
