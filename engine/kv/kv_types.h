// Plain types of the key-value surface shared by every TenantStore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tenantkv::engine {

inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxBatchOps = 1000;
inline constexpr size_t kMaxListLimit = 1000;
inline constexpr int64_t kMaxTtlSeconds = 10LL * 365 * 24 * 3600;

struct ValueRecord {
  std::string value;
  std::string etag;           // without quotes
  int64_t expires_at_ms = 0;  // 0 = no expiry
};

// Preconditions of a write; both empty = unconditional.
struct WriteCondition {
  std::optional<std::string> if_match;  // the current ETag must equal this
  bool if_none_match_any = false;       // the key must be absent
};

struct PutOptions {
  WriteCondition condition;
  int64_t ttl_seconds = 0;  // 0 = keep forever
};

struct PutResult {
  bool created = false;  // false: an existing value was replaced
  std::string etag;
};

struct ListRequest {
  std::string prefix;
  std::optional<std::string> start_after;
  size_t limit = 100;  // 1..kMaxListLimit
  bool with_values = false;
  // With values: the page stops before its raw value bytes would pass this
  // (0 = no bound). A page always holds at least one item, so a value
  // larger than the bound comes alone on its page.
  uint64_t max_value_bytes = 0;
};

struct ListItem {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::optional<std::string> value;  // set when with_values
};

struct ListPage {
  std::vector<ListItem> items;
  std::optional<std::string> next;  // last key returned when more may follow
  uint64_t scanned_bytes = 0;       // stored bytes read, skipped entries included
};

enum class BatchOpType { kPut, kDelete, kGet };

struct BatchOp {
  BatchOpType type = BatchOpType::kGet;
  std::string key;
  std::string value;  // kPut only
};

// Bounds on what one batch may answer.
struct BatchLimits {
  // Raw value bytes its gets may return together (a key read by several
  // gets counts each time); 0 = no bound.
  uint64_t max_get_bytes = 0;
};

// What one batch operation found or did. The server turns it into the
// operation's answer code.
enum class BatchOutcome {
  kFound,     // get: the key exists (value and etag are set)
  kAbsent,    // get or delete: the key does not exist
  kCreated,   // put: the key did not exist before
  kReplaced,  // put: the key's previous value was overwritten
  kDeleted,   // delete: the key existed and is gone
};

struct BatchOpResult {
  BatchOutcome outcome = BatchOutcome::kFound;
  std::optional<std::string> value;
  std::optional<std::string> etag;
};

// Exact usage of one tenant, maintained atomically with its data.
struct Usage {
  int64_t keys = 0;
  int64_t logical_bytes = 0;  // sum of user key + value sizes
};

}  // namespace tenantkv::engine
