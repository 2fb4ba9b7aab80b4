#include "engine/storage/group_commit.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {

namespace {
// WriteBatch's header: an 8-byte sequence number, then a 4-byte record
// count, little-endian, before the records.
constexpr size_t kBatchHeader = 12;
constexpr size_t kCountOffset = 8;

int64_t ElapsedMicros(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - since).count();
}
}  // namespace

struct GroupCommit::Writer {
  rocksdb::WriteBatch* batch = nullptr;
  Status status;
  bool done = false;  // committed or failed: `status` holds which
  bool lead = false;  // handed the lead: commit the queue
  CondVar cv;
};

GroupCommit::GroupCommit(rocksdb::DB* db, const rocksdb::WriteOptions& options, int64_t max_delay_us)
    : db_(db), options_(options), max_delay_us_(std::max<int64_t>(0, max_delay_us)) {}

rocksdb::WriteBatch GroupCommit::Merge(const std::vector<rocksdb::WriteBatch*>& batches) {
  size_t bytes = kBatchHeader;
  uint32_t count = 0;
  for (const rocksdb::WriteBatch* b : batches) {
    bytes += b->GetDataSize() - kBatchHeader;
    count += b->Count();
  }
  std::string rep(kBatchHeader, '\0');
  rep.reserve(bytes);
  for (const rocksdb::WriteBatch* b : batches) rep.append(b->Data(), kBatchHeader, std::string::npos);
  for (size_t i = 0; i < 4; ++i) rep[kCountOffset + i] = static_cast<char>((count >> (8 * i)) & 0xff);
  return rocksdb::WriteBatch(rep);
}

Status GroupCommit::Write(rocksdb::WriteBatch* batch) {
  Writer me;
  me.batch = batch;
  MutexLock lock(mu_);
  queue_.push_back(&me);
  if (!leading_) {
    leading_ = true;
    me.lead = true;
  } else if (gathering_ && queue_.size() >= expected_) {
    gather_cv_.Signal();
  }
  while (!me.done && !me.lead) me.cv.Wait(mu_);
  if (!me.done) Lead(me);
  return me.status;
}

void GroupCommit::Lead(Writer& me) {
  // Wait for the writers on their way, but never long against what a
  // commit costs: a lone writer on a fast disk must not pay for the wait.
  const int64_t delay_us = std::min(max_delay_us_, last_commit_us_ / 2);
  if (delay_us > 0 && queue_.size() < expected_) {
    gathering_ = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(delay_us);
    while (queue_.size() < expected_) {
      if (!gather_cv_.WaitUntil(mu_, deadline)) break;
    }
    gathering_ = false;
  }
  std::vector<Writer*> group(queue_.begin(), queue_.end());
  queue_.clear();
  mu_.Unlock();

  const auto start = std::chrono::steady_clock::now();
  Status merged_status;
  if (group.size() == 1) {
    me.status = FromRocks(db_->Write(options_, me.batch), "write");
  } else {
    std::vector<rocksdb::WriteBatch*> batches;
    batches.reserve(group.size());
    for (Writer* w : group) batches.push_back(w->batch);
    rocksdb::WriteBatch merged = Merge(batches);
    merged_status = FromRocks(db_->Write(options_, &merged), "write");
    for (Writer* w : group) {
      // The merged write is all or nothing: after a failure nothing of it is
      // in, and each batch is tried alone so that only a bad one fails.
      w->status = merged_status.ok() ? Status::Ok() : FromRocks(db_->Write(options_, w->batch), "write");
    }
  }
  const int64_t took_us = ElapsedMicros(start);
  commits_.fetch_add(merged_status.ok() ? 1 : group.size(), std::memory_order_relaxed);
  writes_.fetch_add(group.size(), std::memory_order_relaxed);

  mu_.Lock();
  last_commit_us_ = took_us;
  // Those committed and those who queued meanwhile: the writers in play.
  expected_ = std::max<size_t>(1, group.size() + queue_.size());
  for (Writer* w : group) {
    w->done = true;
    if (w != &me) w->cv.Signal();  // it waits for mu_, so it is still there
  }
  if (queue_.empty()) {
    leading_ = false;
  } else {
    queue_.front()->lead = true;
    queue_.front()->cv.Signal();
  }
}

GroupCommitStats GroupCommit::stats() const {
  return {writes_.load(std::memory_order_relaxed), commits_.load(std::memory_order_relaxed)};
}

}  // namespace tenantkv::engine
