// SoftHsmToken: a throw-away SoftHSM2 token for tests of the PKCS#11 key
// provider. Makes a temp dir with its own softhsm2.conf (exported as
// SOFTHSM2_CONF, which child processes inherit) and initialises a token in
// it with softhsm2-util. SoftHSM2 is a test dependency (tools/scripts/
// common.sh installs it): when it is missing the test fails, it does not
// skip.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace tenantkv::testing {

class SoftHsmToken {
 public:
  // The module under test: $TENANTKV_PKCS11_MODULE, else Debian's SoftHSM2.
  static std::string ModulePath() {
    const char* env = std::getenv("TENANTKV_PKCS11_MODULE");
    return env != nullptr && *env != '\0' ? env : "/usr/lib/softhsm/libsofthsm2.so";
  }

  explicit SoftHsmToken(const std::string& label, const std::string& pin = "246810")
      : label_(label), pin_(pin) {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "tkv_hsm_XXXXXX").string();
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ / "tokens");
    {
      std::ofstream conf(dir_ / "softhsm2.conf");
      conf << "directories.tokendir = " << (dir_ / "tokens").string() << "\n"
           << "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    }
    ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
    {
      std::ofstream out(pin_file());
      out << pin_ << "\n";
    }
    ::chmod(pin_file().c_str(), 0600);
    if (!fs::exists(ModulePath())) {
      ADD_FAILURE() << "SoftHSM2 is missing (" << ModulePath()
                    << "): apt-get install softhsm2 (tools/scripts/common.sh)";
      return;
    }
    const std::string cmd = "softhsm2-util --init-token --free --label '" + label_ +
                            "' --so-pin 13579 --pin '" + pin_ + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "softhsm2-util --init-token failed (is softhsm2 installed?)";
      return;
    }
    ready_ = true;
  }
  ~SoftHsmToken() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SoftHsmToken(const SoftHsmToken&) = delete;
  SoftHsmToken& operator=(const SoftHsmToken&) = delete;

  bool ready() const { return ready_; }
  const std::string& label() const { return label_; }
  std::string pin_file() const { return (dir_ / "user.pin").string(); }
  std::string dir() const { return dir_.string(); }

 private:
  std::string label_;
  std::string pin_;
  std::filesystem::path dir_;
  bool ready_ = false;
};

}  // namespace tenantkv::testing
