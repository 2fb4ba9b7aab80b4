#include "server/http/connection_caps.h"

#include <gtest/gtest.h>

namespace tenantkv::server {
namespace {

TEST(ConnectionCaps, RefusesPerAddressThenInAllAndFreesOnRelease) {
  ConnectionCaps caps(5, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(caps.Admit("10.0.0.1"), ConnectionCaps::Verdict::kAdmitted);
  EXPECT_EQ(caps.Admit("10.0.0.1"), ConnectionCaps::Verdict::kAddressCap);
  EXPECT_EQ(caps.open_from("10.0.0.1"), 3u) << "a refusal is not counted";
  EXPECT_EQ(caps.Admit("10.0.0.2"), ConnectionCaps::Verdict::kAdmitted);
  EXPECT_EQ(caps.Admit("10.0.0.3"), ConnectionCaps::Verdict::kAdmitted);
  EXPECT_EQ(caps.Admit("10.0.0.4"), ConnectionCaps::Verdict::kTotalCap);
  EXPECT_EQ(caps.open(), 5u);
  caps.Release("10.0.0.1");
  EXPECT_EQ(caps.open_from("10.0.0.1"), 2u);
  EXPECT_EQ(caps.Admit("10.0.0.4"), ConnectionCaps::Verdict::kAdmitted);
  caps.Release("10.0.0.2");
  caps.Release("10.0.0.2");  // more releases than admissions change nothing
  EXPECT_EQ(caps.open_from("10.0.0.2"), 0u);
  EXPECT_EQ(caps.open(), 4u);
}

}  // namespace
}  // namespace tenantkv::server
