// Text that came from the network or the user, made safe to print on a
// terminal as part of a single line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tenantkv::tools {

// `text` with every C0 control character, DEL and C1 control (U+0080..U+009F)
// replaced by a space, so that it stays on one line and cannot carry
// terminal escape sequences. Other bytes are kept as they are.
std::string OneLine(std::string_view text);

// How many columns `text` takes: its number of UTF-8 code points.
std::size_t DisplayWidth(std::string_view text);

}  // namespace tenantkv::tools
