#include "backends/common/bounded_buffer.hpp"

#include <gtest/gtest.h>

namespace kavach::common {
namespace {

TEST(BoundedBuffer, KeepsTheFirstCapBytesAndCountsAll) {
  BoundedBuffer b(5);
  b.append("abc", 3);
  EXPECT_FALSE(b.truncated());
  b.append("defg", 4);
  EXPECT_TRUE(b.truncated());
  EXPECT_EQ(b.data(), "abcde");
  EXPECT_EQ(b.total_bytes(), 7u);
  b.append("hij", 3);
  EXPECT_EQ(b.data(), "abcde");
  EXPECT_EQ(b.total_bytes(), 10u);
}

TEST(BoundedBuffer, ZeroCapKeepsNothing) {
  BoundedBuffer b(0);
  b.append("x", 1);
  EXPECT_EQ(b.data(), "");
  EXPECT_TRUE(b.truncated());
}

}  // namespace
}  // namespace kavach::common
