#include "tools/admin/tenancy_diff.h"

#include <algorithm>
#include <set>

#include "tools/admin/admin_routes.h"

namespace tenantkv::tools {
namespace {

constexpr const char* kGroups[] = {"defaults", "min", "max"};

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what, kTenancyFileReason);
}

// o[a] (and o[a][b]), or null when absent: const operator[] must not meet a missing key.
const Json& Get(const Json& o, const std::string& a) {
  static const Json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(a);
  return it == o.end() ? kNull : *it;
}
const Json& Get(const Json& o, const std::string& a, const std::string& b) { return Get(Get(o, a), b); }

std::string PlanPathOf(const PlanSpec& p) { return "plans[" + std::to_string(p.index) + "]"; }
std::string TenantPathOf(const TenantSpec& t) { return "tenants[" + std::to_string(t.index) + "]"; }

// A quota value as it shows in a line; a field the server lacks shows as "-".
std::string Value(const Json& quota, const std::string& field) {
  auto it = quota.find(field);
  return it == quota.end() ? "-" : it->dump();
}

Status CheckFields(const Json& quota, const std::set<std::string>& known, const std::string& path) {
  for (const auto& [field, value] : quota.items()) {
    if (known.count(field) == 0) return Invalid(path + "." + field, "not a quota field of this server");
  }
  return Status::Ok();
}

// `base` with the fields of `overlay` set.
Json Overlay(Json base, const Json& overlay) {
  for (const auto& [field, value] : overlay.items()) base[field] = value;
  return base;
}

// The plans as they will be: the live ones with the file's fields set; a
// new plan starts from (the desired) standard, as the server makes one.
Result<std::map<std::string, Json>> DesiredPlans(const TenancySpec& spec, const LiveState& live,
                                                 const std::vector<std::string>& fields) {
  std::map<std::string, Json> out = live.plans;
  auto apply = [&out](const PlanSpec& p, Json base) {
    for (const char* g : kGroups) {
      const Json& given = std::string(g) == "defaults" ? p.defaults : std::string(g) == "min" ? p.min : p.max;
      base[g] = Overlay(base.value(g, Json::object()), given);
    }
    out[p.name] = std::move(base);
  };
  for (const auto& p : spec.plans) {
    if (live.plans.count(p.name) != 0) apply(p, live.plans.at(p.name));
  }
  for (const auto& p : spec.plans) {
    if (live.plans.count(p.name) != 0) continue;
    if (out.count("standard") == 0)
      return Invalid(PlanPathOf(p), "the server has no plan 'standard' to start a new plan from");
    apply(p, out.at("standard"));
  }
  for (const auto& p : spec.plans) {
    const Json& plan = out.at(p.name);
    for (const auto& f : fields) {
      const Json& lo = Get(plan, "min", f);
      const Json& d = Get(plan, "defaults", f);
      const Json& hi = Get(plan, "max", f);
      if (!(lo <= d && d <= hi)) {
        return Invalid(PlanPathOf(p), "needs min <= defaults <= max for " + f + ", but they would be " +
                                          lo.dump() + ", " + d.dump() + ", " + hi.dump());
      }
    }
  }
  return out;
}

void DiffPlans(const TenancySpec& spec, const LiveState& live, const std::map<std::string, Json>& desired,
               const std::vector<std::string>& fields, std::vector<TenancyChange>& out) {
  std::vector<const PlanSpec*> plans;
  for (const auto& p : spec.plans) plans.push_back(&p);
  std::sort(plans.begin(), plans.end(),
            [](const PlanSpec* a, const PlanSpec* b) { return a->name < b->name; });
  for (const PlanSpec* p : plans) {
    const bool exists = live.plans.count(p->name) != 0;
    const Json& want = desired.at(p->name);
    const Json& have = exists ? live.plans.at(p->name) : desired.at("standard");
    TenancyChange c;
    if (!exists) c.lines.push_back("+ plan " + p->name);
    Json body = Json::object();
    for (const char* g : kGroups) {
      for (const auto& f : fields) {
        const Json& w = Get(want, g, f);
        if (Get(have, g, f) == w) continue;
        c.lines.push_back("~ plan " + p->name + " " + g + "." + f + " " + Value(Get(have, g), f) + " -> " +
                          w.dump());
        body[g][f] = w;
      }
    }
    // A new plan is sent whole, so it does not depend on standard at the time.
    if (!exists)
      body = {{"defaults", Get(want, "defaults")}, {"min", Get(want, "min")}, {"max", Get(want, "max")}};
    if (c.lines.empty()) continue;
    c.requests.push_back({"PUT", PlanPath(p->name), std::move(body)});
    out.push_back(std::move(c));
  }
}

std::string Quoted(const std::string& s) { return Json(s).dump(); }

std::string KeyLine(char op, const std::string& tenant, const std::string& name) {
  return std::string(1, op) + " apikey " + tenant + " " + Quoted(name);
}

TenancyChange CreateKey(const std::string& tenant, const KeySpec& k) {
  Json body{{"role", k.role}, {"name", k.name}};
  if (k.expires_at) body["expires_at"] = *k.expires_at;
  TenancyChange c;
  c.lines.push_back(KeyLine('+', tenant, k.name) + " (role " + k.role +
                    (k.expires_at ? ", expires " + *k.expires_at : "") + ")");
  c.requests.push_back({"POST", ApiKeysPath(tenant), std::move(body)});
  c.new_key = NewKey{tenant, k.name, k.role};
  return c;
}

void DiffKeys(const std::string& tenant, const std::vector<KeySpec>& want, const std::vector<LiveKey>& have,
              bool prune, std::vector<TenancyChange>& out) {
  std::map<std::string, std::vector<const LiveKey*>> by_name;
  for (const auto& k : have) by_name[k.name].push_back(&k);
  std::map<std::string, const KeySpec*> wanted;
  for (const auto& k : want) wanted[k.name] = &k;
  std::set<std::string> names;
  for (const auto& [name, keys] : by_name) names.insert(name);
  for (const auto& [name, k] : wanted) names.insert(name);
  for (const auto& name : names) {
    auto w = wanted.find(name);
    auto h = by_name.find(name);
    if (w == wanted.end()) {
      if (!prune) continue;
      for (const LiveKey* k : h->second) {
        TenancyChange c;
        c.lines.push_back(KeyLine('-', tenant, name) + " (revoke " + k->key_id + ")");
        c.requests.push_back({"DELETE", ApiKeyPath(tenant, k->key_id), std::nullopt});
        out.push_back(std::move(c));
      }
      continue;
    }
    if (h == by_name.end()) {
      out.push_back(CreateKey(tenant, *w->second));
      continue;
    }
    const std::string& role = w->second->role;
    auto match =
        std::find_if(h->second.rbegin(), h->second.rend(), [&](const LiveKey* k) { return k->role == role; });
    if (match != h->second.rend()) {
      if (!prune) continue;
      for (const LiveKey* k : h->second) {  // one key per name: the others go
        if (k == *match) continue;
        TenancyChange c;
        c.lines.push_back(KeyLine('-', tenant, name) + " (revoke " + k->key_id +
                          ", another key of this name)");
        c.requests.push_back({"DELETE", ApiKeyPath(tenant, k->key_id), std::nullopt});
        out.push_back(std::move(c));
      }
      continue;
    }
    // The role differs: a key's role cannot change, so a new key replaces it.
    TenancyChange c = CreateKey(tenant, *w->second);
    std::string ids;
    for (const LiveKey* k : h->second) {
      ids += (ids.empty() ? "" : ", ") + k->key_id;
      c.requests.push_back({"DELETE", ApiKeyPath(tenant, k->key_id), std::nullopt});
    }
    c.lines = {KeyLine('~', tenant, name) + " role " + h->second.back()->role + " -> " + role +
               " (rotate: create a new key, then revoke " + ids + ")"};
    out.push_back(std::move(c));
  }
}

TenancyChange StateChange(const std::string& id, const std::string& from, const std::string& to) {
  TenancyChange c;
  c.lines.push_back("~ tenant " + id + " state " + from + " -> " + to);
  c.requests.push_back({"POST", TenantPath(id) + (to == "active" ? "/resume" : "/suspend"), std::nullopt});
  return c;
}

Status DiffTenant(const TenantSpec& t, const LiveTenant* have, const std::map<std::string, Json>& plans,
                  const std::vector<std::string>& fields, bool prune, std::vector<TenancyChange>& out) {
  const std::string path = TenantPathOf(t);
  if (have != nullptr && have->state == "deleting") {
    return Invalid(path + ".id",
                   "tenant '" + t.id + "' is being deleted on the server; apply again once it is gone");
  }
  if (have != nullptr && t.plan && *t.plan != have->plan) {
    return Invalid(path + ".plan", "tenant '" + t.id + "' is on plan '" + have->plan +
                                       "' and a tenant's plan cannot be changed");
  }
  if (have != nullptr && t.tier && *t.tier != have->tier) {
    return Invalid(path + ".tier", "tenant '" + t.id + "' is placed " + have->tier +
                                       " and a tenant's tier cannot be changed");
  }
  const std::string plan = t.plan ? *t.plan : have != nullptr ? have->plan : "standard";
  auto p = plans.find(plan);
  if (p == plans.end()) return Invalid(path + ".plan", "no plan '" + plan + "' on the server or in the file");
  const Json& defaults = Get(p->second, "defaults");

  Json quota = have != nullptr ? have->quota : defaults;
  std::string state = have != nullptr ? have->state : "active";
  if (have == nullptr) {
    Json body{{"id", t.id}, {"plan", plan}};
    if (t.tier) body["tier"] = *t.tier;
    TenancyChange c;
    c.lines.push_back("+ tenant " + t.id + " (plan " + plan + (t.tier ? ", tier " + *t.tier : "") + ")");
    c.requests.push_back({"POST", TenantsPath(), std::move(body)});
    out.push_back(std::move(c));
  }
  if (t.state && *t.state == "active" && state == "suspended")
    out.push_back(StateChange(t.id, state, "active"));
  if (t.quota) {
    const Json want = Overlay(defaults, *t.quota);
    TenancyChange c;
    Json body = Json::object();
    for (const auto& f : fields) {
      if (Get(quota, f) == Get(want, f)) continue;
      c.lines.push_back("~ tenant " + t.id + " quota." + f + " " + Value(quota, f) + " -> " +
                        Get(want, f).dump());
      body[f] = Get(want, f);
    }
    if (!c.lines.empty()) {
      c.requests.push_back({"PUT", QuotaPath(t.id), std::move(body)});
      out.push_back(std::move(c));
    }
  }
  if (t.api_keys)
    DiffKeys(t.id, *t.api_keys, have != nullptr ? have->keys : std::vector<LiveKey>{}, prune, out);
  if (t.state && *t.state == "suspended" && state == "active")
    out.push_back(StateChange(t.id, state, "suspended"));
  return Status::Ok();
}

}  // namespace

std::vector<std::string> QuotaFieldsOf(const std::map<std::string, Json>& plans) {
  std::vector<std::string> out;
  if (plans.empty()) return out;
  const Json& defaults = plans.begin()->second.value("defaults", Json::object());
  for (const auto& [field, value] : defaults.items()) out.push_back(field);
  return out;
}

Result<std::vector<TenancyChange>> DiffTenancy(const TenancySpec& spec, const LiveState& live, bool prune) {
  const std::set<std::string> known(live.quota_fields.begin(), live.quota_fields.end());
  for (const auto& p : spec.plans) {
    TKV_RETURN_IF_ERROR(CheckFields(p.defaults, known, PlanPathOf(p) + ".defaults"));
    TKV_RETURN_IF_ERROR(CheckFields(p.min, known, PlanPathOf(p) + ".min"));
    TKV_RETURN_IF_ERROR(CheckFields(p.max, known, PlanPathOf(p) + ".max"));
  }
  for (const auto& t : spec.tenants) {
    if (t.quota) TKV_RETURN_IF_ERROR(CheckFields(*t.quota, known, TenantPathOf(t) + ".quota"));
  }
  TKV_ASSIGN_OR_RETURN(auto plans, DesiredPlans(spec, live, live.quota_fields));
  std::vector<TenancyChange> out;
  DiffPlans(spec, live, plans, live.quota_fields, out);

  std::map<std::string, const TenantSpec*> wanted;
  for (const auto& t : spec.tenants) wanted[t.id] = &t;
  std::set<std::string> ids;
  for (const auto& [id, t] : wanted) ids.insert(id);
  if (prune) {
    for (const auto& [id, t] : live.tenants) ids.insert(id);
  }
  for (const auto& id : ids) {
    auto w = wanted.find(id);
    auto h = live.tenants.find(id);
    const LiveTenant* have = h == live.tenants.end() ? nullptr : &h->second;
    if (w != wanted.end()) {
      TKV_RETURN_IF_ERROR(DiffTenant(*w->second, have, plans, live.quota_fields, prune, out));
    } else if (have != nullptr && have->state != "deleting") {
      TenancyChange c;
      c.lines.push_back("- tenant " + id);
      c.requests.push_back({"DELETE", TenantPath(id), std::nullopt});
      c.deletes_tenant = true;
      out.push_back(std::move(c));
    }
  }
  return out;
}

Json ExportTenancy(const LiveState& live) {
  Json plans = Json::array();
  for (const auto& [name, plan] : live.plans) {
    Json p{{"name", name}};
    for (const char* g : kGroups) p[g] = plan.value(g, Json::object());
    plans.push_back(std::move(p));
  }
  Json tenants = Json::array();
  for (const auto& [id, t] : live.tenants) {
    if (t.state == "deleting") continue;
    Json entry{{"id", id}, {"plan", t.plan}, {"tier", t.tier}, {"state", t.state}};
    Json overrides = Json::object();
    auto plan = live.plans.find(t.plan);
    const Json defaults =
        plan == live.plans.end() ? Json::object() : plan->second.value("defaults", Json::object());
    for (const auto& f : live.quota_fields) {
      if (t.quota.contains(f) && Get(defaults, f) != Get(t.quota, f)) overrides[f] = Get(t.quota, f);
    }
    entry["quota"] = std::move(overrides);
    std::map<std::string, const LiveKey*> newest;  // by name; `keys` is oldest first
    std::vector<std::string> order;
    for (const auto& k : t.keys) {
      if (newest.count(k.name) == 0) order.push_back(k.name);
      newest[k.name] = &k;
    }
    Json keys = Json::array();
    for (const auto& name : order) {
      const LiveKey* k = newest.at(name);
      Json key{{"name", k->name}, {"role", k->role}};
      if (k->expires_at) key["expires_at"] = *k->expires_at;
      keys.push_back(std::move(key));
    }
    entry["api_keys"] = std::move(keys);
    tenants.push_back(std::move(entry));
  }
  return Json{{"version", 1}, {"plans", std::move(plans)}, {"tenants", std::move(tenants)}};
}

}  // namespace tenantkv::tools
