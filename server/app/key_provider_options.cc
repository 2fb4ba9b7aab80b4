#include "server/app/key_provider_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {

Status KeyProviderOptions::Validate() const {
  if (key_provider != "file" && key_provider != "pkcs11") {
    return Status::InvalidArgument("--key-provider must be file or pkcs11");
  }
  if (key_provider == "pkcs11" &&
      (pkcs11_module.empty() || pkcs11_token_label.empty() || pkcs11_pin_file.empty())) {
    return Status::InvalidArgument(
        "--key-provider pkcs11 needs --pkcs11-module, --pkcs11-token-label and --pkcs11-pin-file");
  }
  if (key_provider == "file" &&
      !(pkcs11_module.empty() && pkcs11_token_label.empty() && pkcs11_pin_file.empty())) {
    return Status::InvalidArgument("--pkcs11-* options need --key-provider pkcs11");
  }
  return Status::Ok();
}

void KeyProviderOptions::AddFlags(CLI::App& app) {
  app.add_option("--master-key-file", master_key_file, "master key file (default DATA_DIR/master.key)");
  app.add_option("--key-provider", key_provider,
                 "where master keys live: file (DATA_DIR/master.key) or pkcs11 (an HSM)")
      ->capture_default_str();
  app.add_option("--pkcs11-module", pkcs11_module, "pkcs11: path of the PKCS#11 module (.so)");
  app.add_option("--pkcs11-token-label", pkcs11_token_label, "pkcs11: label of the token to use");
  app.add_option("--pkcs11-pin-file", pkcs11_pin_file, "pkcs11: file holding the user PIN (mode 0600)");
}

}  // namespace tenantkv::server
