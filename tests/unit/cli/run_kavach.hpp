// The whole CLI as main() runs it (run_main: parse errors, --help, --version included), with its
// stdout and stderr captured.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app.hpp"

namespace kavach::cli {

struct KavachRun {
  int status = -1;
  std::string out;
  std::string err;
};

inline KavachRun run_kavach(const std::vector<std::string>& args) {
  KavachRun r;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  r.status = run_main(args);
  r.err = testing::internal::GetCapturedStderr();
  r.out = testing::internal::GetCapturedStdout();
  return r;
}

// stdout (or stderr) as one JSON value; a test failure and an empty object when it is not JSON.
inline nlohmann::json parse_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << text;
  return j.is_discarded() ? nlohmann::json::object() : j;
}

}  // namespace kavach::cli
