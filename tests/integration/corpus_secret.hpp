// A real secret from our labelled corpus (tests/data/gate/positives.jsonl), by rule id: the gate
// tests use secrets the rules really know (checksum-valid where the rule checks one).
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace kavach {

inline std::string corpus_secret(const std::string& rule) {
  std::ifstream in(std::string(KAVACH_SOURCE_DIR) + "/tests/data/gate/positives.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("rule", "") == rule) return j.value("secret", "");
  }
  return {};
}

}  // namespace kavach
