// A fake cluster front for the tests of tenantkv-admin's `tenants move` and `cluster
// rebalance`: an httplib server on 127.0.0.1 answering just the routes
// those commands use, from a made-up directory, with scripted moves. Every
// node is served by this one server: node "nX" at the path prefix "/nX"
// (the CLI's --server URL takes a /PATH), the answering node also at "/".
#pragma once

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace tenantkv::testing {

class FakeCluster {
 public:
  // How the move of one tenant goes. The tenant's reads after the POST show
  // `states` one per read (the last one repeats); "done" puts it on the
  // target, "failed" leaves it where it was with `error`.
  struct MoveScript {
    int post_status = 202;         // another status answers a problem with post_code
    std::string post_code;         // e.g. "move_in_progress"
    std::vector<std::string> states = {"copying", "catching_up", "done"};
    std::string error = "copy failed: disk full";
    int unavailable_reads = 0;     // reads answered 503 tenant_unavailable first
  };

  FakeCluster() {
    const auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req.method + " " + Target(req));
      Route(req, res);
    };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeCluster() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The first node added answers /admin/v1/cluster. `url` "" = its prefix here.
  void AddNode(const std::string& id, bool alive = true, const std::string& url = "") {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_.push_back({id, alive, url.empty() ? this->url() + "/" + id : url});
  }
  void AddTenant(const std::string& id, const std::string& node, std::uint64_t bytes,
                 const std::string& state = "active") {
    std::lock_guard<std::mutex> lock(mu_);
    Tenant& t = tenants_[id];
    t.node = node;
    t.bytes = bytes;
    t.state = state;
  }
  void Script(const std::string& tenant, MoveScript script) {
    std::lock_guard<std::mutex> lock(mu_);
    scripts_[tenant] = std::move(script);
  }
  // Lists answer at most this many tenants a page, whatever the limit asked.
  void SetPageSize(std::size_t n) { page_size_ = n; }

  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> RequestsStartingWith(const std::string& prefix) {
    std::vector<std::string> out;
    for (const std::string& r : requests()) {
      if (r.rfind(prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }
  // The most moves started and not yet seen ended by a read, at any time.
  int max_in_flight() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }
  std::string NodeOf(const std::string& tenant) {
    std::lock_guard<std::mutex> lock(mu_);
    return tenants_[tenant].node;
  }

 private:
  using Json = nlohmann::ordered_json;
  struct Node {
    std::string id;
    bool alive;
    std::string url;
  };
  struct Tenant {
    std::string node;
    std::uint64_t bytes = 0;
    std::string state = "active";
    Json move;        // node_move, null before any
    int reads = 0;    // reads since the move started
    bool running = false;
  };

  static std::string Target(const httplib::Request& req) {
    std::string query;
    for (const auto& [name, value] : req.params) query += (query.empty() ? "?" : "&") + name + "=" + value;
    return req.path + query;
  }

  static void Problem(httplib::Response& res, int status, const std::string& code, const std::string& detail) {
    res.status = status;
    res.set_content(Json{{"type", "https://tenantkv.dev/problems/" + code}, {"title", "Error"}, {"status", status},
                         {"code", code}, {"detail", detail}}
                        .dump(),
                    "application/problem+json");
  }

  Json TenantJson(const std::string& id, const Tenant& t) const {
    Json j = {{"id", id}, {"node", t.node}, {"plan", "standard"}, {"tier", "column_family"}, {"state", t.state},
              {"usage", {{"keys", t.bytes / 10}, {"logical_bytes", t.bytes}}}};
    if (!t.move.is_null()) j["node_move"] = t.move;
    return j;
  }

  // Ids after `start_after` that `keep` accepts, one page.
  template <typename Keep, typename Item>
  Json Page(const httplib::Request& req, Keep keep, Item item) const {
    std::size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 100;
    limit = std::min(limit, page_size_);
    const std::string after = req.get_param_value("start_after");
    Json list = Json::array();
    Json next = nullptr;
    for (auto it = tenants_.upper_bound(after); it != tenants_.end(); ++it) {
      if (!keep(it->second)) continue;
      if (list.size() == limit) {
        next = list.back()["id"];
        break;
      }
      list.push_back(item(it->first, it->second));
    }
    return {{"tenants", list}, {"next", next}};
  }

  void Route(const httplib::Request& req, httplib::Response& res) {
    std::string path = req.path;
    std::string node = nodes_.empty() ? "" : nodes_.front().id;  // the answering node
    for (const Node& n : nodes_) {
      if (path.rfind("/" + n.id + "/", 0) == 0) {
        node = n.id;
        path = path.substr(n.id.size() + 1);
      }
    }
    const std::string tenants = "/admin/v1/tenants";
    if (path == "/admin/v1/cluster") {
      Json list = Json::array();
      for (const Node& n : nodes_) list.push_back({{"id", n.id}, {"url", n.url}, {"alive", n.alive}, {"bytes", 1}});
      res.set_content(Json{{"mode", "cluster"}, {"node", node}, {"nodes", list}}.dump(), "application/json");
    } else if (path == "/admin/v1/cluster/tenants") {
      const std::string only = req.get_param_value("node");
      res.set_content(Page(
                          req, [&](const Tenant& t) { return only.empty() || t.node == only; },
                          [](const std::string& id, const Tenant& t) {
                            return Json{{"id", id}, {"node", t.node}, {"state", "active"}, {"epoch", 1}};
                          })
                          .dump(),
                      "application/json");
    } else if (path == tenants) {
      res.set_content(Page(
                          req, [&](const Tenant& t) { return t.node == node; },
                          [this](const std::string& id, const Tenant& t) { return TenantJson(id, t); })
                          .dump(),
                      "application/json");
    } else if (path.rfind(tenants + "/", 0) == 0) {
      std::string id = path.substr(tenants.size() + 1);
      const bool move = req.method == "POST" && id.size() > 5 && id.substr(id.size() - 5) == "/move";
      if (move) id.resize(id.size() - 5);
      auto it = tenants_.find(id);
      if (it == tenants_.end()) return Problem(res, 404, "tenant_not_found", "tenant '" + id + "' does not exist");
      if (move) return StartMove(id, it->second, req, res);
      if (req.method == "GET") return Read(id, it->second, res);
      Problem(res, 405, "method_not_allowed", "no such route");
    } else {
      Problem(res, 404, "not_found", "no route " + path);
    }
  }

  void StartMove(const std::string& id, Tenant& t, const httplib::Request& req, httplib::Response& res) {
    const MoveScript& script = scripts_[id];
    if (script.post_status != 202) return Problem(res, script.post_status, script.post_code, "scripted refusal");
    const std::string to = Json::parse(req.body).value("node", "");
    if (to == t.node) return res.set_content(TenantJson(id, t).dump(), "application/json");
    t.move = {{"to", to}, {"state", "requested"}, {"copied_keys", 0}};
    t.reads = 0;
    t.running = true;
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    res.status = 202;
    res.set_content(TenantJson(id, t).dump(), "application/json");
  }

  void Read(const std::string& id, Tenant& t, httplib::Response& res) {
    if (t.running) {
      const MoveScript& script = scripts_[id];
      const int n = t.reads++;
      if (n < script.unavailable_reads) return Problem(res, 503, "tenant_unavailable", "switching");
      const std::size_t i = std::min<std::size_t>(n - script.unavailable_reads, script.states.size() - 1);
      const std::string state = script.states[i];
      t.move["state"] = state;
      t.move["copied_keys"] = 100 * (i + 1);
      if (state == "done" || state == "failed") {
        t.running = false;
        --in_flight_;
        if (state == "done") t.node = t.move["to"].get<std::string>();
        if (state == "failed") t.move["error"] = script.error;
      }
    }
    res.set_content(TenantJson(id, t).dump(), "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Node> nodes_;
  std::map<std::string, Tenant> tenants_;
  std::map<std::string, MoveScript> scripts_;
  std::size_t page_size_ = 1000;
  std::vector<std::string> requests_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

}  // namespace tenantkv::testing
