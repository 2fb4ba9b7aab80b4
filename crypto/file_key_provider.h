// FileKeyProvider: master keys in a local file (the embedded default).
//
// File format (text, mode 0600, owned by the server's user):
//   # tenantkv master keys: keep secret, back up separately from the data
//   key <version> <64 hex digits>
// one line per version, ascending; the highest version is current. Comment
// and blank lines are allowed. The file is read once at start into locked
// memory; its bytes are never logged.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "crypto/key_provider.h"

namespace tenantkv::crypto {

class FileKeyProvider final : public KeyProvider {
 public:
  // Opens `path`. If it does not exist and `create_if_missing`, creates it
  // (O_EXCL, mode 0600, fsync'd) with one random key, version 1.
  // FailedPrecondition("insecure_key_file") if group or others may read or
  // write it; InvalidArgument("bad_key_file") if it is malformed.
  static Result<std::unique_ptr<FileKeyProvider>> Open(const std::string& path,
                                                       bool create_if_missing);

  uint32_t CurrentVersion() const override;
  Result<SecretBytes> GetKey(uint32_t version) const override;
  std::string Describe() const override { return "file:" + path_; }

 private:
  FileKeyProvider(std::string path, std::map<uint32_t, SecretBytes> keys)
      : path_(std::move(path)), keys_(std::move(keys)) {}

  std::string path_;
  std::map<uint32_t, SecretBytes> keys_;  // immutable after Open
};

}  // namespace tenantkv::crypto
