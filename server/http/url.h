// Strict percent-decoding of request targets.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tenantkv::server {

// Decodes %XX escapes; '+' stays '+'. nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s);

// Parses "a=1&b=x%20y" (form encoding: '+' is a space). nullopt on a
// malformed escape or a repeated parameter.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// Percent-encodes every byte outside RFC 3986's unreserved set.
std::string PercentEncode(std::string_view s);

}  // namespace tenantkv::server
