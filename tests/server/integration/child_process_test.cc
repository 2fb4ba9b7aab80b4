// The processes the tests start die with the test process (DieWithParent
// in tests/testing/child_process.h): a test process that aborts, or that
// its timeout kills, leaves no etcd or server running behind it.
//
// Shown with etcd, whose log is a file: a server started by TestServer
// writes to a pipe its test reads, and so also ends on a write after its
// reader is gone, with or without DieWithParent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testing/etcd_process.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

// Whether `pid` has ended (gone, or a zombie waiting for init to reap it).
bool Ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

TEST(ChildProcess, EtcdDiesWithTheTestProcessThatStartedIt) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);  // etcd must not hold the write end
  const pid_t test_process = fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    // Stands for a test process that aborts: it starts etcd, tells its PID
    // and temp dir, and ends without stopping it.
    close(fds[0]);
    EtcdProcess etcd;
    etcd.Start();
    const pid_t pid = etcd.pid();
    const std::string& dir = etcd.dir();
    if (write(fds[1], &pid, sizeof pid) != static_cast<ssize_t>(sizeof pid)) _exit(2);
    if (write(fds[1], dir.data(), dir.size()) != static_cast<ssize_t>(dir.size())) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  pid_t etcd = -1;
  const ssize_t n = read(fds[0], &etcd, sizeof etcd);
  std::string dir;
  char buf[512];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) > 0;) dir.append(buf, static_cast<size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(test_process, &status, 0);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof etcd)) << "the child did not start etcd";
  ASSERT_GT(etcd, 0);
  const bool ended = WaitFor([&] { return Ended(etcd); }, 10);
  if (!ended) kill(etcd, SIGKILL);  // not ours to leave running
  EXPECT_TRUE(ended) << "etcd " << etcd << " outlived the process that started it";
  std::error_code ec;
  if (dir.rfind("/tmp/", 0) == 0) std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace tenantkv::testing
