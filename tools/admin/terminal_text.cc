#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// U+0080..U+009F are encoded as C2 80..C2 9F.
bool IsC1ControlAt(std::string_view text, std::size_t i) {
  if (i + 1 >= text.size()) return false;
  const auto lead = static_cast<unsigned char>(text[i]);
  const auto next = static_cast<unsigned char>(text[i + 1]);
  return lead == 0xc2 && next >= 0x80 && next <= 0x9f;
}

}  // namespace

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsC1ControlAt(text, i)) {
      out += ' ';
      ++i;
    } else if (IsControl(static_cast<unsigned char>(text[i]))) {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::size_t DisplayWidth(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) {
    const bool continuation = (static_cast<unsigned char>(c) & 0xc0) == 0x80;
    if (!continuation) ++width;
  }
  return width;
}

}  // namespace tenantkv::tools
