#include "tests/testing/crash_check.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/http/base64.h"
#include "server/http/url.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

std::string Describe(const KeyState& s) {
  if (!s) return "<absent>";
  return s->size() <= 40 ? "\"" + *s + "\"" : "\"" + s->substr(0, 40) + "...\" (" + std::to_string(s->size()) + " bytes)";
}

std::string Printable(const std::string& key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

int64_t WriteLedger::Begin(const std::string& tenant, std::vector<WriteOp> ops) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t ticket = next_ticket_++;
  pending_[ticket] = Pending{tenant, std::move(ops)};
  return ticket;
}

void WriteLedger::Acknowledge(int64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  for (const auto& op : it->second.ops) state_[{it->second.tenant, op.key}] = op.after;
  acknowledged_ops_ += static_cast<int64_t>(it->second.ops.size());
  pending_.erase(it);
}

void WriteLedger::Refused(int64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(ticket);
}

int64_t WriteLedger::acknowledged_ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acknowledged_ops_;
}

int64_t WriteLedger::unresolved_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(pending_.size());
}

std::map<std::string, KeyState> WriteLedger::KeysOf(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, KeyState> out;
  for (auto it = state_.lower_bound({tenant, ""}); it != state_.end() && it->first.first == tenant; ++it) {
    out[it->first.second] = it->second;
  }
  return out;
}

std::vector<std::string> WriteLedger::Reconcile(const std::string& tenant,
                                                const std::map<std::string, std::string>& observed,
                                                int64_t* checked) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> violations;
  auto now = [&](const std::string& key) -> KeyState {
    auto it = observed.find(key);
    if (it == observed.end()) return std::nullopt;
    return it->second;
  };
  auto acked = [&](const std::string& key) -> KeyState {
    auto it = state_.find({tenant, key});
    return it == state_.end() ? KeyState() : it->second;
  };
  std::set<std::string> judged;
  // Unresolved writes: each applied whole, or not at all.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.tenant != tenant) {
      ++it;
      continue;
    }
    bool all_new = true, all_old = true;
    std::string detail;
    for (const auto& op : it->second.ops) {
      judged.insert(op.key);
      const KeyState seen = now(op.key);
      all_new = all_new && seen == op.after;
      all_old = all_old && seen == acked(op.key);
      detail += " [" + Printable(op.key) + ": now " + Describe(seen) + ", acknowledged " +
                Describe(acked(op.key)) + ", in flight " + Describe(op.after) + "]";
    }
    if (!all_new && !all_old) {
      violations.push_back(tenant + ": a write in flight at the crash was applied in part or wrongly:" + detail);
    }
    it = pending_.erase(it);
  }
  // Acknowledged state of every other tracked key.
  for (auto it = state_.lower_bound({tenant, ""}); it != state_.end() && it->first.first == tenant; ++it) {
    const std::string& key = it->first.second;
    if (judged.count(key) != 0) continue;
    judged.insert(key);
    const KeyState seen = now(key);
    if (seen != it->second) {
      violations.push_back(tenant + ": key " + Printable(key) + " is " + Describe(seen) +
                           " but the acknowledged state is " + Describe(it->second));
    }
  }
  for (const auto& [key, value] : observed) {
    if (judged.count(key) == 0) {
      violations.push_back(tenant + ": key " + Printable(key) + " (" + Describe(value) +
                           ") was never written to this tenant");
    }
  }
  // Adopt what survived: from now on it is the acknowledged state.
  for (const auto& key : judged) state_[{tenant, key}] = now(key);
  *checked += static_cast<int64_t>(judged.size());
  return violations;
}

std::optional<std::map<std::string, std::string>> ListEverything(const TestServer& server,
                                                                 const std::string& token) {
  std::map<std::string, std::string> out;
  std::optional<std::string> after;
  for (int page = 0; page < 100000; ++page) {
    std::string path = "/v1/kv?values=true&limit=1000";
    if (after) path += "&start_after=" + server::PercentEncode(*after);
    auto r = server.Get(path, token);
    if (!r || r->status != 200) {
      ADD_FAILURE() << "listing failed: " << (r ? std::to_string(r->status) + " " + r->body : "no response");
      return std::nullopt;
    }
    json body = json::parse(r->body);
    for (const auto& item : body["items"]) {
      std::string key = item["key"].get<std::string>();
      if (item.contains("key_b64")) key = server::Base64Decode(item["key_b64"].get<std::string>()).value();
      out[key] = server::Base64Decode(item["value_b64"].get<std::string>()).value();
    }
    if (body["next"].is_null()) return out;
    after = body.contains("next_b64") ? server::Base64Decode(body["next_b64"].get<std::string>()).value()
                                      : body["next"].get<std::string>();
  }
  ADD_FAILURE() << "listing did not end";
  return std::nullopt;
}

std::vector<std::string> VerifyAfterRestart(const TestServer& server, WriteLedger& ledger,
                                            const std::vector<TenantHandle>& tenants,
                                            int64_t* checked) {
  std::vector<std::string> violations;
  for (const auto& t : tenants) {
    auto listed = ListEverything(server, t.token);
    if (!listed) {
      violations.push_back(t.id + ": cannot list");
      continue;
    }
    for (auto& v : ledger.Reconcile(t.id, *listed, checked)) violations.push_back(std::move(v));
    // Point reads agree with the listing, absent keys included.
    for (const auto& [key, state] : ledger.KeysOf(t.id)) {
      auto r = server.Get(KvPath(key), t.token);
      const int want = state ? 200 : 404;
      if (!r || r->status != want || (state && r->body != *state)) {
        violations.push_back(t.id + ": GET " + Printable(key) + " gave " +
                             (r ? std::to_string(r->status) : std::string("no response")) + ", expected " +
                             Describe(state));
      }
    }
    // Usage counters were committed with the data: they equal a recount.
    int64_t bytes = 0;
    for (const auto& [key, value] : *listed) bytes += static_cast<int64_t>(key.size() + value.size());
    auto r = server.Get("/v1/usage", t.token);
    if (!r || r->status != 200) {
      violations.push_back(t.id + ": GET /v1/usage failed");
      continue;
    }
    json usage = json::parse(r->body)["usage"];
    if (usage["keys"].get<int64_t>() != static_cast<int64_t>(listed->size()) ||
        usage["logical_bytes"].get<int64_t>() != bytes) {
      violations.push_back(t.id + ": usage says " + usage.dump() + " but a recount gives keys " +
                           std::to_string(listed->size()) + ", logical_bytes " + std::to_string(bytes));
    }
  }
  return violations;
}

}  // namespace tenantkv::testing
