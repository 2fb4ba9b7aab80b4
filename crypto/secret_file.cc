#include "crypto/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tenantkv::crypto {

Result<SecretBytes> ReadOwnerOnlyFile(const std::string& path, size_t max_bytes, const SecretFileKind& kind) {
  const std::string what = std::string(kind.what) + " " + path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::Internal("open " + what + ": " + std::strerror(errno), kind.io);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Internal("stat " + what + ": " + std::strerror(err), kind.io);
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(what + " must be a regular file readable only by its owner (chmod 600)",
                                      kind.insecure);
  }
  if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::InvalidArgument(what + " has a bad size", kind.bad_size);
  }
  SecretBytes text(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < text.size()) {
    ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (got != text.size()) return Status::Internal("short read of " + what, kind.io);
  return text;
}

}  // namespace tenantkv::crypto
