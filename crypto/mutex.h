// Mutexes the thread-safety analysis can see (crypto/thread_annotations.h).
//
// libstdc++'s std::mutex and std::shared_mutex carry no capability
// attributes, so clang cannot check a GUARDED_BY(mu_) rule against them.
// These thin wrappers add the attributes and nothing else: same cost, same
// semantics (not recursive; unlocking a mutex the thread does not hold is
// undefined behaviour, as for the std types).
//
// Prefer the scoped holders (MutexLock, WriterLock, ReaderLock) to calling
// Lock()/Unlock() by hand.
//
// CondVar waits on a Mutex. It wraps std::condition_variable (the fast one,
// tied to std::mutex) and reaches the Mutex's std::mutex as a friend: the
// wait adopts the caller's lock for its duration and hands it back, so the
// caller stays the lock's owner throughout, as far as the analysis is
// concerned. It has no predicate overloads on purpose: a predicate lambda is
// a separate function to the analysis, which cannot know that it runs under
// the lock. Callers write the loop themselves, where the guarded reads are
// checked:
//
//   MutexLock lock(mu_);
//   while (!stopping_ && jobs_.empty()) cv_.Wait(mu_);
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "crypto/thread_annotations.h"

namespace tenantkv {

class CondVar;

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // True if the lock was free and is now held by the caller.
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the caller holds the lock where it cannot see it (a
  // callback run under the lock). Checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class CAPABILITY("shared_mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void LockShared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() RELEASE_SHARED() { mu_.unlock_shared(); }
  void AssertHeld() const ASSERT_CAPABILITY(this) {}
  void AssertReaderHeld() const ASSERT_SHARED_CAPABILITY(this) {}

 private:
  std::shared_mutex mu_;
};

// Tag for the holders' adopting constructors: the caller already holds the
// lock (typically after a successful TryLock()).
struct AdoptLock {};
inline constexpr AdoptLock kAdoptLock{};

// Holds a Mutex for its scope. Unlock() and Lock() let a scope step out of
// the lock and back in (to run a job without it, say); the destructor
// unlocks only if the lock is held then.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  MutexLock(Mutex& mu, AdoptLock) REQUIRES(mu) : mu_(mu) {}
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

// Holds a SharedMutex exclusively for its scope.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriterLock() RELEASE() { mu_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex shared for its scope.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.LockShared(); }
  ~ReaderLock() RELEASE() { mu_.UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

// A condition variable for Mutex. Spurious wakeups happen: wait in a loop
// that re-checks the condition (see the file comment).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Lets go of `mu` while it waits; holds it again on return.
  void Wait(Mutex& mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller keeps the lock
  }

  // As Wait(), until a notification or `deadline` (steady clock). Returns
  // false if the deadline passed.
  bool WaitUntil(Mutex& mu, std::chrono::steady_clock::time_point deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    const bool notified = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace tenantkv
