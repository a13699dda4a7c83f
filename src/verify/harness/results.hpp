// Probe results: parsing the probe's JSON lines, pinned expectation files, differences.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::probes {

struct ProbeResult {
  std::string id;
  std::string verdict;  // PASS FAIL SKIP INFO
  std::string err;      // errno name
  std::string detail;
  bool harness = false;  // verdict decided (or amended) by the harness
};

using Results = std::map<std::string, ProbeResult>;

// Every line must be a JSON object with id/verdict/errno/detail; anything else is an error.
[[nodiscard]] Result<Results> parse_probe_output(const std::string& jsonl);

// Pinned expectations: {"backend":..,"preset":..,"probes":{"H01":"PASS",...}}.
struct Expected {
  std::string backend;
  std::string preset;
  std::map<std::string, std::string> verdicts;
};
[[nodiscard]] Result<Expected> load_expected(const std::filesystem::path& file);
[[nodiscard]] std::string expected_to_json(const Expected& e, const Results& evidence);

struct Difference {
  std::string id;
  std::string expected;
  std::string actual;
  std::string detail;
};
// Probes missing on either side count as differences.
[[nodiscard]] std::vector<Difference> compare(const Expected& e, const Results& actual);

// Group letter -> human name ("H" -> "launcher hygiene").
[[nodiscard]] std::string group_name(char letter);

}  // namespace kavach::probes
