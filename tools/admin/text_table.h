// Plain aligned columns for human output: a header row, then one line per
// row, columns two spaces apart, no trailing spaces.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenantkv::tools {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);

  // A row shorter than the header is padded with "-"; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  std::size_t row_count() const { return rows_.size(); }

  // The header and every row, each line ending in '\n'. Cells are padded to
  // their column's display width (UTF-8 code points).
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Appends `text` to `out` as a section: a blank line first when `out` is not
// empty, then `title` on a line of its own when it is not empty.
void AppendSection(std::string& out, std::string_view title, const std::string& text);

}  // namespace tenantkv::tools
