// ProcessStats: this process's resource use as Linux reports it in /proc.
#pragma once

#include <cstdint>

namespace tenantkv::server {

struct ProcessStats {
  uint64_t resident_bytes = 0;  // /proc/self/statm, resident pages x page size
  uint64_t open_fds = 0;        // entries of /proc/self/fd
  uint64_t threads = 0;         // "Threads:" of /proc/self/status
};

// Fields that cannot be read stay 0. Cheap (three small /proc reads).
ProcessStats ReadProcessStats();

}  // namespace tenantkv::server
