#include "crypto/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace tenantkv {
namespace {

// Whether another thread finds `mu` free (it lets go at once if so). A
// std::mutex may not be try-locked by the thread that holds it.
bool FreeForAnotherThread(Mutex& mu) {
  bool got = false;
  std::thread t([&] {
    if (mu.TryLock()) {
      got = true;
      mu.Unlock();
    }
  });
  t.join();
  return got;
}

TEST(Mutex, MutexLockHoldsForItsScope) {
  Mutex mu;
  {
    MutexLock lock(mu);
    EXPECT_FALSE(FreeForAnotherThread(mu));
  }
  EXPECT_TRUE(FreeForAnotherThread(mu));
}

TEST(Mutex, UnlockLetsOthersInAndLockTakesItBack) {
  Mutex mu;
  {
    MutexLock lock(mu);
    lock.Unlock();
    EXPECT_TRUE(FreeForAnotherThread(mu));
    lock.Lock();
    EXPECT_FALSE(FreeForAnotherThread(mu));
  }
  EXPECT_TRUE(FreeForAnotherThread(mu));
}

TEST(Mutex, DestructorAfterUnlockDoesNotUnlockAgain) {
  Mutex mu;
  {
    MutexLock lock(mu);
    lock.Unlock();
  }
  // A second unlock would have been undefined; the mutex works as before.
  MutexLock again(mu);
  EXPECT_FALSE(FreeForAnotherThread(mu));
}

TEST(Mutex, AdoptsALockTakenByTryLock) {
  Mutex mu;
  if (!mu.TryLock()) {  // not ASSERT_TRUE: the analysis cannot see through the macro
    ADD_FAILURE() << "a free mutex refused TryLock";
    return;
  }
  {
    MutexLock lock(mu, kAdoptLock);
    EXPECT_FALSE(FreeForAnotherThread(mu));
  }
  EXPECT_TRUE(FreeForAnotherThread(mu));
}

TEST(CondVar, WaitReturnsOnceSignalledHoldingTheLock) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::thread t([&] {
    {
      MutexLock lock(mu);
      ready = true;
    }
    cv.SignalAll();
  });
  {
    MutexLock lock(mu);
    while (!ready) cv.Wait(mu);
    EXPECT_TRUE(ready);
    EXPECT_FALSE(FreeForAnotherThread(mu));
  }
  t.join();
}

TEST(CondVar, WaitUntilAPassedDeadlineTimesOutHoldingTheLock) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(mu);
  EXPECT_FALSE(cv.WaitUntil(mu, std::chrono::steady_clock::now() - std::chrono::seconds(1)));
  EXPECT_FALSE(FreeForAnotherThread(mu));
}

}  // namespace
}  // namespace tenantkv
