// The one place where a Status becomes an HTTP answer (problem+json).
#pragma once

#include <httplib.h>

#include <string>

#include "crypto/status.h"

namespace tenantkv::server {

// A function of s.code() alone: the reason and message never change it.
// Conditions only HTTP has (405, 411) have no Code; their problems are
// written with WriteHttpProblem where they arise.
int HttpStatusOf(const Status& s);

// Sets status, Content-Type application/problem+json and an RFC 9457 body:
// {"type","title","status","detail","code"}. 5xx details are generic: the
// internal message is logged by the caller, never sent.
void WriteProblem(httplib::Response& res, const Status& s);

// A problem for an HTTP-level failure that has no Status (e.g. the HTTP
// library refused a request line): code "bad_request", "payload_too_large"...
void WriteHttpProblem(httplib::Response& res, int http_status);
// The same with the problem's code and detail given, for a refusal that
// only HTTP has a status for (405 method_not_allowed, 411 length_required).
// `http_status` must be a 4xx.
void WriteHttpProblem(httplib::Response& res, int http_status, const std::string& code,
                      const std::string& detail);

// Adds a response header whose name and value the server built itself
// (digits, quoted hex ETags, fixed words, checked request ids): no CR or LF
// can be in them, so the library's per-call check and its temporary
// strings are skipped. Anything that carries client text uses
// res.set_header(). Every data answer sets several of these.
//
// The header map orders names case-insensitively, one library call to
// tolower() per character compared, so a plain insert costs a few long
// comparisons ("RateLimit-Remaining" against "RateLimit-Reset"...). The
// data routes add theirs in ascending order, so the end of the map is
// tried first: one comparison when the name sorts last, the usual search
// otherwise (the map's order, and so the answer, is the same either way).
inline void AddOwnHeader(httplib::Response& res, const std::string& name, std::string value) {
  res.headers.emplace_hint(res.headers.end(), name, std::move(value));
}

}  // namespace tenantkv::server
