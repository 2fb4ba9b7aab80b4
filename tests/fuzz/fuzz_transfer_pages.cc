// Fuzz target: the tenant transfer's page decoders
// (engine/backup/transfer_pages.h).
//
// Properties, checked on every input (a violation traps):
// - DecodeEntries and DecodeDelta never crash, and refuse with
//   InvalidArgument("bad_transfer_page") only;
// - a page that decodes encodes back to exactly the input bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/backup/transfer_pages.h"

namespace engine = tenantkv::engine;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto entries = engine::DecodeEntries(in);
  if (entries.ok()) {
    Check(engine::EncodeEntries(*entries) == in);
  } else {
    Check(entries.status().reason() == "bad_transfer_page");
  }
  auto delta = engine::DecodeDelta(in);
  if (delta.ok()) {
    Check(engine::EncodeDelta(*delta) == in);
  } else {
    Check(delta.status().reason() == "bad_transfer_page");
  }
  return 0;
}
