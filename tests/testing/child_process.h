// Ending a child process the tests started (a server, an etcd) and reaping
// it, by its PID.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace tenantkv::testing {

// In a child just forked, before exec: it gets SIGKILL when the thread that
// forked it ends, so a test process that aborts (or is killed by its
// timeout) leaves no server or etcd running behind it. The tests fork from
// the thread of the test body, which outlives its children. `parent`: the
// test process's PID, read before fork() (if it died before the prctl, the
// child ends at once).
inline void DieWithParent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
}

// SIGKILL, then reaped; *pid becomes -1. Nothing if *pid <= 0.
inline void KillAndReap(pid_t* pid) {
  if (*pid <= 0) return;
  kill(*pid, SIGKILL);
  int status = 0;
  waitpid(*pid, &status, 0);
  *pid = -1;
}

// SIGTERM, then reaped within `grace`: its exit code (128 + the signal if a
// signal ended it). Past `grace`, SIGKILL and -1. -1 if *pid <= 0. *pid
// becomes -1.
inline int TerminateAndReap(pid_t* pid, std::chrono::milliseconds grace) {
  if (*pid <= 0) return -1;
  kill(*pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  do {
    int status = 0;
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      *pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  KillAndReap(pid);
  return -1;
}

}  // namespace tenantkv::testing
