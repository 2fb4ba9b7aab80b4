// HttpHandler: what the HTTP front (http_server.h) asks of the application
// behind it. The front owns connections, framing and the per-client cap;
// everything a request means is the handler's. tenantkv-server's handler
// is the Api; tenantkv-noop-server has a trivial one.
#pragma once

#include <httplib.h>

#include <string>

namespace tenantkv::server {

// Called on the connection threads, many at once: implementations are
// thread-safe, never throw, and outlive the HttpServer they serve.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;

  // Answers one request the front admitted (sound framing, its connection
  // within the client's cap), whatever its method and path.
  virtual void Handle(const httplib::Request& req, httplib::Response& res) = 0;

  // Called for every answer with a status >= 400, the handler's own
  // included, and for errors the HTTP library raised itself (a bad request
  // line, an oversized body...). Returns true if it wrote the answer, in
  // which case the connection is closed after it; false leaves `res` as it
  // is.
  virtual bool HandleLibraryError(const httplib::Request& req, httplib::Response& res) = 0;

  // The X-Request-Id the front's own refusals carry (bad framing, too many
  // connections): header-safe characters only.
  virtual std::string RequestId(const httplib::Request& req) = 0;
};

}  // namespace tenantkv::server
