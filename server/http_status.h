// The one place where a Status becomes an HTTP answer (problem+json).
#pragma once

#include <httplib.h>

#include <string>

#include "crypto/status.h"

namespace tenantkv::server {

int HttpStatusOf(const Status& s);

// Sets status, Content-Type application/problem+json and an RFC 9457 body:
// {"type","title","status","detail","code"}. 5xx details are generic: the
// internal message is logged by the caller, never sent.
void WriteProblem(httplib::Response& res, const Status& s);

// A problem for an HTTP-level failure that has no Status (e.g. the HTTP
// library refused a request line): code "bad_request", "payload_too_large"...
void WriteHttpProblem(httplib::Response& res, int http_status);

}  // namespace tenantkv::server
