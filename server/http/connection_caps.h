// ConnectionCaps: the open connections of the HTTP front, in all and per
// client address, checked when a connection is accepted (before a byte of
// it is read).
//
// A safety net against floods only: the tenants of a SaaS app all arrive
// from a few app-server addresses, so the per-address cap is sized far
// above one tenant's share (default 4,096) and per-tenant fairness comes
// from the tenants' own limits and the scheduler. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

#include "crypto/mutex.h"

namespace tenantkv::server {

class ConnectionCaps {
 public:
  ConnectionCaps(size_t max_total, size_t max_per_address);

  enum class Verdict { kAdmitted, kTotalCap, kAddressCap };
  // Counts a new connection from `address` unless a cap is reached.
  Verdict Admit(const std::string& address);
  // Forgets one admitted connection from `address`.
  void Release(const std::string& address);

  size_t open() const;
  size_t open_from(const std::string& address) const;

 private:
  const size_t max_total_;
  const size_t max_per_address_;
  mutable Mutex mu_;
  std::unordered_map<std::string, size_t> per_address_ GUARDED_BY(mu_);
  size_t open_ GUARDED_BY(mu_) = 0;
};

}  // namespace tenantkv::server
