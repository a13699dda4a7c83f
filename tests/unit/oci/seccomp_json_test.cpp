// The OCI seccomp JSON is the core's program, translated without loss: parsing it back gives
// the same rules, and the architectures say how foreign ABIs are treated.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <tuple>

#include "backends/oci/seccomp_json.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::oci {
namespace {

using Rule = std::tuple<std::string, std::string, unsigned, std::string>;  // name, action, errno, args

std::string args_text(const nlohmann::json& args) { return args.is_null() ? "" : args.dump(); }

// The program as (name, OCI action, errno, args) tuples, the way OCI spells them.
std::multiset<Rule> expected_rules(const SeccompProgram& p) {
  std::multiset<Rule> out;
  for (const auto& r : p.rules) {
    nlohmann::json args = nullptr;
    if (!r.conds.empty()) {
      args = nlohmann::json::array();
      for (const auto& c : r.conds) {
        const bool masked = c.op == ArgOp::masked_eq;
        args.push_back({{"index", c.index},
                        {"op", c.op == ArgOp::eq ? "SCMP_CMP_EQ" : c.op == ArgOp::ne ? "SCMP_CMP_NE" : "SCMP_CMP_MASKED_EQ"},
                        {"value", masked ? c.mask : c.value},
                        {"valueTwo", masked ? c.value : 0}});
      }
    }
    out.insert({r.name, oci_action(r.action), oci_errno(r.action), args_text(args)});
  }
  return out;
}

std::multiset<Rule> parsed_rules(const nlohmann::json& s) {
  std::multiset<Rule> out;
  for (const auto& e : s.at("syscalls")) {
    for (const auto& n : e.at("names")) {
      out.insert({n.get<std::string>(), e.at("action").get<std::string>(), e.value("errnoRet", 0u),
                  args_text(e.contains("args") ? e.at("args") : nlohmann::json(nullptr))});
    }
  }
  return out;
}

SeccompProgram program(SeccompMode mode) {
  SeccompPolicy p;
  p.mode = mode;
  auto prog = build_seccomp_program(p);
  EXPECT_TRUE(prog.has_value());
  return *prog;
}

TEST(OciSeccomp, StrictIsTranslatedWithoutLoss) {
  const SeccompProgram p = program(SeccompMode::strict);
  const nlohmann::json s = seccomp_to_oci(p);
  EXPECT_EQ(s.at("defaultAction"), "SCMP_ACT_ERRNO");
  EXPECT_EQ(s.at("defaultErrnoRet"), EPERM);
  EXPECT_EQ(parsed_rules(s), expected_rules(p));
  // clone3 answers ENOSYS so libc falls back to clone.
  bool clone3 = false;
  for (const auto& e : s.at("syscalls")) {
    for (const auto& n : e.at("names")) {
      if (n == "clone3") clone3 = e.at("errnoRet") == ENOSYS;
    }
  }
  EXPECT_TRUE(clone3);
}

TEST(OciSeccomp, BasicIsTranslatedWithoutLoss) {
  const SeccompProgram p = program(SeccompMode::basic);
  const nlohmann::json s = seccomp_to_oci(p);
  EXPECT_EQ(s.at("defaultAction"), "SCMP_ACT_ALLOW");
  EXPECT_FALSE(s.contains("defaultErrnoRet"));
  EXPECT_EQ(parsed_rules(s), expected_rules(p));
}

TEST(OciSeccomp, ForeignAbisDeniedByListingOnlyTheNativeArch) {
  const nlohmann::json strict = seccomp_to_oci(program(SeccompMode::strict));
  EXPECT_EQ(strict.at("architectures"), nlohmann::json::array({"SCMP_ARCH_X86_64"}));
  EXPECT_EQ(seccomp_to_oci(program(SeccompMode::none)).at("architectures"),
            nlohmann::json::array({"SCMP_ARCH_X86_64"}));
}

// seccomp "none" still renders a profile: the host-safety rules (issue 12, item 1).
TEST(OciSeccomp, NoneRendersTheHostSafetyProfile) {
  const auto none = seccomp_to_oci(program(SeccompMode::none));
  ASSERT_FALSE(none.is_null());
  EXPECT_EQ(none.at("defaultAction"), "SCMP_ACT_ALLOW");
  bool chmod_rule = false;
  for (const auto& e : none.at("syscalls")) {
    for (const auto& n : e.at("names")) chmod_rule = chmod_rule || n == "fchmodat";
  }
  EXPECT_TRUE(chmod_rule) << none.dump();
  SeccompPolicy p;
  p.mode = SeccompMode::none;
  p.extra_deny = {"ptrace"};
  auto prog = build_seccomp_program(p);
  ASSERT_TRUE(prog.has_value());
  const auto s = seccomp_to_oci(*prog);
  ASSERT_FALSE(s.is_null()) << "extra_deny alone still filters";
  EXPECT_EQ(s.at("architectures").size(), 1u);
}

TEST(OciSeccomp, MaskedEqualityUsesOciValueOrder) {
  SeccompProgram p;
  p.default_action = SeccompAction::allow;
  p.rules.push_back({"clone", SeccompAction::errno_eperm, {{0, ArgOp::masked_eq, 0x10000000, 0x10000000}}});
  p.rules.push_back({"personality", SeccompAction::errno_eperm, {{0, ArgOp::ne, 0xffffffff, 0}}});
  const auto s = seccomp_to_oci(p);
  const auto& clone = s.at("syscalls").at(0).at("args").at(0);
  EXPECT_EQ(clone.at("op"), "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone.at("value"), 0x10000000u) << "value = mask";
  EXPECT_EQ(clone.at("valueTwo"), 0x10000000u) << "valueTwo = expected value";
  const auto& pers = s.at("syscalls").at(1).at("args").at(0);
  EXPECT_EQ(pers.at("op"), "SCMP_CMP_NE");
  EXPECT_EQ(pers.at("value"), 0xffffffffu);
}

TEST(OciSeccomp, GvisorVariantLetsTheSentryAnswerClone3) {
  std::string notes;
  const auto strict = seccomp_to_oci_for_gvisor(program(SeccompMode::strict), notes);
  EXPECT_FALSE(notes.empty());
  for (const auto& e : strict.at("syscalls")) {
    for (const auto& n : e.at("names")) {
      if (n == "clone3") {
        EXPECT_EQ(e.at("action"), "SCMP_ACT_ALLOW");
      }
    }
  }
  const auto basic = seccomp_to_oci_for_gvisor(program(SeccompMode::basic), notes);
  for (const auto& e : basic.at("syscalls")) {
    for (const auto& n : e.at("names")) EXPECT_NE(n, "clone3") << "default allow: the rule is dropped";
  }
}

}  // namespace
}  // namespace kavach::oci
