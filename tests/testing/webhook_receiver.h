// WebhookReceiver: a local webhook receiver for end-to-end tests, doing
// what docs/api.md asks of a real one: it checks each delivery's signature
// (HMAC-SHA256 of "<timestamp>.<body>" under the endpoint's secret,
// compared in constant time), refuses a timestamp more than 5 minutes
// away, and keeps each event id once (a redelivery is acknowledged and
// counted, not kept twice). Plain HTTP on 127.0.0.1; Stop() and Start()
// again come back on the same port, as a receiver that was down would.
// Given a certificate and key it serves HTTPS (the test PKI's server
// certificate is for localhost and 127.0.0.1).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace tenantkv::testing {

class WebhookReceiver {
 public:
  WebhookReceiver() = default;
  WebhookReceiver(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}
  ~WebhookReceiver();

  // The first start takes a free port; later ones the same port.
  void Start();
  // Stops listening; the deliveries sent meanwhile fail (and are retried).
  void Stop();
  int port() const { return port_; }
  // http://127.0.0.1:PORT/hook, or https://localhost:PORT/hook with TLS.
  std::string url() const {
    return cert_file_.empty() ? "http://127.0.0.1:" + std::to_string(port_) + "/hook"
                              : "https://localhost:" + std::to_string(port_) + "/hook";
  }
  // The endpoint's secret, from its creation's answer.
  void SetSecret(const std::string& secret);

  // Each event id received with a good signature, and its body.
  std::map<std::string, std::string> Events() const;
  size_t duplicates() const;      // good deliveries of an id already kept
  size_t bad_signatures() const;  // deliveries refused (bad or missing signature, stale timestamp)

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);

  std::string cert_file_, key_file_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::string secret_;
  std::map<std::string, std::string> events_;
  size_t duplicates_ = 0;
  size_t bad_ = 0;
};

}  // namespace tenantkv::testing
