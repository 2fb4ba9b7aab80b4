// Reading a bearer token from a file. The token is a secret: no message
// produced here contains it.
#pragma once

#include <string>

#include "crypto/status.h"
#include "tools/bench/tenant_spec.h"

namespace tenantkv::bench {

// The file's content without leading and trailing whitespace. InvalidArgument
// when the file cannot be read, is over 4 KiB, or the token is empty or holds
// whitespace or control characters.
Result<std::string> ReadTokenFile(const std::string& path);

// The token a spec brings: its token=, else the content of its token_file=.
// InvalidArgument when it has neither (then only --setup can make one).
Result<std::string> GivenToken(const TenantSpec& spec);

}  // namespace tenantkv::bench
