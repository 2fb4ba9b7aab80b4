#include "server/observe/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace tenantkv::server {

ProcessStats ReadProcessStats() {
  ProcessStats st;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
      const long page = ::sysconf(_SC_PAGESIZE);
      st.resident_bytes = resident * static_cast<uint64_t>(page > 0 ? page : 4096);
    }
    std::fclose(f);
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++st.open_fds;
    }
    ::closedir(d);
    if (st.open_fds > 0) --st.open_fds;  // the directory stream's own descriptor
  }
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long n = 0;
      if (std::strncmp(line, "Threads:", 8) == 0 && std::sscanf(line + 8, "%llu", &n) == 1) {
        st.threads = n;
        break;
      }
    }
    std::fclose(f);
  }
  return st;
}

}  // namespace tenantkv::server
