// WriteKeyNoter: the user keys of one tenant's range that a write batch
// changes, for a write gate (write_gate.h) that must see every key written
// while it is set: an online tier move (tier_mover.h) or a tenant transfer
// to another node (backup/tenant_transfer.h). A range delete of the
// tenant's column family cannot be reduced to keys: `whole` then.
// NotedKeys keeps what such a gate noted, bounded.
#pragma once

#include <rocksdb/write_batch.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantkv::engine {

class WriteKeyNoter final : public rocksdb::WriteBatch::Handler {
 public:
  // `cf_id` and `prefix` name the tenant's range (WriteGate::Admit's).
  WriteKeyNoter(uint32_t cf_id, std::string_view prefix) : cf_id_(cf_id), prefix_(prefix) {}

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Note(cf, key);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return Note(cf, key); }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return Note(cf, key); }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Note(cf, key);
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    if (cf == cf_id_) whole = true;
    return rocksdb::Status::OK();
  }

  std::vector<std::string> keys;  // user keys, prefix stripped, in batch order
  bool whole = false;

 private:
  rocksdb::Status Note(uint32_t cf, const rocksdb::Slice& key) {
    if (cf != cf_id_) return rocksdb::Status::OK();
    std::string_view k = key.ToStringView();
    if (k.compare(0, prefix_.size(), prefix_) == 0) keys.emplace_back(k.substr(prefix_.size()));
    return rocksdb::Status::OK();
  }

  const uint32_t cf_id_;
  const std::string_view prefix_;
};

// The keys a write gate noted while set, bounded in bytes. Past the bound,
// or on a write that cannot be reduced to keys, it drops them and is
// `overflowed`: its owner then compares the tenant's whole range instead.
// Not thread-safe: its owner's lock guards it.
struct NotedKeys {
  std::set<std::string> keys;
  size_t bytes = 0;  // of `keys`
  bool overflowed = false;

  // Adds what `noter` found in a batch (`readable`: the batch could be
  // read through); at most `max_bytes` are kept.
  void Add(WriteKeyNoter& noter, bool readable, size_t max_bytes) {
    if (!readable || noter.whole) overflowed = true;
    for (std::string& k : noter.keys) {
      if (overflowed) break;
      const size_t size = k.size();
      if (keys.insert(std::move(k)).second) bytes += size;  // a key written again costs nothing more
      if (bytes > max_bytes) overflowed = true;
    }
    if (overflowed) Drop();
  }

  // Takes up to `max` keys out, first in order.
  std::vector<std::string> Take(size_t max) {
    std::vector<std::string> out;
    while (!keys.empty() && out.size() < max) {
      auto node = keys.extract(keys.begin());
      bytes -= node.value().size();
      out.push_back(std::move(node.value()));
    }
    return out;
  }

  // Takes every key out.
  std::set<std::string> TakeAll() {
    bytes = 0;
    return std::exchange(keys, {});
  }

  // Puts back a key taken out (unless overflowed since).
  void PutBack(std::string key) {
    if (overflowed) return;
    const size_t size = key.size();
    if (keys.insert(std::move(key)).second) bytes += size;
  }

  // Forgets everything, `overflowed` too.
  void Reset() {
    Drop();
    overflowed = false;
  }

 private:
  void Drop() {
    keys.clear();
    bytes = 0;
  }
};

}  // namespace tenantkv::engine
