// Forwarder (forwarder.h): the admission of requests and posted work, and
// the worker threads of posted work. The I/O is ForwardClient's
// (forward_client.h: Boost.Beast on an io_context of its own); the message
// rules are forward_message.h's.
//
// Slots, in two pools. `threads` slots for forwarded requests: one holds a
// slot from its start to its answer. `work_threads` slots for posted work:
// it holds one from its start until it returns (the requests it sends with
// SendHere run in its slot). Apart, so that a flood of work (directory
// reads for made-up key ids) never delays the requests whose owner is
// known. A job that finds every slot of its pool taken waits in its pool's
// FIFO queue (max_queue each), and the job that frees a slot starts the
// next queued one of its pool in it: a queue is never non-empty while a
// slot of its pool is free.
//
// Posted work runs on worker threads made as needed, at most one per work
// slot, kept idle once made: posted work may block (on etcd, or on
// SendHere), so it never runs on an io thread.
#include "server/cluster/forwarder.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <optional>
#include <thread>

#include "crypto/mutex.h"
#include "server/cluster/forward_client.h"
#include "server/cluster/forward_message.h"

namespace tenantkv::server::cluster {
namespace {

using forward::BadGateway;
using forward::CheckRequest;
using forward::ShuttingDown;

Status CheckOptions(const ForwarderOptions& o) {
  if (o.threads < 1 || o.threads > 256) return Status::InvalidArgument("forwarder threads must be 1..256");
  if (o.work_threads < 1 || o.work_threads > 256) {
    return Status::InvalidArgument("forwarder work_threads must be 1..256");
  }
  if (o.io_threads < 1 || o.io_threads > 16) return Status::InvalidArgument("forwarder io_threads must be 1..16");
  if (o.max_queue < 1 || o.max_queue > 1000000) {
    return Status::InvalidArgument("forwarder max_queue must be 1..1000000");
  }
  if (o.max_idle_per_node > 4096) return Status::InvalidArgument("forwarder max_idle_per_node must be 0..4096");
  if (o.connect_timeout_ms < 1 || o.connect_timeout_ms > 60000) {
    return Status::InvalidArgument("forwarder connect_timeout_ms must be 1..60000");
  }
  if (o.request_timeout_ms < 1 || o.request_timeout_ms > 600000) {
    return Status::InvalidArgument("forwarder request_timeout_ms must be 1..600000");
  }
  if (o.max_response_bytes < 1 || o.max_response_bytes > (size_t{1} << 32)) {
    return Status::InvalidArgument("forwarder max_response_bytes must be 1..4 GiB");
  }
  return Status::Ok();
}

}  // namespace

struct Forwarder::Impl {
  struct Job {
    HttpEndpoint node;
    ForwardRequest req;
    Done done;
    Work work;  // set: posted work, run instead of a forward
    // The caller's io_context (Send's `here`), for a job started at once on
    // its thread; null for one queued (another thread starts it later).
    boost::asio::io_context* here = nullptr;
  };

  // One pool of slots and the queue in front of it.
  struct Pool {
    size_t slots = 0;
    size_t in_flight = 0;
    std::deque<Job> queue;
  };

  explicit Impl(ForwarderOptions o) : options(std::move(o)) {
    sends.slots = options.threads;
    works.slots = options.work_threads;
  }

  Pool& PoolOf(const Job& job) REQUIRES(mu) { return job.work ? works : sends; }

  // Takes a slot of its pool for `job` (*start: the caller starts it now),
  // or queues it (moved from), or says why not (`job` untouched).
  Status Admit(Job& job, bool* start) {
    MutexLock lock(mu);
    *start = false;
    if (stopping) return ShuttingDown();
    Pool& pool = PoolOf(job);
    if (pool.in_flight < pool.slots) {
      ++pool.in_flight;
      *start = true;
      return Status::Ok();
    }
    if (pool.queue.size() >= options.max_queue) return forward::QueueFull(options.max_queue);
    job.here = nullptr;
    pool.queue.push_back(std::move(job));
    return Status::Ok();
  }

  // Runs `job` in the slot it holds.
  void Dispatch(Job job) {
    if (job.work) return ToWorker(std::move(job.work));
    client->Start(
        job.node, std::move(job.req),
        [this, done = std::move(job.done)](Result<ForwardResponse> answer, ForwardRequest) mutable {
          Finish(done, std::move(answer));
          Release(false);
        },
        job.here);
  }

  // A slot of the sends' pool (or of the work's) is free: the next job
  // queued for that pool takes it.
  void Release(bool work) {
    std::optional<Job> next;
    {
      MutexLock lock(mu);
      Pool& pool = work ? works : sends;
      if (!pool.queue.empty()) {
        next.emplace(std::move(pool.queue.front()));
        pool.queue.pop_front();
      } else {
        --pool.in_flight;
        if (sends.in_flight + works.in_flight == 0) idle_cv.SignalAll();
      }
    }
    if (next) Dispatch(std::move(*next));
  }

  void ToWorker(Work work) {
    {
      MutexLock lock(wmu);
      ready.push_back(std::move(work));
      if (ready.size() > idle_workers && workers.size() < options.work_threads) {
        workers.emplace_back([this] { WorkerLoop(); });
      }
    }
    work_cv.Signal();
  }

  void WorkerLoop() {
    for (;;) {
      Work work;
      {
        MutexLock lock(wmu);
        ++idle_workers;
        while (!workers_stop && ready.empty()) work_cv.Wait(wmu);
        --idle_workers;
        if (ready.empty()) return;  // stopping
        work = std::move(ready.front());
        ready.pop_front();
      }
      RunWork(work, Status::Ok());
      Release(true);
    }
  }

  void RunWork(Work& work, const Status& s) {
    try {
      work(s);
    } catch (const std::exception& e) {
      spdlog::error("forwarder: posted work threw: {}", e.what());
    }
  }

  void Finish(Done& done, Result<ForwardResponse> answer) {
    (answer.ok() ? forwarded : failed).fetch_add(1, std::memory_order_relaxed);
    try {
      done(std::move(answer));
    } catch (const std::exception& e) {
      spdlog::error("forwarder: a completion callback threw: {}", e.what());
    }
  }

  // Refuses what is queued, waits for what runs, then stops the threads.
  void Stop() {
    std::deque<Job> left;
    {
      MutexLock lock(mu);
      stopping = true;
      left.swap(sends.queue);
      for (Job& job : works.queue) left.push_back(std::move(job));
      works.queue.clear();
    }
    // Answered here, on the destroying thread: what runs may hold its slot
    // for up to its timeout.
    for (Job& job : left) {
      if (job.work) {
        RunWork(job.work, ShuttingDown());
      } else {
        Finish(job.done, ShuttingDown());
      }
    }
    {
      MutexLock lock(mu);
      while (sends.in_flight + works.in_flight > 0) idle_cv.Wait(mu);
    }
    std::vector<std::thread> gone;
    {
      MutexLock lock(wmu);
      workers_stop = true;
      gone.swap(workers);
    }
    work_cv.SignalAll();
    for (std::thread& t : gone) t.join();
    client->Stop();
  }

  const ForwarderOptions options;
  std::unique_ptr<forward::ForwardClient> client;

  Mutex mu;  // never held with wmu, nor across a call out
  CondVar idle_cv;  // no slot of either pool is taken
  Pool sends GUARDED_BY(mu);  // forwarded requests (Send)
  Pool works GUARDED_BY(mu);  // posted work (Post), with its SendHere
  bool stopping GUARDED_BY(mu) = false;

  Mutex wmu;
  CondVar work_cv;  // posted work is ready, or workers_stop
  std::deque<Work> ready GUARDED_BY(wmu);
  std::vector<std::thread> workers GUARDED_BY(wmu);
  size_t idle_workers GUARDED_BY(wmu) = 0;
  bool workers_stop GUARDED_BY(wmu) = false;

  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> failed{0};
};

Forwarder::Forwarder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Forwarder::~Forwarder() {
  if (impl_ != nullptr) impl_->Stop();
}

Result<std::unique_ptr<Forwarder>> Forwarder::Create(ForwarderOptions options) {
  TKV_RETURN_IF_ERROR(CheckOptions(options));
  auto impl = std::make_unique<Impl>(options);
  TKV_ASSIGN_OR_RETURN(impl->client, forward::ForwardClient::Create(options));
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(impl)));
}

void Forwarder::Send(const HttpEndpoint& node, ForwardRequest req, Done done, boost::asio::io_context* here) {
  Impl::Job job{node, std::move(req), std::move(done), nullptr, here};
  Status refused = CheckRequest(job.req);
  bool start = false;
  if (refused.ok()) refused = impl_->Admit(job, &start);
  if (!refused.ok()) return impl_->Finish(job.done, std::move(refused));
  if (start) impl_->Dispatch(std::move(job));
}

void Forwarder::Post(Work work) {
  Impl::Job job{{}, {}, nullptr, std::move(work), nullptr};
  bool start = false;
  Status refused = impl_->Admit(job, &start);
  if (!refused.ok()) return impl_->RunWork(job.work, refused);
  if (start) impl_->Dispatch(std::move(job));
}

namespace {

// One answer, handed from the callback's thread to a waiting one. Shared
// with the callback, which may still be returning (and unlocking) when the
// waiting thread wakes up and leaves.
struct Waiter {
  Mutex mu;
  CondVar cv;
  std::optional<Result<ForwardResponse>> answer GUARDED_BY(mu);
  ForwardRequest req GUARDED_BY(mu);

  void Put(Result<ForwardResponse> a, ForwardRequest r) {
    MutexLock lock(mu);
    answer.emplace(std::move(a));
    req = std::move(r);
    cv.Signal();
  }
  Result<ForwardResponse> Take(ForwardRequest* back) {
    MutexLock lock(mu);
    while (!answer.has_value()) cv.Wait(mu);
    if (back != nullptr) *back = std::move(req);
    return std::move(*answer);
  }
};

}  // namespace

Result<ForwardResponse> Forwarder::SendHere(const HttpEndpoint& node, ForwardRequest& req) {
  // The exchange runs on an io thread, in the slot of the posted work
  // calling this; this thread waits for it.
  Result<ForwardResponse> answer = BadGateway("unset");
  Status bad = CheckRequest(req);
  if (bad.ok()) {
    auto waiter = std::make_shared<Waiter>();
    impl_->client->Start(node, std::move(req), [waiter](Result<ForwardResponse> a, ForwardRequest r) {
      waiter->Put(std::move(a), std::move(r));
    });
    answer = waiter->Take(&req);
  } else {
    answer = std::move(bad);
  }
  (answer.ok() ? impl_->forwarded : impl_->failed).fetch_add(1, std::memory_order_relaxed);
  return answer;
}

Result<ForwardResponse> Forwarder::SendAndWait(const HttpEndpoint& node, ForwardRequest req) {
  auto waiter = std::make_shared<Waiter>();
  Send(node, std::move(req), [waiter](Result<ForwardResponse> answer) { waiter->Put(std::move(answer), {}); });
  return waiter->Take(nullptr);
}

uint64_t Forwarder::forwarded() const {
  return impl_->forwarded.load(std::memory_order_relaxed);
}
uint64_t Forwarder::failed() const {
  return impl_->failed.load(std::memory_order_relaxed);
}

}  // namespace tenantkv::server::cluster
