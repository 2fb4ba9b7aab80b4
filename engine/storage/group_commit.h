// GroupCommit: durable (WAL-synced) writes of many callers committed
// together, the next commit waiting briefly for the writers on their way.
//
// RocksDB already shares one WAL sync among the writers that queued while
// the previous one ran. Under a steady load of N writers that each send
// their next write once the last is acknowledged, that splits them into two
// halves that alternate: the writers acknowledged by one sync come back
// just after the next sync began with the others, so each sync carries
// about N/2 writes. Here the writer that leads the next commit first waits
// (at most `max_delay_us`, and at most half the last commit's time) until as
// many writers are queued as took part around the last commit, then commits
// all their batches as one synced RocksDB write. PostgreSQL's commit_delay
// answers the same problem for its WAL.
//
// Each caller's batch stays atomic: the merged batch is one atomic write.
// If it fails, every batch is retried on its own, so one caller's bad batch
// cannot fail the others. One commit at a time. Thread-safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"

namespace tenantkv::engine {

struct GroupCommitStats {
  uint64_t writes = 0;   // batches that went through (committed or failed)
  uint64_t commits = 0;  // RocksDB writes they took
};

class GroupCommit {
 public:
  // `db` must outlive it. `options` are those of every write (sync set for
  // durable writes). `max_delay_us` 0: no wait, just the batches queued.
  GroupCommit(rocksdb::DB* db, const rocksdb::WriteOptions& options, int64_t max_delay_us);

  // Commits `batch`, possibly with other callers' batches in one write.
  // Returns once it is committed (synced, with options.sync).
  Status Write(rocksdb::WriteBatch* batch);

  GroupCommitStats stats() const;

  // One batch holding the records of `batches` in order. It relies on the
  // WriteBatch representation (a 12-byte header: sequence, then the record
  // count, then the records), which RocksDB keeps stable on disk, as its WAL
  // is made of it; group_commit_test checks it against the installed RocksDB.
  static rocksdb::WriteBatch Merge(const std::vector<rocksdb::WriteBatch*>& batches);

 private:
  struct Writer;
  // The leader's part: gathers, commits, hands over; `me` is at the front.
  void Lead(Writer& me) REQUIRES(mu_);

  rocksdb::DB* const db_;
  const rocksdb::WriteOptions options_;
  const int64_t max_delay_us_;
  Mutex mu_;
  CondVar gather_cv_;  // the gathering leader: enough writers queued
  std::deque<Writer*> queue_ GUARDED_BY(mu_);
  bool leading_ GUARDED_BY(mu_) = false;    // a writer leads (gathers or commits)
  bool gathering_ GUARDED_BY(mu_) = false;  // ... and waits for more writers
  // Writers in and around the last commit: how many the next one waits for.
  size_t expected_ GUARDED_BY(mu_) = 1;
  int64_t last_commit_us_ GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> commits_{0};
};

}  // namespace tenantkv::engine
