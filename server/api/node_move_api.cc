// The internal routes of moves between nodes (node_moves.h has the
// protocol), cluster mode only, for other nodes alone (Access::kNode:
// verified mutual TLS, or loopback). Every call on a transfer carries the
// mover's own secret as its bearer (tkvm_), checked against the digest
// the directory entry holds; the data keys inside the records are wrapped
// under a key the two nodes agreed and never sent.
//
//   POST /internal/v1/moves/{tenant}                 the source tells the target
//   POST /internal/v1/transfers                      {"tenant","public_key"} -> 201 {"transfer","public_key"}
//   GET  /internal/v1/transfers/{tid}/records        JSON (keys wrapped)
//   GET  /internal/v1/transfers/{tid}/entries?limit=&after=<hex key>   a snapshot page (binary)
//   POST /internal/v1/transfers/{tid}/delta?limit=   a delta page (binary; it takes the keys it gives)
//   POST /internal/v1/transfers/{tid}/rescan         204
//   POST /internal/v1/transfers/{tid}/freeze         204
//   GET  /internal/v1/transfers/{tid}/counters       JSON
//   POST /internal/v1/transfers/{tid}/settle         204: the source reads the outcome from etcd
#include <charconv>

#include "crypto/hash.h"
#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/node_moves.h"

namespace tenantkv::server {
namespace {

constexpr char kBinary[] = "application/octet-stream";

Result<NodeMoves*> MovesOf(ClusterFront* cluster) {
  if (cluster == nullptr || cluster->moves() == nullptr) return Status::NotFound("no such route", "route_not_found");
  return cluster->moves();
}

// ?limit= within 1..`max`, `fallback` when absent.
Result<size_t> LimitOf(const Call& c, size_t fallback, size_t max) {
  auto it = c.query.find("limit");
  if (it == c.query.end()) return fallback;
  size_t v = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > max) {
    return Status::InvalidArgument("'limit' must be 1.." + std::to_string(max), "invalid_limit");
  }
  return v;
}

std::string AuthorizationOf(const Call& c) { return std::string(c.req.Header("Authorization")); }

// A route answering a JSON document the source makes for a transfer
// (records, counters), never cached.
Handler JsonOfTransfer(ClusterFront* cluster,
                       Result<std::string> (NodeMoves::*fn)(const std::string&, std::string_view)) {
  return [cluster, fn](Call& c) -> Status {
    TKV_ASSIGN_OR_RETURN(NodeMoves * moves, MovesOf(cluster));
    TKV_ASSIGN_OR_RETURN(std::string doc, (moves->*fn)(c.params["tid"], AuthorizationOf(c)));
    c.res.status = 200;
    c.res.SetHeader("Cache-Control", "no-store");
    c.res.SetBody(std::move(doc), "application/json");
    return Status::Ok();
  };
}

}  // namespace

void AddNodeMoveRoutes(ApiRouter& router, ClusterFront* cluster) {
  const std::string t = "/internal/v1/transfers/{tid}";
  router.Add("POST", "/internal/v1/moves/{tenant}", {"internal.moves.take", Access::kNode, false, [cluster](Call& c) {
                TKV_ASSIGN_OR_RETURN(NodeMoves * moves, MovesOf(cluster));
                TKV_RETURN_IF_ERROR(moves->Take(c.params["tenant"]));
                WriteJson(c.res, 202, {{"tenant", c.params["tenant"]}, {"state", "taken"}});
                return Status::Ok();
              }});
  router.Add("POST", "/internal/v1/transfers", {"internal.transfers.begin", Access::kNode, false, [cluster](Call& c) {
                TKV_ASSIGN_OR_RETURN(NodeMoves * moves, MovesOf(cluster));
                TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
                auto tenant = body.find("tenant");
                auto key = body.find("public_key");
                if (body.size() != 2 || tenant == body.end() || !tenant->is_string() || key == body.end() ||
                    !key->is_string()) {
                  return Status::InvalidArgument("the body is {\"tenant\", \"public_key\"}", "invalid_field");
                }
                TKV_ASSIGN_OR_RETURN(NodeMoves::Begun begun,
                                     moves->BeginOut(tenant->get<std::string>(), key->get<std::string>(),
                                                     AuthorizationOf(c)));
                WriteJson(c.res, 201,
                          {{"transfer", begun.transfer}, {"public_key", crypto::HexEncode(begun.public_key)}});
                return Status::Ok();
              }});
  router.Add("GET", t + "/records",
             {"internal.transfers.records", Access::kNode, false, JsonOfTransfer(cluster, &NodeMoves::Records)});
  router.Add("GET", t + "/entries", {"internal.transfers.entries", Access::kNode, false, [cluster](Call& c) {
                TKV_ASSIGN_OR_RETURN(NodeMoves * moves, MovesOf(cluster));
                TKV_ASSIGN_OR_RETURN(size_t limit, LimitOf(c, 1000, 10'000));
                std::string after;
                if (auto it = c.query.find("after"); it != c.query.end()) {
                  std::optional<std::string> raw = crypto::HexDecode(it->second);
                  if (!raw) return Status::InvalidArgument("'after' must be hex", "invalid_parameter");
                  after = std::move(*raw);
                }
                TKV_ASSIGN_OR_RETURN(std::string page, moves->Entries(c.params["tid"], AuthorizationOf(c), after, limit));
                c.res.status = 200;
                c.res.SetBody(std::move(page), kBinary);
                return Status::Ok();
              }});
  router.Add("POST", t + "/delta", {"internal.transfers.delta", Access::kNode, false, [cluster](Call& c) {
                TKV_ASSIGN_OR_RETURN(NodeMoves * moves, MovesOf(cluster));
                TKV_ASSIGN_OR_RETURN(size_t limit, LimitOf(c, 1000, 100'000));
                TKV_ASSIGN_OR_RETURN(std::string page, moves->Delta(c.params["tid"], AuthorizationOf(c), limit));
                c.res.status = 200;
                c.res.SetBody(std::move(page), kBinary);
                return Status::Ok();
              }});
  auto no_content = [cluster](Status (NodeMoves::*fn)(const std::string&, std::string_view)) {
    return [cluster, fn](Call& c) -> Status {
      TKV_ASSIGN_OR_RETURN(NodeMoves * moves, MovesOf(cluster));
      TKV_RETURN_IF_ERROR((moves->*fn)(c.params["tid"], AuthorizationOf(c)));
      c.res.status = 204;
      return Status::Ok();
    };
  };
  router.Add("POST", t + "/rescan", {"internal.transfers.rescan", Access::kNode, false, no_content(&NodeMoves::Rescan)});
  router.Add("POST", t + "/freeze", {"internal.transfers.freeze", Access::kNode, false, no_content(&NodeMoves::Freeze)});
  router.Add("POST", t + "/settle", {"internal.transfers.settle", Access::kNode, false, no_content(&NodeMoves::Settle)});
  router.Add("GET", t + "/counters",
             {"internal.transfers.counters", Access::kNode, false, JsonOfTransfer(cluster, &NodeMoves::Counters)});
}

}  // namespace tenantkv::server
