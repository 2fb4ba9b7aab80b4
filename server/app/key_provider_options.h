// KeyProviderOptions: where the master keys live, a file or a PKCS#11
// token (crypto/keys/file/file_key_provider.h, crypto/keys/pkcs11/pkcs11_key_provider.h). None
// change at run time.
#pragma once

#include <string>

#include "crypto/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct KeyProviderOptions {
  std::string master_key_file;           // default DATA_DIR/master.key (key_provider "file")
  std::string key_provider = "file";     // where master keys live: file | pkcs11
  std::string pkcs11_module;             // pkcs11: the module (.so) path
  std::string pkcs11_token_label;        // pkcs11: the token, by label
  std::string pkcs11_pin_file;           // pkcs11: the user PIN, in a 0600 file

  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  // --master-key-file, --key-provider, --pkcs11-*, bound to this struct's
  // fields.
  void AddFlags(CLI::App& app);
};

}  // namespace tenantkv::server
