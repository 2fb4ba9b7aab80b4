#include "tools/admin/text_table.h"

#include <algorithm>
#include <utility>

#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

constexpr char kColumnGap[] = "  ";

void AppendLine(std::string& out, const std::vector<std::string>& cells,
                const std::vector<std::size_t>& widths) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += kColumnGap;
    line += cells[i];
    if (i + 1 < cells.size()) line.append(widths[i] - DisplayWidth(cells[i]), ' ');
  }
  out += line;
  out += '\n';
}

}  // namespace

TextTable::TextTable(std::vector<std::string> header) : header_(std::move(header)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size(), "-");
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto widen = [&widths](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
    }
  };
  widen(header_);
  for (const auto& row : rows_) widen(row);
  std::string out;
  AppendLine(out, header_, widths);
  for (const auto& row : rows_) AppendLine(out, row, widths);
  return out;
}

void AppendSection(std::string& out, std::string_view title, const std::string& text) {
  if (!out.empty()) out += '\n';
  if (!title.empty()) {
    out += title;
    out += '\n';
  }
  out += text;
}

}  // namespace tenantkv::tools
