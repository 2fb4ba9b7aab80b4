#include "server/http/io_thread.h"

namespace tenantkv::server {
namespace {

thread_local boost::asio::io_context* this_threads_context = nullptr;

}  // namespace

boost::asio::io_context* ThisThreadsIoContext() { return this_threads_context; }

ScopedIoThread::ScopedIoThread(boost::asio::io_context* ctx) : previous_(this_threads_context) {
  this_threads_context = ctx;
}

ScopedIoThread::~ScopedIoThread() { this_threads_context = previous_; }

}  // namespace tenantkv::server
