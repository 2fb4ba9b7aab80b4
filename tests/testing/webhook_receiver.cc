#include "tests/testing/webhook_receiver.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "crypto/hash.h"
#include "crypto/hmac.h"

namespace tenantkv::testing {

WebhookReceiver::~WebhookReceiver() { Stop(); }

void WebhookReceiver::Start() {
  ASSERT_EQ(server_, nullptr) << "already started";
  if (cert_file_.empty()) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    server_ = std::make_unique<httplib::SSLServer>(cert_file_.c_str(), key_file_.c_str());
    ASSERT_TRUE(server_->is_valid()) << "cannot load " << cert_file_;
  }
  server_->Post("/hook", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
  if (port_ == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
  } else {
    // The old socket may linger a moment; SO_REUSEADDR is set by httplib.
    bool bound = false;
    for (int i = 0; i < 50 && !bound; ++i) {
      bound = server_->bind_to_port("127.0.0.1", port_);
      if (!bound) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(bound) << "cannot listen on 127.0.0.1:" << port_ << " again";
  }
  ASSERT_GT(port_, 0);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void WebhookReceiver::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

void WebhookReceiver::SetSecret(const std::string& secret) {
  std::lock_guard<std::mutex> lock(mu_);
  secret_ = secret;
}

std::map<std::string, std::string> WebhookReceiver::Events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

size_t WebhookReceiver::duplicates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return duplicates_;
}

size_t WebhookReceiver::bad_signatures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_;
}

void WebhookReceiver::Handle(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.get_header_value("Tenantkv-Webhook-Id");
  const std::string ts = req.get_header_value("Tenantkv-Webhook-Timestamp");
  const std::string sig = req.get_header_value("Tenantkv-Webhook-Signature");
  std::lock_guard<std::mutex> lock(mu_);
  auto refuse = [&] {
    ++bad_;
    res.status = 400;
  };
  // 1. The timestamp is recent (replay of an old delivery).
  char* end = nullptr;
  const long long t = std::strtoll(ts.c_str(), &end, 10);
  if (ts.empty() || *end != '\0' || std::llabs(static_cast<long long>(std::time(nullptr)) - t) > 300) return refuse();
  // 2. The signature is the secret's, compared in constant time.
  auto mac = crypto::HmacSha256(secret_, ts + "." + req.body);
  if (!mac.ok()) return refuse();
  const std::string want =
      "v1=" + crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(mac->data()), mac->size()));
  if (!crypto::ConstantTimeEquals(sig, want)) return refuse();
  // 3. The body names the same id; each id is kept once.
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || body.value("id", "") != id || id.empty()) return refuse();
  if (!events_.emplace(id, req.body).second) ++duplicates_;
  res.status = 204;
}

}  // namespace tenantkv::testing
