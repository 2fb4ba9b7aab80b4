// Prometheus text exposition format 0.0.4: a writer that can only produce
// well-formed output.
//
// Each metric family is opened once with its HELP and TYPE lines, and its
// samples follow it directly, so a family's lines are never interleaved with
// another's. Counter names end in "_total". Label values are escaped
// (backslash, double quote, line feed); HELP text escapes backslash and line
// feed. Histograms take per-bucket (non-cumulative) counts and write the
// cumulative `le` buckets, "+Inf" last, then `_sum` and `_count`.
// Not thread-safe: one writer per scrape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantkv::server {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class ExpositionWriter {
 public:
  // Starts a family. `name` must be a valid metric name; a counter's must end
  // in "_total"; each name may be opened once per writer. A family breaking
  // these rules is left out, with its samples, so the output stays valid.
  void Family(std::string_view name, MetricType type, std::string_view help);

  // One sample of the current counter or gauge family (dropped otherwise).
  // Label names must be valid and not "le"; others are left out.
  void Sample(const Labels& labels, double value);

  // One histogram of the current histogram family. `bounds` are the upper
  // bounds (ascending, finite); `counts` has bounds.size() + 1 entries, the
  // last counting observations above the last bound; anything else, or a
  // family that is no histogram, writes nothing.
  void Histogram(const Labels& labels, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& counts, double sum);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void WriteSeries(std::string_view suffix, const Labels& labels, std::string_view extra_name,
                   std::string_view extra_value, double value);

  std::string out_;
  std::string family_;
  MetricType type_ = MetricType::kGauge;
  bool skip_ = true;  // no valid family is open
  std::vector<std::string> opened_;
};

// Escapes a label value: \ -> \\, " -> \", line feed -> \n.
std::string EscapeLabelValue(std::string_view v);
// Escapes HELP text: \ -> \\, line feed -> \n.
std::string EscapeHelp(std::string_view v);
// A sample value as the format wants it: integers without exponent or
// fraction, "+Inf", "-Inf", "NaN", otherwise the shortest exact decimal.
std::string FormatValue(double v);
// [a-zA-Z_:][a-zA-Z0-9_:]* (metric names) / [a-zA-Z_][a-zA-Z0-9_]* (label names).
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace tenantkv::server
