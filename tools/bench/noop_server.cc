// tenantkv-noop-server: the HTTP ceiling for benchmarks. tenantkv-server's
// own HTTP front (server/http/http_server.h: the same I/O threads, strict
// parser, connection caps, deadlines, TCP_NODELAY, listen backlog and
// limits) with a handler that answers every GET, PUT, POST and DELETE with a
// fixed body, inline on the I/O thread, and does no other work. What it reaches on a machine is what the HTTP front,
// the kernel's loopback and the load generator cost there; tenantkv's rates
// are compared with it.
//
// With --storage-dir it is the storage floor instead: the same server that
// also makes the RocksDB calls tenantkv-server makes for a single-key GET
// (one Get) and PUT (the Get of the current value, then the write), in a
// RocksDB opened with tenantkv's own storage options (engine::Storage: the
// same column family, memtable, cache, bloom filter and write settings),
// and nothing else: no authentication, encryption, quotas, scheduling or
// contract headers. One column family per distinct Authorization header
// (the benchmark's tenants), each loaded with --keys keys k0..k<N-1> of
// --body-bytes bytes. A GET answers the value read; a PUT answers the
// fixed body, as the ceiling does. POST and DELETE stay no-ops.
// --blind-writes drops the read before a PUT: what the write alone costs.
//
//   tenantkv-noop-server [--listen 127.0.0.1:0] [--body-bytes 100]
//       [--storage-dir DIR [--column-families 8] [--keys 10000] [--sync-writes] [--blind-writes]]
//
// Prints "tenantkv-noop-server listening on http://HOST:PORT" once bound;
// stops on SIGINT/SIGTERM. Loopback addresses only.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <rocksdb/write_batch.h>

#include "engine/storage/storage.h"

#include "server/http/http_handler.h"
#include "server/http/http_options.h"
#include "server/http/http_server.h"
#include "server/app/stop_signals.h"
#include "server/http/tls_options.h"
#include "crypto/loopback_host.h"

namespace {

// The storage floor's state: the DB, one column family per tenant, and the
// tenant of each Authorization header seen (the first N distinct headers
// take the N column families in turn; any later one shares by hash).
class StorageFloor {
 public:
  static std::unique_ptr<StorageFloor> Open(const std::string& dir, size_t cfs, size_t keys,
                                            const std::string& value, bool sync) {
    tenantkv::engine::StorageOptions so;
    so.path = dir;
    so.sync_writes = sync;
    auto storage = tenantkv::engine::Storage::Open(so);
    if (!storage.ok()) {
      std::fprintf(stderr, "open %s: %s\n", dir.c_str(), storage.status().ToString().c_str());
      return nullptr;
    }
    std::unique_ptr<StorageFloor> f(new StorageFloor());
    f->storage_ = std::move(storage).value();
    std::vector<std::string> names;
    for (size_t i = 0; i < cfs; ++i) names.push_back("floor" + std::to_string(i));
    if (!f->storage_->CreateColumnFamilies(names).ok()) return nullptr;
    for (const auto& n : names) {
      f->cfs_.push_back(f->storage_->Find(n));
      rocksdb::WriteBatch batch;
      for (size_t k = 0; k < keys; ++k) {
        if (!batch.Put(f->cfs_.back().get(), "k" + std::to_string(k), value).ok()) return nullptr;
      }
      if (!f->storage_->db()->Write(f->storage_->data_write_options(), &batch).ok()) return nullptr;
    }
    return f;
  }

  // GET: one Get. True with the value when found.
  bool Get(const std::string& tenant, const std::string& key, std::string* value) {
    rocksdb::PinnableSlice v;
    rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), CfOf(tenant), key, &v);
    if (!s.ok()) return false;
    value->assign(v.data(), v.size());
    return true;
  }

  // PUT: the Get of the current value (unless `blind`), then the write.
  bool Put(const std::string& tenant, const std::string& key, const std::string& value, bool blind) {
    rocksdb::ColumnFamilyHandle* cf = CfOf(tenant);
    if (!blind) {
      rocksdb::PinnableSlice current;
      rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), cf, key, &current);
      if (!s.ok() && !s.IsNotFound()) return false;
    }
    rocksdb::WriteBatch batch;
    return batch.Put(cf, key, value).ok() && storage_->db()->Write(storage_->data_write_options(), &batch).ok();
  }

 private:
  StorageFloor() = default;
  rocksdb::ColumnFamilyHandle* CfOf(const std::string& tenant) {
    {
      std::shared_lock lock(mu_);
      auto it = tenants_.find(tenant);
      if (it != tenants_.end()) return it->second;
    }
    std::unique_lock lock(mu_);
    auto it = tenants_.find(tenant);
    if (it != tenants_.end()) return it->second;
    rocksdb::ColumnFamilyHandle* cf = tenants_.size() < cfs_.size()
                                          ? cfs_[tenants_.size()].get()
                                          : cfs_[std::hash<std::string>{}(tenant) % cfs_.size()].get();
    tenants_.emplace(tenant, cf);
    return cf;
  }

  std::unique_ptr<tenantkv::engine::Storage> storage_;
  std::vector<tenantkv::engine::CfHandle> cfs_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, rocksdb::ColumnFamilyHandle*> tenants_;  // GUARDED_BY(mu_)
};

// "/v1/kv/KEY" -> KEY; any other path is used whole.
std::string KeyOf(std::string_view path) {
  static constexpr std::string_view kPrefix = "/v1/kv/";
  return std::string(path.substr(0, kPrefix.size()) == kPrefix ? path.substr(kPrefix.size()) : path);
}

// The ceiling's answers, or the storage floor's when `floor` is set. Other
// methods (PATCH, OPTIONS) are answered 404 with no body, as a server with
// no route for them would.
class NoopHandler final : public tenantkv::server::HttpHandler {
 public:
  NoopHandler(std::string body, StorageFloor* floor, bool blind_writes)
      : body_(std::move(body)), floor_(floor), blind_writes_(blind_writes) {}

  bool OnHead(tenantkv::server::HttpRequest&, tenantkv::server::HttpResponse&) override { return true; }

  // Answers at once, on the calling thread.
  void Handle(tenantkv::server::HttpRequest req, Respond respond) override {
    tenantkv::server::HttpResponse res;
    const bool get = req.method == "GET" || req.method == "HEAD";  // the front answers HEAD as a GET
    if (get && floor_ != nullptr) {
      std::string value;
      if (!floor_->Get(req.Header("Authorization"), KeyOf(req.Path()), &value)) {
        res.status = 404;
        value = body_;
      }
      res.SetBody(std::move(value), "application/octet-stream");
    } else if (req.method == "PUT" && floor_ != nullptr) {
      if (!floor_->Put(req.Header("Authorization"), KeyOf(req.Path()), req.body, blind_writes_)) {
        res.status = 500;
      }
      res.SetBody(body_, "application/octet-stream");
    } else if (get || req.method == "PUT" || req.method == "POST" || req.method == "DELETE") {
      res.SetBody(body_, "application/octet-stream");
    } else {
      res.status = 404;
    }
    respond(std::move(res));
  }
  // The front's refusals go out as the front wrote them.
  void OnFrontRefusal(const tenantkv::server::HttpRequest&, tenantkv::server::HttpResponse&) override {}

 private:
  const std::string body_;
  StorageFloor* const floor_;  // nullptr: the ceiling
  const bool blind_writes_;
};

}  // namespace

int main(int argc, char** argv) {
  tenantkv::server::HttpOptions defaults;
  std::string listen = "127.0.0.1:0";
  size_t body_bytes = 100;
  CLI::App app{"tenantkv-noop-server: a no-op HTTP server with tenantkv-server's HTTP settings"};
  app.add_option("--listen", listen, "HOST:PORT (loopback only; port 0 picks a free port)");
  app.add_option("--body-bytes", body_bytes, "size of every answer body")->check(CLI::Range(0, 1 << 20));
  app.add_option("--io-threads", defaults.io_threads, "threads running the HTTP front's I/O (0 = one per core)");
  app.add_option("--max-connections-per-address", defaults.max_connections_per_address,
                 "open connections from one client address");
  // The old front's settings, accepted so that older scripts still run.
  size_t ignored = 0;
  app.add_option("--threads-min,--threads-max", ignored, "deprecated, ignored");
  app.add_option("--max-connections-per-client", defaults.max_connections_per_address,
                 "deprecated: sets --max-connections-per-address");
  std::string storage_dir;
  size_t column_families = 8;
  size_t keys = 10000;
  bool sync_writes = false;
  app.add_option("--storage-dir", storage_dir,
                 "be the storage floor: make tenantkv's RocksDB calls in a DB here (created)");
  app.add_option("--column-families", column_families, "storage floor: tenants (column families)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--keys", keys, "storage floor: keys loaded per column family")->check(CLI::Range(0, 10'000'000));
  app.add_flag("--sync-writes", sync_writes, "storage floor: fsync the WAL before a PUT is answered");
  bool blind_writes = false;
  app.add_flag("--blind-writes", blind_writes,
               "storage floor: a PUT only writes (tenantkv reads the current value first)");
  CLI11_PARSE(app, argc, argv);

  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "--listen must be HOST:PORT\n");
    return 2;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535 || !tenantkv::net::IsLoopbackHost(host)) {
    std::fprintf(stderr, "--listen must be a loopback HOST:PORT\n");
    return 2;
  }

  // Stdout carries only the line naming the port; the front's log lines
  // (open-file limit, refused connections) go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("noop"));

  // Signals are taken by a waiting thread, which stops the server. Blocked
  // before RocksDB and the front start their threads.
  tenantkv::server::StopSignals stop_signals;

  const std::string body(body_bytes, 'v');
  std::unique_ptr<StorageFloor> floor;
  if (!storage_dir.empty()) {
    floor = StorageFloor::Open(storage_dir, column_families, keys, body, sync_writes);
    if (floor == nullptr) {
      std::fprintf(stderr, "cannot set up the storage floor in %s\n", storage_dir.c_str());
      return 1;
    }
  }
  NoopHandler handler(body, floor.get(), blind_writes);
  defaults.listen = listen;
  auto server = tenantkv::server::HttpServer::Create(defaults, tenantkv::server::TlsOptions{}, &handler);
  if (!server.ok()) {
    std::fprintf(stderr, "cannot set up the HTTP front: %s\n", server.status().ToString().c_str());
    return 1;
  }
  tenantkv::server::HttpServer& s = **server;
  auto bound = s.Bind();
  if (!bound.ok()) {
    std::fprintf(stderr, "cannot listen on %s\n", listen.c_str());
    return 1;
  }
  stop_signals.Start([&s](int) { s.Stop(); });
  std::printf("tenantkv-noop-server listening on http://%s:%d\n", host.c_str(), *bound);
  std::fflush(stdout);
  s.Run();
  stop_signals.Stop();  // if listening ended without a signal
  return 0;
}
