// FileKeyProvider: master keys in a local file (the embedded default).
//
// File format (text, mode 0600, owned by the server's user):
//   # tenantkv master keys: keep secret, back up separately from the data
//   key <version> <64 hex digits>
// one line per version, ascending; the highest version is current. Comment
// and blank lines are allowed. The file is read once at start into locked
// memory; its bytes are never logged. AddVersion and Retire rewrite it
// atomically (a 0600 temporary file in the same directory, fsync, rename,
// fsync of the directory), so a crash leaves either the old or the new file.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "crypto/keys/key_provider.h"
#include "crypto/keys/master_keyring.h"
#include "crypto/mutex.h"

namespace tenantkv::crypto {

class FileKeyProvider final : public RingKeyProvider {
 public:
  // Opens `path`. If it does not exist and `create_if_missing`, creates it
  // (O_EXCL, mode 0600, fsync'd) with one random key, version 1.
  // FailedPrecondition("insecure_key_file") if group or others may read or
  // write it; InvalidArgument("bad_key_file") if it is malformed.
  static Result<std::unique_ptr<FileKeyProvider>> Open(const std::string& path,
                                                       bool create_if_missing);

  Result<uint32_t> AddVersion() override;
  Status Retire(uint32_t version) override;
  std::string Describe() const override { return "file:" + path_; }

 private:
  FileKeyProvider(std::string path, std::map<uint32_t, SecretBytes> keys)
      : RingKeyProvider(std::move(keys)), path_(std::move(path)) {}

  // Writes the ring plus `extra` (version 0 = none) minus `skip` (0 = none)
  // to the file, atomically.
  Status Rewrite(uint32_t extra_version, const SecretBytes* extra, uint32_t skip) REQUIRES(write_mu_);

  const std::string path_;
  Mutex write_mu_;  // one rewrite of the file at a time
};

}  // namespace tenantkv::crypto
