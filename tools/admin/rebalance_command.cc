#include "tools/admin/rebalance_command.h"

#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/json_table.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/percent_encoding.h"
#include "tools/admin/problem_details.h"
#include "tools/admin/tenant_move.h"
#include "tools/admin/terminal_text.h"
#include "tools/admin/text_table.h"

namespace tenantkv::tools {
namespace {

// The largest page the lists give: the fewest calls.
constexpr char kPageLimit[] = "1000";

std::string StringAt(const Json& object, const char* name) {
  const Json* v = FindPath(object, name);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::uint64_t BytesAt(const Json& object, const char* path) {
  const Json* v = FindPath(object, path);
  if (v == nullptr || !v->is_number_integer() || v->get<std::int64_t>() < 0) return 0;
  return v->get<std::uint64_t>();
}

Result<Json> GetJson(HttpTransport& transport, const std::string& path) {
  Result<HttpResponse> r = transport.Send({"GET", path, std::nullopt});
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status >= 300) return HttpErrorStatus(r->status, r->body);
  Json body = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::Internal("the server's answer to GET " + path + " is not a JSON object", "bad_answer");
  }
  return body;
}

// Every page of the list at `path` (which has a query already) in one array.
Result<Json> GetAllPages(HttpTransport& transport, const std::string& path, const std::string& items) {
  TKV_ASSIGN_OR_RETURN(Json first, GetJson(transport, path));
  TKV_ASSIGN_OR_RETURN(Json all, FollowPages(path, items)(first, transport));
  return all[items];
}

// A tenant of `node` as a tenant JSON shows it; nullopt for one that is
// being deleted or that another node holds (a list may show a tenant
// mid-move on both sides; its "node" says whose it is).
std::optional<TenantSize> HeldTenant(const Json& tenant, const std::string& node) {
  const std::string owner = StringAt(tenant, "node");
  if (StringAt(tenant, "state") == "deleting" || (!owner.empty() && owner != node)) return std::nullopt;
  const std::string id = StringAt(tenant, "id");
  if (id.empty()) return std::nullopt;
  return TenantSize{id, node, BytesAt(tenant, "usage.logical_bytes")};
}

// The node's own tenant list: one call per 1000 of its tenants.
Result<std::vector<TenantSize>> TenantsFromNodeList(HttpTransport& node_transport, const std::string& node) {
  TKV_ASSIGN_OR_RETURN(Json list, GetAllPages(node_transport, TenantsPath() + "?limit=" + kPageLimit, "tenants"));
  std::vector<TenantSize> out;
  for (const Json& t : list) {
    if (std::optional<TenantSize> held = HeldTenant(t, node)) out.push_back(std::move(*held));
  }
  return out;
}

// Through --server alone: the directory names the node's tenants, and each
// is read from its owner (forwarded), one call per tenant.
Result<std::vector<TenantSize>> TenantsOneByOne(HttpTransport& transport, const std::string& node) {
  TKV_ASSIGN_OR_RETURN(Json directory,
                       GetAllPages(transport,
                                   "/admin/v1/cluster/tenants?node=" + EncodePathSegment(node) +
                                       "&limit=" + kPageLimit,
                                   "tenants"));
  std::vector<TenantSize> out;
  for (const Json& entry : directory) {
    const std::string id = StringAt(entry, "id");
    if (id.empty() || StringAt(entry, "state") != "active") continue;  // "creating" is not served yet
    Result<Json> tenant = GetJson(transport, TenantPath(id));
    if (!tenant.ok() && tenant.status().code() == Code::kNotFound) continue;  // deleted since
    if (!tenant.ok()) return tenant.status();
    if (std::optional<TenantSize> held = HeldTenant(*tenant, node)) out.push_back(std::move(*held));
  }
  return out;
}

// Every node is read at its own URL, the one --server names too: behind a
// load balancer, a list asked of --server may come from any node.
Result<std::vector<TenantSize>> ReadNode(HttpTransport& transport, const ProgramContext::Connect& connect,
                                         const std::string& node, const std::string& url,
                                         std::vector<std::string>& notes) {
  std::string why = "it has no URL";
  if (connect && !url.empty()) {
    Result<std::unique_ptr<HttpTransport>> node_transport = connect(url);
    if (node_transport.ok()) {
      Result<std::vector<TenantSize>> held = TenantsFromNodeList(**node_transport, node);
      if (held.ok() || held.status().reason() != "transport") return held;
      why = held.status().message();
    } else {
      why = node_transport.status().message();
    }
  }
  notes.push_back("node " + OneLine(node) + ": tenants read one by one through --server (" + OneLine(why) + ")");
  return TenantsOneByOne(transport, node);
}

std::string Pretty(const Json& doc) { return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

double OneDecimal(double pct) { return std::round(pct * 10) / 10; }

std::string Percent(double pct) {
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(1);
  text << pct << "%";
  return text.str();
}

std::string Number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string StopReason(const RebalancePlan& plan, const PlanLimits& limits) {
  switch (plan.stop) {
    case PlanStop::kBalanced:
      return "the spread is within the tolerance of " + Number(limits.tolerance_pct) + "%";
    case PlanStop::kNoMoveHelps:
      return "no tenant can move without overshooting";
    case PlanStop::kMaxMoves:
      return "--max-moves " + std::to_string(limits.max_moves) + " reached";
  }
  return "";
}

// ------------------------------------------------------------ --apply

struct Outcome {
  std::string state = "not_started";  // done, failed, already_there, timed_out, not_started
  std::string error;
  std::optional<std::int64_t> copied_keys;
};

struct Running {
  std::size_t index;  // into plan.moves
  std::chrono::steady_clock::time_point started;
};

std::string MoveText(const PlannedMove& m) {
  return OneLine(m.tenant) + ": " + OneLine(m.from) + " -> " + OneLine(m.to);
}

class Applier {
 public:
  Applier(const RebalanceOptions& options, const RebalancePlan& plan, HttpTransport& transport, std::ostream* out)
      : options_(options), plan_(plan), transport_(transport), out_(out), outcomes_(plan.moves.size()) {}

  // Starts moves while fewer than max_concurrent run, then reads each
  // running one, until every move has ended. One thread: the transport
  // takes one caller at a time, and a move takes minutes, not the reads.
  void Run() {
    std::size_t next = 0;
    std::vector<Running> running;
    bool stop_starting = false;
    while (true) {
      while (!stop_starting && next < plan_.moves.size() &&
             static_cast<int>(running.size()) < options_.max_concurrent) {
        if (Start(next)) running.push_back({next, std::chrono::steady_clock::now()});
        ++next;
      }
      if (running.empty()) break;
      std::this_thread::sleep_for(options_.poll_interval);
      for (auto it = running.begin(); it != running.end();) {
        if (Poll(*it, stop_starting)) {
          it = running.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  const std::vector<Outcome>& outcomes() const { return outcomes_; }

 private:
  void Say(const std::string& line) {
    if (out_ != nullptr) *out_ << line << "\n" << std::flush;
  }

  // POSTs move `i`; true when it runs now.
  bool Start(std::size_t i) {
    const PlannedMove& m = plan_.moves[i];
    Result<MoveStart> start = StartMove(transport_, m.tenant, m.to);
    if (!start.ok()) {
      outcomes_[i] = {"failed", start.status().message(), std::nullopt};
      Say("failed " + MoveText(m) + ": " + OneLine(start.status().message()));
      return false;
    }
    if (!start->started) {
      outcomes_[i].state = "already_there";
      Say("already there " + MoveText(m));
      return false;
    }
    Say("started " + MoveText(m) + " (" + std::to_string(m.bytes) + " bytes)");
    return true;
  }

  // Reads a running move; true when it has ended (or is given up on).
  bool Poll(const Running& r, bool& stop_starting) {
    const PlannedMove& m = plan_.moves[r.index];
    Outcome& o = outcomes_[r.index];
    Result<std::optional<MoveRead>> read = PollMove(transport_, m.tenant, m.to);
    if (!read.ok()) {
      o = {"failed", read.status().message(), std::nullopt};
      Say("failed " + MoveText(m) + ": " + OneLine(o.error));
      return true;
    }
    if (*read) {
      const MoveProgress& p = (*read)->progress;
      o.copied_keys = p.copied_keys;
      if (p.phase == MovePhase::kDone) {
        o.state = "done";
        Say("done " + MoveText(m) + (p.copied_keys ? " (" + std::to_string(*p.copied_keys) + " keys copied)" : ""));
        return true;
      }
      if (p.phase == MovePhase::kFailed) {
        o.state = "failed";
        o.error = p.error.empty() ? "no reason given" : p.error;
        Say("failed " + MoveText(m) + ": " + OneLine(o.error));
        return true;
      }
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - r.started;
    if (elapsed.count() < options_.move_timeout_seconds) return false;
    // It may still end well on the server, but no new move starts beside it:
    // the bound on moves in flight holds whatever it does.
    o.state = "timed_out";
    o.error = "not ended after " + Number(options_.move_timeout_seconds) + " s; no further move started";
    Say("timed out " + MoveText(m) + ": " + o.error);
    stop_starting = true;
    return true;
  }

  const RebalanceOptions& options_;
  const RebalancePlan& plan_;
  HttpTransport& transport_;
  std::ostream* out_;  // nullptr with --json: only the document at the end
  std::vector<Outcome> outcomes_;
};

Result<CommandOutput> RunRebalance(const RebalanceOptions& options, HttpTransport& transport,
                                   const ProgramContext& context) {
  TKV_ASSIGN_OR_RETURN(ClusterSnapshot snapshot, ReadClusterSnapshot(transport, context.connect));
  const RebalancePlan plan = PlanRebalance(snapshot.nodes, snapshot.tenants, options.limits);
  std::ostream& out = options.out != nullptr ? *options.out : std::cout;
  Json doc = PlanJson(snapshot, plan, options.limits);
  std::string text;
  for (const std::string& note : snapshot.notes) text += "note: " + note + "\n";
  text += RenderPlan(plan, options.limits);
  if (!options.apply) return CommandOutput{context.json_output ? Pretty(doc) : text, kExitOk};

  if (!context.json_output) out << text << "\n" << std::flush;
  Applier applier(options, plan, transport, context.json_output ? nullptr : &out);
  applier.Run();
  std::size_t done = 0;
  std::size_t failed = 0;
  Json outcomes = Json::array();
  for (std::size_t i = 0; i < plan.moves.size(); ++i) {
    const PlannedMove& m = plan.moves[i];
    const Outcome& o = applier.outcomes()[i];
    if (o.state == "done" || o.state == "already_there") {
      ++done;
    } else {
      ++failed;
    }
    Json entry = {{"tenant", m.tenant}, {"from", m.from}, {"to", m.to}, {"bytes", m.bytes}, {"outcome", o.state}};
    if (o.copied_keys) entry["copied_keys"] = *o.copied_keys;
    if (!o.error.empty()) entry["error"] = o.error;
    outcomes.push_back(std::move(entry));
  }
  if (context.json_output) {
    doc["outcomes"] = std::move(outcomes);
    out << Pretty(doc);
  } else {
    out << "moves: " << done << " done, " << failed << " not done\n";
  }
  out << std::flush;
  if (failed > 0) {
    return Status::Internal(std::to_string(failed) + " of " + std::to_string(plan.moves.size()) +
                                " moves did not complete",
                            "moves_failed");
  }
  return CommandOutput{"", kExitOk};
}

}  // namespace

Result<ClusterSnapshot> ReadClusterSnapshot(HttpTransport& transport, const ProgramContext::Connect& connect) {
  TKV_ASSIGN_OR_RETURN(Json cluster, GetJson(transport, "/admin/v1/cluster"));
  const Json* nodes = FindPath(cluster, "nodes");
  if (nodes == nullptr || !nodes->is_array()) {
    return Status::Internal("the server's answer to GET /admin/v1/cluster has no \"nodes\"", "bad_answer");
  }
  ClusterSnapshot snapshot;
  std::vector<std::string> urls;  // beside snapshot.nodes
  for (const Json& n : *nodes) {
    const std::string id = StringAt(n, "id");
    if (id.empty()) continue;
    const Json* alive = FindPath(n, "alive");
    snapshot.nodes.push_back({id, alive != nullptr && alive->is_boolean() && alive->get<bool>(), BytesAt(n, "bytes")});
    urls.push_back(StringAt(n, "url"));
  }
  // With fewer than two alive nodes (a standalone server too) nothing can
  // move: their tenants are not read.
  std::size_t alive_nodes = 0;
  for (const NodeLoad& load : snapshot.nodes) alive_nodes += load.alive ? 1 : 0;
  if (alive_nodes < 2) return snapshot;
  for (std::size_t i = 0; i < snapshot.nodes.size(); ++i) {
    NodeLoad& load = snapshot.nodes[i];
    if (!load.alive) continue;
    TKV_ASSIGN_OR_RETURN(std::vector<TenantSize> held,
                         ReadNode(transport, connect, load.id, urls[i], snapshot.notes));
    // The sum of the tenants just read, not the node's own report, which
    // lags by up to a third of the lease TTL: the plan's arithmetic then
    // adds up.
    load.bytes = 0;
    for (TenantSize& t : held) {
      load.bytes += t.bytes;
      snapshot.tenants.push_back(std::move(t));
    }
  }
  return snapshot;
}

std::string RenderPlan(const RebalancePlan& plan, const PlanLimits& limits) {
  std::string out;
  if (plan.moves.empty()) {
    out = "no moves: " + StopReason(plan, limits) + "\n";
  } else {
    TextTable table({"TENANT", "FROM", "TO", "BYTES"});
    for (const PlannedMove& m : plan.moves) {
      table.AddRow({OneLine(m.tenant), OneLine(m.from), OneLine(m.to), std::to_string(m.bytes)});
    }
    out = table.Render();
    if (plan.stop != PlanStop::kBalanced) out += "(stopped: " + StopReason(plan, limits) + ")\n";
  }
  out += "spread: " + Percent(plan.spread_before_pct) + " before, " + Percent(plan.spread_after_pct) +
         " after (tolerance " + Number(limits.tolerance_pct) + "%)\n";
  return out;
}

Json PlanJson(const ClusterSnapshot& snapshot, const RebalancePlan& plan, const PlanLimits& limits) {
  Json nodes = Json::array();
  for (const NodeLoad& n : snapshot.nodes) {
    Json node = {{"id", n.id}, {"alive", n.alive}, {"bytes", n.bytes}};
    auto after = plan.bytes_after.find(n.id);
    node["bytes_after"] = after != plan.bytes_after.end() ? Json(after->second) : Json(nullptr);
    nodes.push_back(std::move(node));
  }
  Json moves = Json::array();
  for (const PlannedMove& m : plan.moves) {
    moves.push_back({{"tenant", m.tenant}, {"from", m.from}, {"to", m.to}, {"bytes", m.bytes}});
  }
  Json doc = {{"nodes", std::move(nodes)},
              {"moves", std::move(moves)},
              {"spread_before_pct", OneDecimal(plan.spread_before_pct)},
              {"spread_after_pct", OneDecimal(plan.spread_after_pct)},
              {"tolerance_pct", limits.tolerance_pct},
              {"max_moves", limits.max_moves},
              {"stopped", PlanStopName(plan.stop)}};
  if (!snapshot.notes.empty()) doc["notes"] = snapshot.notes;
  return doc;
}

AdminCommand ClusterRebalance(const RebalanceOptions& options) {
  AdminCommand c{{"GET", "/admin/v1/cluster", std::nullopt}, [](const Json&) { return std::string(); }};
  c.program = [options](HttpTransport& transport, const ProgramContext& context) {
    return RunRebalance(options, transport, context);
  };
  return c;
}

void AddRebalanceCommand(CLI::App& cluster, CommandSlot& slot) {
  CLI::App* cmd = cluster.add_subcommand(
      "rebalance", "Plan tenant moves that even out the alive nodes' bytes; print them or carry them out");
  CLI::Option* dry_run = cmd->add_flag("--dry-run", "Print the plan and change nothing");
  CLI::Option* apply = cmd->add_flag("--apply", "Carry the plan out, a few moves at a time");
  dry_run->excludes(apply);
  CLI::Option* concurrent = cmd->add_option("--max-concurrent", "Moves in flight at once, 1..16 (default 1)")
                                ->check(CLI::Range(1, 16));
  CLI::Option* max_moves =
      cmd->add_option("--max-moves", "Plan at most this many moves (default 10)")->check(CLI::Range(1, 10000));
  CLI::Option* tolerance =
      cmd->add_option("--tolerance", "Stop once (max - min) / max is at most PCT percent (default 10)")
          ->check(CLI::Range(0.0, 100.0));
  cmd->callback([&slot, dry_run, apply, concurrent, max_moves, tolerance] {
    if (dry_run->count() + apply->count() != 1) {
      slot.emplace(UsageError("cluster rebalance: give --dry-run or --apply"));
      return;
    }
    RebalanceOptions o;
    o.apply = apply->count() > 0;
    if (concurrent->count() > 0) o.max_concurrent = concurrent->as<int>();
    if (max_moves->count() > 0) o.limits.max_moves = max_moves->as<int>();
    if (tolerance->count() > 0) o.limits.tolerance_pct = tolerance->as<double>();
    slot.emplace(ClusterRebalance(o));
  });
}

}  // namespace tenantkv::tools
