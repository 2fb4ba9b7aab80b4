// Turning a non-2xx answer, normally an RFC 9457 problem+json body
// {"type","title","status","detail","code"}, into one line for the user.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::tools {

// "<status> <code>: <detail>", e.g. "404 not_found: tenant 'x' does not
// exist". Without `code` the form is "<status>: <text>"; the text is `detail`,
// else `title`, else the standard reason phrase of `http_status`. A body that
// is not JSON is not shown (it may be a proxy's HTML page).
std::string DescribeHttpError(int http_status, std::string_view body);

// The error for a non-2xx answer: its Code follows the HTTP status (404 →
// kNotFound, ...), its reason is the problem's `code` ("http_error" when
// absent or equal to kUsageReason, so that ExitCodeFor() gives 1) and its
// message is DescribeHttpError().
Status HttpErrorStatus(int http_status, std::string_view body);

}  // namespace tenantkv::tools
