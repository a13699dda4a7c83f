#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "kavach/backend.hpp"
#include "kavach/backend_kind.hpp"
#include "kavach/enforcement.hpp"
#include "exit_codes.hpp"

namespace kavach {
namespace {

TEST(BackendKind, TenNamesRoundTrip) {
  std::set<std::string_view> names;
  for (BackendKind k : kAllBackends) {
    names.insert(to_string(k));
    auto parsed = parse_backend(to_string(k));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"process", "gvisor", "firecracker", "wasm", "oci", "sgx",
                                               "sev", "tdx", "syagnos", "noop"}));
}

TEST(BackendKind, ParseErrorListsValidValues) {
  auto r = parse_backend("docker");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::unknown_backend);
  for (BackendKind k : kAllBackends) {
    EXPECT_NE(r.error().message.find(std::string(to_string(k))), std::string::npos);
  }
}

TEST(BackendKind, ControlsRoundTrip) {
  for (Control c : kAllControls) EXPECT_EQ(*parse_control(to_string(c)), c);
  EXPECT_FALSE(parse_control("selinux").has_value());
}

// The JSON schema's list of controls is a renderer of kAllControls: a new control must reach it.
TEST(BackendKind, SchemaListsEveryControl) {
  std::ifstream in(KAVACH_SOURCE_DIR "/docs/json/common.schema.json");
  ASSERT_TRUE(in.good());
  const auto schema = nlohmann::json::parse(in);
  std::set<std::string> in_schema;
  for (const auto& name : schema.at("$defs").at("control").at("enum")) in_schema.insert(name.get<std::string>());
  std::set<std::string> in_code;
  for (Control c : kAllControls) in_code.insert(std::string(to_string(c)));
  EXPECT_EQ(in_schema, in_code);
}

TEST(ErrorCodes, CliExitCodesAreDistinct) {
  std::set<int> seen;
  for (int i = 0; i <= static_cast<int>(ErrorCode::internal); ++i) {
    int code = cli_exit_code(static_cast<ErrorCode>(i));
    EXPECT_TRUE(seen.insert(code).second) << "duplicate exit code " << code;
    EXPECT_GE(code, 64);
    EXPECT_LT(code, 124);
  }
}

TEST(Factory, EveryBackendHasAnHonestAnswer) {
  HostInfo empty;  // a host with nothing
  for (BackendKind k : kAllBackends) {
    auto b = create_backend(k, empty);
    ASSERT_TRUE(b.has_value()) << to_string(k);
    EXPECT_EQ((*b)->kind(), k);
    auto a = (*b)->availability();
    if (!a.available) {
      EXPECT_FALSE(a.reason.empty()) << to_string(k);
      auto run = (*b)->exec(SandboxPolicy{}, Command{{"/bin/true"}, {}, {}, {}});
      ASSERT_FALSE(run.has_value()) << to_string(k) << " claims to run without being available";
    }
  }
}

}  // namespace
}  // namespace kavach
