#include "tools/admin/percent_encoding.h"

namespace tenantkv::tools {
namespace {

// Spelled out rather than std::isalnum, which depends on the locale.
bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsDotSegment(std::string_view segment) {
  return !segment.empty() && segment.find_first_not_of('.') == std::string_view::npos &&
         segment.size() <= 2;
}

void AppendEscaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0x0f];
}

}  // namespace

std::string EncodePathSegment(std::string_view segment) {
  const bool dots = IsDotSegment(segment);
  std::string out;
  out.reserve(segment.size() * 3);
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) && !dots) {
      out += ch;
    } else {
      AppendEscaped(out, c);
    }
  }
  return out;
}

}  // namespace tenantkv::tools
