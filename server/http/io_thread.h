// Which io_context the calling thread runs. The HTTP front's I/O threads
// each run an io_context of their own, alone (http_server.cc); work started
// on one of them (a forwarded request's exchange, cluster/forwarder.h) can
// then run its asynchronous steps on that same context, without a hand-off
// to another thread and back.
#pragma once

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tenantkv::server {

// The io_context this thread runs alone, or null on any other thread.
boost::asio::io_context* ThisThreadsIoContext();

// Marks the calling thread as running `ctx` alone, for its lifetime.
class ScopedIoThread {
 public:
  explicit ScopedIoThread(boost::asio::io_context* ctx);
  ~ScopedIoThread();
  ScopedIoThread(const ScopedIoThread&) = delete;
  ScopedIoThread& operator=(const ScopedIoThread&) = delete;

 private:
  boost::asio::io_context* previous_;
};

}  // namespace tenantkv::server
