#include "server/observe/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

namespace tenantkv::server {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Prometheus, EscapesLabelValues) {
  struct Case {
    std::string in, out;
  } cases[] = {{"plain", "plain"},
               {"back\\slash", "back\\\\slash"},
               {"a \"quote\"", "a \\\"quote\\\""},
               {"two\nlines", "two\\nlines"},
               {"\\\"\n", "\\\\\\\"\\n"},
               {"tab\tstays", "tab\tstays"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(EscapeLabelValue(c.in), c.out);
  }
}

TEST(Prometheus, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a \"b\"\\c\nd"), "a \"b\"\\\\c\\nd");
}

TEST(Prometheus, FormatsValues) {
  struct Case {
    double in;
    std::string out;
  } cases[] = {{0, "0"},
               {42, "42"},
               {-7, "-7"},
               {10737418240.0, "10737418240"},
               {0.5, "0.5"},
               {0.1, "0.1"},
               {2.5e-4, "0.00025"},
               {std::numeric_limits<double>::infinity(), "+Inf"},
               {-std::numeric_limits<double>::infinity(), "-Inf"},
               {std::nan(""), "NaN"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.out);
    EXPECT_EQ(FormatValue(c.in), c.out);
  }
  // Whatever the notation, the value reads back exactly.
  for (double v : {1.0 / 3.0, 1e300, 123456.789, 9007199254740993.0}) {
    EXPECT_EQ(std::stod(FormatValue(v)), v) << FormatValue(v);
  }
}

TEST(Prometheus, ValidatesNames) {
  EXPECT_TRUE(IsValidMetricName("tenantkv_requests_total"));
  EXPECT_TRUE(IsValidMetricName("ns:sub_metric"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("has-dash"));
  EXPECT_TRUE(IsValidLabelName("tenant"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

TEST(Prometheus, FamilyHeaderThenSamplesWithLabelsInOrder) {
  ExpositionWriter w;
  w.Family("x_requests_total", MetricType::kCounter, "Requests.\nSecond line");
  w.Sample({{"tenant", "a\"b"}, {"code", "200"}}, 3);
  w.Sample({}, 1);
  w.Family("x_depth", MetricType::kGauge, "Depth.");
  w.Sample({{"tenant", "a"}}, 0.25);
  EXPECT_EQ(Lines(w.text()), (std::vector<std::string>{
                                 "# HELP x_requests_total Requests.\\nSecond line",
                                 "# TYPE x_requests_total counter",
                                 "x_requests_total{tenant=\"a\\\"b\",code=\"200\"} 3",
                                 "x_requests_total 1",
                                 "# HELP x_depth Depth.",
                                 "# TYPE x_depth gauge",
                                 "x_depth{tenant=\"a\"} 0.25",
                             }));
  EXPECT_EQ(w.text().back(), '\n');
}

TEST(Prometheus, HistogramBucketsAreCumulativeEndingWithInf) {
  ExpositionWriter w;
  w.Family("x_wait_seconds", MetricType::kHistogram, "Wait.");
  // Per-bucket counts: 2 <= 0.001, 0 in (0.001, 0.01], 5 in (0.01, 0.1], 1 above.
  w.Histogram({{"tenant", "t"}}, {0.001, 0.01, 0.1}, {2, 0, 5, 1}, 1.75);
  EXPECT_EQ(Lines(w.text()), (std::vector<std::string>{
                                 "# HELP x_wait_seconds Wait.",
                                 "# TYPE x_wait_seconds histogram",
                                 "x_wait_seconds_bucket{tenant=\"t\",le=\"0.001\"} 2",
                                 "x_wait_seconds_bucket{tenant=\"t\",le=\"0.01\"} 2",
                                 "x_wait_seconds_bucket{tenant=\"t\",le=\"0.1\"} 7",
                                 "x_wait_seconds_bucket{tenant=\"t\",le=\"+Inf\"} 8",
                                 "x_wait_seconds_sum{tenant=\"t\"} 1.75",
                                 "x_wait_seconds_count{tenant=\"t\"} 8",
                             }));
}

TEST(Prometheus, HistogramWithTheWrongNumberOfCountsWritesNothing) {
  ExpositionWriter w;
  w.Family("x_seconds", MetricType::kHistogram, "H.");
  const size_t header = w.text().size();
  w.Histogram({}, {0.1, 1}, {1, 2}, 0);
  EXPECT_EQ(w.text().size(), header);
  w.Family("x_gauge", MetricType::kGauge, "G.");
  const size_t gauge_header = w.text().size();
  w.Histogram({}, {0.1}, {1, 2}, 0);  // not a histogram family
  EXPECT_EQ(w.text().size(), gauge_header);
}

TEST(Prometheus, SamplesOutsideAValidFamilyAndBadLabelNamesAreLeftOut) {
  ExpositionWriter w;
  w.Sample({}, 1);  // no family yet
  EXPECT_EQ(w.text(), "");
  w.Family("x_g", MetricType::kGauge, "G.");
  w.Sample({{"bad-name", "v"}, {"le", "1"}, {"ok", "v"}}, 2);
  EXPECT_NE(w.text().find("x_g{ok=\"v\"} 2\n"), std::string::npos) << w.text();
}

TEST(Prometheus, CounterWithoutTotalSuffixOrRepeatedFamilyIsRefused) {
  ExpositionWriter w;
  w.Family("x_requests", MetricType::kCounter, "no suffix");
  w.Sample({}, 1);
  w.Family("bad name_total", MetricType::kCounter, "invalid");
  w.Sample({}, 1);
  EXPECT_EQ(w.text(), "");
  w.Family("x_total", MetricType::kCounter, "ok");
  w.Sample({}, 1);
  const std::string once = w.text();
  w.Family("x_total", MetricType::kCounter, "again");
  w.Sample({}, 2);
  EXPECT_EQ(w.text(), once);
}

}  // namespace
}  // namespace tenantkv::server
