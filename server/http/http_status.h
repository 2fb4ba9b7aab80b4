// The one place where a Status becomes an HTTP answer (problem+json).
#pragma once

#include <string>

#include "crypto/status.h"
#include "server/http/http_message.h"

namespace tenantkv::server {

// A function of s.code() alone: the reason and message never change it.
// Conditions only HTTP has (405, 411) have no Code; their problems are
// written with WriteHttpProblem where they arise.
int HttpStatusOf(const Status& s);

// Sets status, Content-Type application/problem+json and an RFC 9457 body:
// {"type","title","status","detail","code"}. 5xx details are generic: the
// internal message is logged by the caller, never sent.
void WriteProblem(HttpResponse& res, const Status& s);

// A problem for an HTTP-level failure that has no Status (e.g. the HTTP
// library refused a request line): code "bad_request", "payload_too_large"...
void WriteHttpProblem(HttpResponse& res, int http_status);
// The same with the problem's code and detail given, for a refusal that
// only HTTP has a status for (405 method_not_allowed, 411 length_required).
// `http_status` must be a 4xx.
void WriteHttpProblem(HttpResponse& res, int http_status, const std::string& code,
                      const std::string& detail);

// Adds a response header whose name and value the server built itself
// (digits, quoted hex ETags, fixed words, checked request ids): no CR or LF
// can be in them, so the library's per-call check and its temporary
// strings are skipped. Anything that carries client text uses
// res.SetHeader(). Every data answer sets several of these; each name is
// added once.
inline void AddOwnHeader(HttpResponse& res, const std::string& name, std::string value) {
  res.headers.Add(name, std::move(value));
}

}  // namespace tenantkv::server
