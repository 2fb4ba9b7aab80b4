#include "server/cluster/etcd_client.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/http/base64.h"

namespace tenantkv::server::cluster {
namespace {

using json = nlohmann::json;

Status BadResponse(const std::string& why) {
  return Status::Internal("etcd answered unexpectedly: " + why, "etcd_bad_response");
}

// proto3's JSON mapping writes int64 as a string, and leaves out zeros.
Result<int64_t> Int64At(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return int64_t{0};
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    try {
      size_t used = 0;
      const long long v = std::stoll(s, &used);
      if (used == s.size()) return static_cast<int64_t>(v);
    } catch (const std::exception&) {
    }
  }
  return BadResponse(std::string("'") + name + "' is not an integer");
}

Result<std::string> BytesAt(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return BadResponse(std::string("'") + name + "' is not base64 text");
  std::optional<std::string> bytes = Base64Decode(it->get_ref<const std::string&>());
  if (!bytes) return BadResponse(std::string("'") + name + "' is not base64");
  return std::move(*bytes);
}

Result<EtcdKeyValue> KeyValueOf(const json& j) {
  if (!j.is_object()) return BadResponse("a key-value is not an object");
  EtcdKeyValue kv;
  TKV_ASSIGN_OR_RETURN(kv.key, BytesAt(j, "key"));
  TKV_ASSIGN_OR_RETURN(kv.value, BytesAt(j, "value"));
  TKV_ASSIGN_OR_RETURN(kv.create_revision, Int64At(j, "create_revision"));
  TKV_ASSIGN_OR_RETURN(kv.mod_revision, Int64At(j, "mod_revision"));
  TKV_ASSIGN_OR_RETURN(kv.version, Int64At(j, "version"));
  TKV_ASSIGN_OR_RETURN(kv.lease, Int64At(j, "lease"));
  return kv;
}

Result<json> ParseObject(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return BadResponse("not a JSON object");
  return j;
}

Result<int64_t> HeaderRevision(const json& j) {
  auto h = j.find("header");
  if (h == j.end() || !h->is_object()) return BadResponse("no header");
  return Int64At(*h, "revision");
}

json OpJson(const EtcdOp& op) {
  if (op.kind == EtcdOp::Kind::kDelete) {
    return {{"request_delete_range", {{"key", Base64Encode(op.key)}}}};
  }
  json put = {{"key", Base64Encode(op.key)}, {"value", Base64Encode(op.value)}};
  if (op.lease != 0) put["lease"] = std::to_string(op.lease);
  return {{"request_put", std::move(put)}};
}

json CompareJson(const EtcdCompare& c) {
  static const char* kTargets[] = {"CREATE", "MOD", "VERSION"};
  static const char* kFields[] = {"create_revision", "mod_revision", "version"};
  static const char* kOps[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
  const auto t = static_cast<size_t>(c.target);
  return {{"key", Base64Encode(c.key)},
          {"target", kTargets[t]},
          {"result", kOps[static_cast<size_t>(c.op)]},
          {kFields[t], std::to_string(c.value)}};
}

bool LeaseNotFound(const std::string& body) {
  return body.find("requested lease not found") != std::string::npos;
}

// Could not reach the endpoint at all: nothing was sent, so the next one
// may be tried without risking a second application of the request.
bool NotSent(httplib::Error e) {
  return e == httplib::Error::Connection || e == httplib::Error::ConnectionTimeout ||
         e == httplib::Error::SSLConnection || e == httplib::Error::SSLServerVerification ||
         e == httplib::Error::SSLLoadingCerts;
}

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

Result<std::unique_ptr<EtcdClient>> EtcdClient::Create(EtcdClientOptions options) {
  if (options.endpoints.empty()) return Status::InvalidArgument("no etcd endpoint given");
  if (options.connect_timeout_ms < 1 || options.connect_timeout_ms > 60000 || options.request_timeout_ms < 1 ||
      options.request_timeout_ms > 60000) {
    return Status::InvalidArgument("etcd timeouts must be 1..60000 ms");
  }
  if (options.max_response_bytes < 1024) return Status::InvalidArgument("etcd answers need at least 1 KiB");
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(options)));
}

Result<std::string> EtcdClient::Call(const std::string& path, const std::string& body) {
  const size_t n = options_.endpoints.size();
  const size_t first = preferred_.load() % n;
  std::string last_error;
  for (size_t i = 0; i < n; ++i) {
    const size_t at = (first + i) % n;
    const HttpEndpoint& e = options_.endpoints[at];
    httplib::Client client(e.Origin());
    client.set_connection_timeout(0, options_.connect_timeout_ms * 1000);
    client.set_read_timeout(0, options_.request_timeout_ms * 1000);
    client.set_write_timeout(0, options_.request_timeout_ms * 1000);
    client.set_keep_alive(false);
    if (e.scheme == "https" && !options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file.c_str());
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    req.set_header("Content-Type", "application/json");
    std::string answer;
    bool too_large = false;
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
      if (answer.size() + len > options_.max_response_bytes) {
        too_large = true;
        return false;
      }
      answer.append(data, len);
      return true;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client.send(req, res, error);
    if (too_large) return BadResponse("an answer larger than " + std::to_string(options_.max_response_bytes) + " bytes");
    // The gateway ends an error answer with a chunked trailer
    // (Grpc-Trailer-Content-Type) that this httplib fails to read, after
    // the whole body was received: the answer is there, only the trailer is not.
    const bool trailer_only = !sent && error == httplib::Error::Read && res.status >= 400 && !answer.empty() &&
                              nlohmann::json::accept(answer);
    if (!sent && !trailer_only) {
      last_error = e.Origin() + ": " + httplib::to_string(error);
      if (NotSent(error)) continue;
      preferred_.store((at + 1) % n);  // this one failed mid-call: start elsewhere next time
      return Status::Unavailable("etcd call failed at " + last_error, "etcd_unavailable");
    }
    preferred_.store(at);
    if (res.status >= 500) {
      return Status::Unavailable("etcd " + e.Origin() + " answered " + std::to_string(res.status),
                                 "etcd_unavailable");
    }
    if (res.status >= 400) {
      if (LeaseNotFound(answer)) return Status::NotFound("etcd does not know the lease", "lease_expired");
      return Status::FailedPrecondition("etcd refused " + path + " (" + std::to_string(res.status) + ")",
                                        "etcd_refused");
    }
    if (res.status != 200) return BadResponse("HTTP " + std::to_string(res.status));
    return answer;
  }
  return Status::Unavailable("no etcd endpoint reachable (last: " + last_error + ")", "etcd_unavailable");
}

Result<std::optional<EtcdKeyValue>> EtcdClient::Get(const std::string& key) {
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/kv/range", json{{"key", Base64Encode(key)}}.dump()));
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text));
  auto kvs = j.find("kvs");
  if (kvs == j.end() || kvs->is_null()) return std::optional<EtcdKeyValue>();
  if (!kvs->is_array() || kvs->size() != 1) return BadResponse("a single-key range with other than one key");
  TKV_ASSIGN_OR_RETURN(EtcdKeyValue kv, KeyValueOf((*kvs)[0]));
  return std::optional<EtcdKeyValue>(std::move(kv));
}

Result<std::vector<EtcdKeyValue>> EtcdClient::GetPrefix(const std::string& prefix, int64_t limit, bool* more) {
  if (prefix.empty()) return Status::InvalidArgument("an empty prefix would range over all of etcd");
  return Range(prefix, PrefixRangeEnd(prefix), limit, more);
}

Result<std::vector<EtcdKeyValue>> EtcdClient::GetRange(const std::string& start, const std::string& end,
                                                       int64_t limit, bool* more) {
  // etcd reads an empty start, or an empty end, as something else than a
  // range (all keys; the start key alone).
  if (start.empty()) return Status::InvalidArgument("a range needs a start key");
  if (end <= start) return Status::InvalidArgument("a range's end must sort after its start");
  return Range(start, end, limit, more);
}

Result<std::vector<EtcdKeyValue>> EtcdClient::Range(const std::string& start, const std::string& end, int64_t limit,
                                                    bool* more) {
  if (limit < 1 || limit > 10000) return Status::InvalidArgument("a range limit must be 1..10000");
  const json req = {{"key", Base64Encode(start)}, {"range_end", Base64Encode(end)}, {"limit", std::to_string(limit)}};
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/kv/range", req.dump()));
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text));
  std::vector<EtcdKeyValue> out;
  auto kvs = j.find("kvs");
  if (kvs != j.end() && !kvs->is_null()) {
    if (!kvs->is_array()) return BadResponse("'kvs' is not an array");
    if (kvs->size() > static_cast<size_t>(limit)) return BadResponse("more keys than the limit");
    for (const json& e : *kvs) {
      TKV_ASSIGN_OR_RETURN(EtcdKeyValue kv, KeyValueOf(e));
      out.push_back(std::move(kv));
    }
  }
  if (more != nullptr) *more = j.value("more", false);
  return out;
}

Result<int64_t> EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  json req = {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  if (lease != 0) req["lease"] = std::to_string(lease);
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/kv/put", req.dump()));
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text));
  return HeaderRevision(j);
}

Result<EtcdTxnResult> EtcdClient::Txn(const EtcdTxn& txn) {
  json req = {{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
  for (const auto& c : txn.compare) req["compare"].push_back(CompareJson(c));
  for (const auto& op : txn.success) req["success"].push_back(OpJson(op));
  for (const auto& op : txn.failure) req["failure"].push_back(OpJson(op));
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/kv/txn", req.dump()));
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text));
  EtcdTxnResult out;
  auto s = j.find("succeeded");
  if (s != j.end() && !s->is_boolean() && !s->is_null()) return BadResponse("'succeeded' is not a boolean");
  out.succeeded = s != j.end() && s->is_boolean() && s->get<bool>();
  TKV_ASSIGN_OR_RETURN(out.revision, HeaderRevision(j));
  return out;
}

Result<int64_t> EtcdClient::Delete(const std::string& key, bool prefix) {
  json req = {{"key", Base64Encode(key)}};
  if (prefix) {
    if (key.empty()) return Status::InvalidArgument("an empty prefix would delete all of etcd");
    req["range_end"] = Base64Encode(PrefixRangeEnd(key));
  }
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/kv/deleterange", req.dump()));
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text));
  return Int64At(j, "deleted");
}

Result<EtcdLease> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  if (ttl_seconds < 1 || ttl_seconds > 86400) return Status::InvalidArgument("a lease TTL must be 1..86400 s");
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_seconds)}}.dump()));
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text));
  EtcdLease lease;
  TKV_ASSIGN_OR_RETURN(lease.id, Int64At(j, "ID"));
  TKV_ASSIGN_OR_RETURN(lease.ttl_seconds, Int64At(j, "TTL"));
  if (lease.id == 0 || lease.ttl_seconds <= 0) {
    const std::string error = j.value("error", "");
    return BadResponse("a lease grant without an id or TTL" + (error.empty() ? "" : ": " + error.substr(0, 200)));
  }
  return lease;
}

Result<int64_t> EtcdClient::LeaseKeepAliveOnce(int64_t lease_id) {
  // A stream in gRPC; through the gateway one request gives one
  // {"result":{...}} (or {"error":{...}}) and the stream ends.
  TKV_ASSIGN_OR_RETURN(std::string text, Call("/v3/lease/keepalive", json{{"ID", std::to_string(lease_id)}}.dump()));
  const size_t eol = text.find('\n');
  TKV_ASSIGN_OR_RETURN(json j, ParseObject(text.substr(0, eol)));
  auto result = j.find("result");
  if (result == j.end() || !result->is_object()) {
    if (LeaseNotFound(text)) return Status::NotFound("etcd does not know the lease", "lease_expired");
    if (j.contains("error")) return Status::Unavailable("etcd refused the keep-alive", "etcd_unavailable");
    return BadResponse("a keep-alive answer without a result");
  }
  TKV_ASSIGN_OR_RETURN(int64_t ttl, Int64At(*result, "TTL"));
  if (ttl <= 0) return Status::NotFound("the lease has expired", "lease_expired");
  return ttl;
}

Status EtcdClient::LeaseRevoke(int64_t lease_id) {
  Result<std::string> text = Call("/v3/lease/revoke", json{{"ID", std::to_string(lease_id)}}.dump());
  if (!text.ok() && text.status().reason() == "lease_expired") return Status::Ok();
  return text.status();
}

}  // namespace tenantkv::server::cluster
