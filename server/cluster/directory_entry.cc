// The JSON form of a tenant's directory entry, and its rules
// (tenant_directory.h: DirectoryEntryJson, ParseDirectoryEntry).
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "server/cluster/directory_entry.h"
#include "server/cluster/tenant_directory.h"

namespace tenantkv::server::cluster {
namespace directory {

constexpr size_t kMaxIdLength = 63;

bool ValidTenantId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || c != '-')) return false;
  }
  return true;
}

Status BadEntry(const std::string& why) {
  return Status::InvalidArgument("not a directory entry: " + why, "bad_directory_entry");
}

// The rules of an entry, as written and as read.
Status CheckEntry(const DirectoryEntry& e) {
  // A node id follows the tenant id rule (--node-id), which implies non-empty.
  if (!ValidTenantId(e.node)) return BadEntry("'node' is not a node id");
  if (e.tier != "pooled" && e.tier != "column_family" && e.tier != "dedicated") {
    return BadEntry("'tier' is not pooled, column_family or dedicated");
  }
  if (e.state != "creating" && e.state != "active") return BadEntry("'state' is not creating or active");
  if (e.epoch < 1) return BadEntry("'epoch' is below 1");
  if (!e.moved_from.empty() && !ValidTenantId(e.moved_from)) return BadEntry("'moved_from' is not a node id");
  if (e.move) {
    const DirectoryMove& m = *e.move;
    if (!ValidTenantId(m.to) || !ValidTenantId(m.from) || m.to == m.from) return BadEntry("'move' names bad nodes");
    if (m.state != "requested" && m.state != "copying") return BadEntry("'move.state' is not requested or copying");
    auto hex64 = [](const std::string& h) {
      return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
    };
    const bool taken = m.state == "copying";
    if (taken != hex64(m.target_public) || taken != hex64(m.secret_sha256) ||
        (!taken && (!m.target_public.empty() || !m.secret_sha256.empty()))) {
      return BadEntry("'move' keys do not match its state");
    }
    if (m.started_ms < 0) return BadEntry("'move.started_ms' is negative");
  }
  return Status::Ok();
}

}  // namespace directory

using directory::BadEntry;
using directory::CheckEntry;
using json = nlohmann::json;

std::string DirectoryEntryJson(const DirectoryEntry& e) {
  // Invalid UTF-8 (never in an entry that passed CheckEntry) is replaced, not thrown.
  json j = {{"node", e.node}, {"tier", e.tier}, {"epoch", e.epoch}, {"state", e.state}};
  if (!e.moved_from.empty()) j["moved_from"] = e.moved_from;
  if (e.move) {
    const DirectoryMove& m = *e.move;
    j["move"] = {{"to", m.to}, {"from", m.from}, {"state", m.state}, {"started_ms", m.started_ms}};
    if (!m.target_public.empty()) j["move"]["target_public"] = m.target_public;
    if (!m.secret_sha256.empty()) j["move"]["secret_sha256"] = m.secret_sha256;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<DirectoryEntry> ParseDirectoryEntry(const std::string& tenant, const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return BadEntry("not a JSON object");
  DirectoryEntry e;
  e.tenant = tenant;
  auto text = [&j](const char* name, std::string* out) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!text("node", &e.node)) return BadEntry("'node' is not a string");
  if (!text("tier", &e.tier)) return BadEntry("'tier' is not a string");
  if (!text("state", &e.state)) return BadEntry("'state' is not a string");
  auto epoch = j.find("epoch");
  if (epoch == j.end() || !epoch->is_number_integer() ||
      (epoch->is_number_unsigned() && epoch->get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()})) {
    return BadEntry("'epoch' is not an integer");
  }
  e.epoch = epoch->get<int64_t>();
  if (j.contains("moved_from") && !text("moved_from", &e.moved_from)) return BadEntry("'moved_from' is not a string");
  if (auto mv = j.find("move"); mv != j.end()) {
    if (!mv->is_object()) return BadEntry("'move' is not an object");
    DirectoryMove m;
    auto field = [&mv](const char* name, std::string* out, bool required) {
      auto it = mv->find(name);
      if (it == mv->end()) return !required;
      if (!it->is_string()) return false;
      *out = it->get<std::string>();
      return true;
    };
    if (!field("to", &m.to, true) || !field("from", &m.from, true) || !field("state", &m.state, true) ||
        !field("target_public", &m.target_public, false) || !field("secret_sha256", &m.secret_sha256, false)) {
      return BadEntry("'move' has a missing or non-string member");
    }
    auto started = mv->find("started_ms");
    if (started == mv->end() || !started->is_number_integer() ||
        (started->is_number_unsigned() && started->get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()})) {
      return BadEntry("'move.started_ms' is not an integer");
    }
    m.started_ms = started->get<int64_t>();
    e.move = std::move(m);
  }
  TKV_RETURN_IF_ERROR(CheckEntry(e));
  return e;
}

}  // namespace tenantkv::server::cluster
