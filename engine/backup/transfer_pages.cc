#include "engine/backup/transfer_pages.h"

#include "engine/kv/kv_types.h"
#include "engine/kv/value_envelope.h"

namespace tenantkv::engine {
namespace {

constexpr char kEntryMagic[] = "tkE1";
constexpr char kDeltaMagic[] = "tkD1";
constexpr size_t kMagicBytes = 4;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutString(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

Status Bad(const std::string& why) {
  return Status::InvalidArgument("the transfer page is malformed: " + why, "bad_transfer_page");
}

// Reads from a buffer, never past its end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(4);
    return true;
  }
  bool String(std::string_view* s) {
    uint32_t n = 0;
    if (!U32(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Magic(const char* magic) {
    if (in_.size() < kMagicBytes || in_.substr(0, kMagicBytes) != std::string_view(magic, kMagicBytes)) return false;
    in_.remove_prefix(kMagicBytes);
    return true;
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

bool KeyOk(std::string_view key) { return !key.empty() && key.size() <= kMaxKeyBytes; }
bool EnvelopeOk(std::string_view sealed) { return ParseEnvelope(sealed).ok(); }

}  // namespace

std::string EncodeEntries(const EntryPage& page) {
  std::string out(kEntryMagic, kMagicBytes);
  out.push_back(static_cast<char>(page.done ? 1 : 0));
  PutString(&out, page.next);
  PutU32(&out, static_cast<uint32_t>(page.entries.size()));
  for (const auto& e : page.entries) {
    PutString(&out, e.key);
    PutString(&out, e.sealed);
  }
  return out;
}

Result<EntryPage> DecodeEntries(std::string_view bytes) {
  if (bytes.size() > kMaxTransferPageBytes) return Bad("too large");
  Reader r(bytes);
  EntryPage page;
  uint8_t flags = 0;
  uint32_t count = 0;
  std::string_view next;
  if (!r.Magic(kEntryMagic) || !r.U8(&flags) || (flags & ~1u) != 0 || !r.String(&next) || !r.U32(&count)) {
    return Bad("bad header");
  }
  page.done = (flags & 1) != 0;
  // Each entry takes at least 8 bytes: no count can make us reserve more
  // than the input justifies.
  if (count > r.left() / 8) return Bad("bad count");
  page.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key, sealed;
    if (!r.String(&key) || !r.String(&sealed)) return Bad("truncated entry");
    if (!KeyOk(key)) return Bad("bad key");
    if (!page.entries.empty() && key <= page.entries.back().key) return Bad("keys out of order");
    if (!EnvelopeOk(sealed)) return Bad("bad envelope");
    page.entries.push_back({std::string(key), std::string(sealed)});
  }
  if (r.left() != 0) return Bad("trailing bytes");
  if (!page.entries.empty() && next != page.entries.back().key) return Bad("next is not the last key");
  if (page.entries.empty() && !next.empty() && !KeyOk(next)) return Bad("bad next");
  page.next.assign(next);
  return page;
}

std::string EncodeDelta(const DeltaPage& page) {
  std::string out(kDeltaMagic, kMagicBytes);
  out.push_back(static_cast<char>((page.overflowed ? 1 : 0) | (page.more ? 2 : 0)));
  PutU32(&out, static_cast<uint32_t>(page.items.size()));
  for (const auto& d : page.items) {
    out.push_back(static_cast<char>(d.deleted ? 1 : 0));
    PutString(&out, d.key);
    if (!d.deleted) PutString(&out, d.sealed);
  }
  return out;
}

Result<DeltaPage> DecodeDelta(std::string_view bytes) {
  if (bytes.size() > kMaxTransferPageBytes) return Bad("too large");
  Reader r(bytes);
  DeltaPage page;
  uint8_t flags = 0;
  uint32_t count = 0;
  if (!r.Magic(kDeltaMagic) || !r.U8(&flags) || (flags & ~3u) != 0 || !r.U32(&count)) return Bad("bad header");
  page.overflowed = (flags & 1) != 0;
  page.more = (flags & 2) != 0;
  if (count > r.left() / 5) return Bad("bad count");
  if (page.overflowed && count != 0) return Bad("an overflowed delta holds items");
  page.items.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t kind = 0;
    std::string_view key, sealed;
    if (!r.U8(&kind) || kind > 1 || !r.String(&key)) return Bad("truncated item");
    if (!KeyOk(key)) return Bad("bad key");
    DeltaItem d;
    d.key.assign(key);
    d.deleted = kind == 1;
    if (!d.deleted) {
      if (!r.String(&sealed)) return Bad("truncated item");
      if (!EnvelopeOk(sealed)) return Bad("bad envelope");
      d.sealed.assign(sealed);
    }
    page.items.push_back(std::move(d));
  }
  if (r.left() != 0) return Bad("trailing bytes");
  return page;
}

}  // namespace tenantkv::engine
