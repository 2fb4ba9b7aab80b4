// Status and Result<T>: the error vocabulary of every tenantkv module.
//
// It lives in crypto/, the bottom layer, so that every module above can use
// it without a dependency cycle. A Status carries a coarse Code (mapped to an
// HTTP status in exactly one place, server/http/http_status.cc), a stable
// machine-readable `reason` (the `code` field of problem+json, e.g.
// "not_found", "tenant_suspended") and a human message that never holds
// secrets or another tenant's data.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tenantkv {

enum class Code {
  kOk,
  kInvalidArgument,     // 400: the caller sent something malformed
  kUnauthenticated,     // 401: no or bad credentials
  kPermissionDenied,    // 403: authenticated, not allowed
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kFailedPrecondition,  // 412: If-Match / If-None-Match not met
  kTooLarge,            // 413: value or body too large
  kResourceExhausted,   // 429: rate or concurrency quota
  kStorageExhausted,    // 507: storage quota
  kUnavailable,         // 503: overloaded, shutting down, deadline passed
  kDataLoss,            // 500: stored data failed to open (tampered/corrupt)
  kInternal,            // 500: a bug or an unexpected library failure
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string reason, std::string message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg, std::string reason = "bad_request") {
    return {Code::kInvalidArgument, std::move(reason), std::move(msg)};
  }
  static Status Unauthenticated(std::string msg, std::string reason = "unauthenticated") {
    return {Code::kUnauthenticated, std::move(reason), std::move(msg)};
  }
  static Status PermissionDenied(std::string msg, std::string reason = "forbidden") {
    return {Code::kPermissionDenied, std::move(reason), std::move(msg)};
  }
  static Status NotFound(std::string msg, std::string reason = "not_found") {
    return {Code::kNotFound, std::move(reason), std::move(msg)};
  }
  static Status AlreadyExists(std::string msg, std::string reason = "already_exists") {
    return {Code::kAlreadyExists, std::move(reason), std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg,
                                   std::string reason = "precondition_failed") {
    return {Code::kFailedPrecondition, std::move(reason), std::move(msg)};
  }
  static Status TooLarge(std::string msg, std::string reason = "too_large") {
    return {Code::kTooLarge, std::move(reason), std::move(msg)};
  }
  static Status Unavailable(std::string msg, std::string reason = "unavailable") {
    return {Code::kUnavailable, std::move(reason), std::move(msg)};
  }
  static Status DataLoss(std::string msg, std::string reason = "data_loss") {
    return {Code::kDataLoss, std::move(reason), std::move(msg)};
  }
  static Status Internal(std::string msg, std::string reason = "internal") {
    return {Code::kInternal, std::move(reason), std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Marks an error as deliberately ignored, so that doing so is visible.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<Status, T> v_;
};

inline std::string Status::ToString() const {
  if (ok()) return "OK";
  return reason_ + ": " + message_;
}

}  // namespace tenantkv

// Early return on error, for functions returning Status or Result<T>.
#define TKV_RETURN_IF_ERROR(expr)               \
  do {                                          \
    ::tenantkv::Status tkv_status_ = (expr);    \
    if (!tkv_status_.ok()) return tkv_status_;  \
  } while (0)

#define TKV_CONCAT_INNER(a, b) a##b
#define TKV_CONCAT(a, b) TKV_CONCAT_INNER(a, b)
#define TKV_ASSIGN_OR_RETURN(lhs, rexpr) \
  TKV_ASSIGN_OR_RETURN_IMPL(TKV_CONCAT(tkv_result_, __LINE__), lhs, rexpr)
#define TKV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                              \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
