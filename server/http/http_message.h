// HttpRequest and HttpResponse: the messages the HTTP front (http_server.h)
// and its handler (http_handler.h) exchange. Plain data, no library types:
// the front's HTTP library stays inside the front's own .cc files, and the
// routes, admission and problem+json code see only these.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantkv::server {

// ASCII case-insensitive equality of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

// An ordered list of header fields; names compare case-insensitively.
// A message has a dozen fields at most, so a vector searched in order beats
// a map, and keeps the fields in the order they were added.
class HttpHeaders {
 public:
  using Field = std::pair<std::string, std::string>;

  // The first value of `name`, or nullptr.
  const std::string* Find(std::string_view name) const;
  size_t Count(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  // Appends a field (a repeated name stays repeated).
  void Add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field named `name` with one.
  void Set(std::string_view name, std::string value);
  void Erase(std::string_view name);
  void Clear() { fields_.clear(); }
  void Reserve(size_t n) { fields_.reserve(n); }
  size_t size() const { return fields_.size(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// The handler's own state for one request, from its head to its answer
// (see HttpHandler::OnHead). The front only carries and destroys it.
class RequestState {
 public:
  virtual ~RequestState() = default;
};

struct HttpRequest {
  std::string method;  // the method token as sent, e.g. "GET"
  std::string target;  // the raw request-target, e.g. "/v1/kv/a%2Fb?x=1"
  int version = 11;    // 10 = HTTP/1.0, 11 = HTTP/1.1
  HttpHeaders headers;
  std::string body;    // empty in the head phase
  std::string remote_addr;
  int remote_port = 0;
  bool keep_alive = true;            // the client asked to keep the connection
  bool tls = false;                  // came over TLS
  bool tls_client_verified = false;  // ...with a client certificate that verified against the CA
  std::unique_ptr<RequestState> state;  // the handler's, from OnHead to Handle

  // The value of `name`, or "" when absent.
  const std::string& Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const { return headers.Has(name); }
  // The target up to its query.
  std::string_view Path() const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;  // Content-Length, Date and Connection are the front's
  std::string body;     // moved in and out, never copied
  bool close = false;   // close the connection once this answer is written

  // Replaces `name`; a value with CR, LF or NUL (client text smuggling a
  // header) is dropped instead.
  void SetHeader(std::string_view name, std::string value);
  const std::string& Header(std::string_view name) const;
  // Moves `body` in, with its Content-Type.
  void SetBody(std::string body_in, std::string_view content_type);
};

}  // namespace tenantkv::server
