// Refused connections move to SCHED_IDLE after their answer and back to
// normal priority when admitted, at connection end, or before logging.
#include "server/http/thread_priority.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

namespace tenantkv::server {
namespace {

int Policy() { return sched_getscheduler(0); }

TEST(ThreadPriority, RefusedThenAdmittedMovesToIdleAndBack) {
  if (!thread_priority::Enable()) {
    GTEST_SKIP() << "this process may not switch back from SCHED_IDLE (no CAP_SYS_NICE, RLIMIT_NICE < 20)";
  }
  std::thread t([] {
    // Admitted work never leaves normal priority.
    thread_priority::Admitted();
    thread_priority::AfterResponse();
    EXPECT_FALSE(thread_priority::IsIdle());
    EXPECT_EQ(Policy(), SCHED_OTHER);

    // A refusal demotes only after the answer.
    thread_priority::RefusedByAdmission();
    EXPECT_EQ(Policy(), SCHED_OTHER);
    thread_priority::AfterResponse();
    EXPECT_TRUE(thread_priority::IsIdle());
    EXPECT_EQ(Policy(), SCHED_IDLE);

    // Restored for logging, demoted again after the next refused answer.
    thread_priority::Restore();
    EXPECT_EQ(Policy(), SCHED_OTHER);
    thread_priority::RefusedByAdmission();
    thread_priority::AfterResponse();
    EXPECT_EQ(Policy(), SCHED_IDLE);

    // The next admitted request runs at normal priority at once.
    thread_priority::Admitted();
    EXPECT_FALSE(thread_priority::IsIdle());
    EXPECT_EQ(Policy(), SCHED_OTHER);
    thread_priority::AfterResponse();
    EXPECT_EQ(Policy(), SCHED_OTHER) << "an admitted request's thread was demoted";
  });
  t.join();
  thread_priority::DisableForTest();
}

TEST(ThreadPriority, OffMeansNoDemotion) {
  thread_priority::DisableForTest();
  std::thread t([] {
    thread_priority::RefusedByAdmission();
    thread_priority::AfterResponse();
    EXPECT_FALSE(thread_priority::IsIdle());
    EXPECT_EQ(Policy(), SCHED_OTHER);
  });
  t.join();
}

}  // namespace
}  // namespace tenantkv::server
