// One connection of the HTTP front: the strict HTTP/1.1 reading of request
// heads and bodies, their deadlines, the handler's two phases and the
// answers, in order, one request at a time (pipelined requests wait in the
// buffer). Internal to the front: only http_server.cc and http_session.cc
// include it (it brings in Asio; Beast stays in http_session.cc).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "server/http/http_handler.h"
#include "server/http/http_options.h"

namespace tenantkv::server {

// What sessions need of the server that accepted them. Outlives them all.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const HttpOptions& options() const = 0;
  virtual HttpHandler& handler() = 0;
  // The server is stopping: answer what is in flight, then close.
  virtual bool draining() const = 0;
  // Called once, when session `id` is destroyed (on its I/O thread, or
  // wherever its I/O context is destroyed).
  virtual void SessionClosed(uint64_t id, const std::string& address) = 0;
};

class Session {
 public:
  virtual ~Session() = default;
  // Starts serving (posted to the connection's executor).
  virtual void Start() = 0;
  // On the connection's executor: closes it if it waits for a request, or
  // after the answer to the one it is reading or serving.
  virtual void Drain() = 0;
};

// A session for an accepted connection, not started yet. `tls`: nullptr
// for plain HTTP.
std::shared_ptr<Session> MakeSession(SessionHost& host, uint64_t id, boost::asio::ip::tcp::socket socket,
                                     boost::asio::ssl::context* tls, std::string address, int port);

// A session for a connection refused at accept (over a connection cap): it
// writes `refusal` without reading a request (after the TLS handshake, if
// any), then closes. Not started yet; `*refusals` counts such sessions
// alive, and SessionClosed() is not called for them.
std::shared_ptr<Session> MakeRefusal(SessionHost& host, boost::asio::ip::tcp::socket socket,
                                     boost::asio::ssl::context* tls, std::string address, int port,
                                     HttpResponse refusal, std::atomic<size_t>* refusals);

}  // namespace tenantkv::server
