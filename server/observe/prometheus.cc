#include "server/observe/prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tenantkv::server {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {  // 2^53: exact integers
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  return IsValidMetricName(name) && name.find(':') == std::string_view::npos;
}

void ExpositionWriter::Family(std::string_view name, MetricType type, std::string_view help) {
  const bool valid = IsValidMetricName(name) &&
                     (type != MetricType::kCounter ||
                      (name.size() > 6 && name.substr(name.size() - 6) == "_total"));
  const bool repeat = std::find(opened_.begin(), opened_.end(), name) != opened_.end();
  skip_ = !valid || repeat;
  if (skip_) return;
  opened_.emplace_back(name);
  family_ = std::string(name);
  type_ = type;
  static const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += EscapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += kTypeNames[static_cast<int>(type)];
  out_ += '\n';
}

void ExpositionWriter::WriteSeries(std::string_view suffix, const Labels& labels, std::string_view extra_name,
                                   std::string_view extra_value, double value) {
  out_ += family_;
  out_ += suffix;
  if (!labels.empty() || !extra_name.empty()) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view n, std::string_view v) {
      if (!first) out_ += ',';
      first = false;
      out_ += n;
      out_ += "=\"";
      out_ += EscapeLabelValue(v);
      out_ += '"';
    };
    for (const auto& [n, v] : labels) {
      if (IsValidLabelName(n) && n != "le") add(n, v);
    }
    if (!extra_name.empty()) add(extra_name, extra_value);
    out_ += '}';
  }
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

void ExpositionWriter::Sample(const Labels& labels, double value) {
  if (skip_ || type_ == MetricType::kHistogram) return;
  WriteSeries("", labels, "", "", value);
}

void ExpositionWriter::Histogram(const Labels& labels, const std::vector<double>& bounds,
                                 const std::vector<uint64_t>& counts, double sum) {
  if (skip_ || type_ != MetricType::kHistogram || counts.size() != bounds.size() + 1) return;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += counts[i];
    WriteSeries("_bucket", labels, "le", FormatValue(bounds[i]), static_cast<double>(cumulative));
  }
  cumulative += counts.back();
  WriteSeries("_bucket", labels, "le", "+Inf", static_cast<double>(cumulative));
  WriteSeries("_sum", labels, "", "", sum);
  WriteSeries("_count", labels, "", "", static_cast<double>(cumulative));
}

}  // namespace tenantkv::server
