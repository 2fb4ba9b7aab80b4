// Percent-encoding (RFC 3986) of the caller-supplied parts of a request path.
#pragma once

#include <string>
#include <string_view>

namespace tenantkv::tools {

// `segment` as one opaque path segment: every byte outside the unreserved set
// (ALPHA / DIGIT / "-" / "." / "_" / "~") becomes %XX with upper-case hex, so
// "/", "?", "#" and "%" cannot change the route. A segment made only of dots
// ("." or "..") is fully encoded too, because HTTP stacks resolve those as
// dot-segments. The empty segment stays empty: callers reject empty ids.
std::string EncodePathSegment(std::string_view segment);

}  // namespace tenantkv::tools
