#include "crypto/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tenantkv::crypto {
namespace {

std::string Nonce(size_t n = 12) {
  std::string s(n, '\0');
  EXPECT_TRUE(RandomNonce(reinterpret_cast<uint8_t*>(s.data()), n).ok());
  return s;
}

TEST(RandomNonceTest, DrawsAcrossManyRefillsNeverRepeat) {
  // 50,000 nonces of 12 bytes: about 146 refills of the 4 KiB buffer.
  std::set<std::string> seen;
  for (int i = 0; i < 50'000; ++i) ASSERT_TRUE(seen.insert(Nonce()).second) << "repeat at " << i;
}

TEST(RandomNonceTest, SizesThatDoNotDivideTheBufferStillGetFreshBytes) {
  // 7-byte draws leave a tail the next draw does not fit in: it must refill,
  // not hand out a short or reused slice.
  std::set<std::string> seen;
  const size_t draws = 3 * kNonceBufferBytes / 7;
  for (size_t i = 0; i < draws; ++i) {
    std::string s = Nonce(7);
    ASSERT_EQ(s.size(), 7u);
    ASSERT_TRUE(seen.insert(s).second);
  }
}

TEST(RandomNonceTest, BytesAreNotConstant) {
  // A buffer that was never filled would hand out zeros.
  std::array<int, 256> counts{};
  for (int i = 0; i < 2000; ++i) {
    for (unsigned char c : Nonce()) ++counts[c];
  }
  int distinct = 0;
  for (int c : counts) distinct += c > 0;
  EXPECT_GT(distinct, 200);  // 24,000 bytes cover nearly all 256 values
}

TEST(RandomNonceTest, ThreadsDrawFromTheirOwnBuffers) {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (auto& out : per) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 2000; ++i) out.push_back(Nonce());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& out : per) {
    for (const auto& s : out) ASSERT_TRUE(all.insert(s).second);
  }
}

TEST(RandomNonceTest, LargeRequestsBypassTheBuffer) {
  const std::string a = Nonce(kNonceBufferBytes);
  const std::string b = Nonce(kNonceBufferBytes);
  EXPECT_EQ(a.size(), kNonceBufferBytes);
  EXPECT_NE(a, b);
}

TEST(RandomNonceTest, AForkedChildDoesNotRepeatTheParentsNextNonces) {
  Nonce();  // the buffer is now filled, with unused bytes left in it
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string s(12, '\0');
    const bool ok = RandomNonce(reinterpret_cast<uint8_t*>(s.data()), s.size()).ok();
    const bool sent = ok && write(fds[1], s.data(), s.size()) == static_cast<ssize_t>(s.size());
    _exit(sent ? 0 : 1);
  }
  close(fds[1]);
  std::string child(12, '\0');
  ASSERT_EQ(read(fds[0], child.data(), child.size()), 12);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Without the fork handler the child would hand out exactly the bytes
  // the parent hands out next.
  EXPECT_NE(Nonce(), child);
}

}  // namespace
}  // namespace tenantkv::crypto
