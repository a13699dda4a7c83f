#include "results.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kavach::probes {

Result<Results> parse_probe_output(const std::string& jsonl) {
  Results out;
  std::istringstream in(jsonl);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      ProbeResult r;
      r.id = j.at("id").get<std::string>();
      r.verdict = j.at("verdict").get<std::string>();
      r.err = j.at("errno").get<std::string>();
      r.detail = j.at("detail").get<std::string>();
      if (r.verdict != "PASS" && r.verdict != "FAIL" && r.verdict != "SKIP" && r.verdict != "INFO") {
        return fail(ErrorCode::invalid_argument, "probe output line " + std::to_string(n) + ": bad verdict " + r.verdict);
      }
      out[r.id] = std::move(r);
    } catch (const std::exception& ex) {
      return fail(ErrorCode::invalid_argument,
                  "probe output line " + std::to_string(n) + " is not a result: " + ex.what(),
                  {{"line", line.substr(0, 200)}});
    }
  }
  return out;
}

Result<Expected> load_expected(const std::filesystem::path& file) {
  std::ifstream f(file);
  if (!f) return fail(ErrorCode::path_not_found, "cannot open expectations " + file.string());
  try {
    auto j = nlohmann::json::parse(f);
    Expected e;
    e.backend = j.at("backend").get<std::string>();
    e.preset = j.at("preset").get<std::string>();
    for (const auto& [id, v] : j.at("probes").items()) {
      e.verdicts[id] = v.is_string() ? v.get<std::string>() : v.at("verdict").get<std::string>();
    }
    return e;
  } catch (const std::exception& ex) {
    return fail(ErrorCode::invalid_argument, "bad expectations file " + file.string() + ": " + ex.what());
  }
}

std::string expected_to_json(const Expected& e, const Results& evidence) {
  nlohmann::ordered_json j;
  j["backend"] = e.backend;
  j["preset"] = e.preset;
  nlohmann::ordered_json probes = nlohmann::ordered_json::object();
  for (const auto& [id, v] : e.verdicts) {
    auto it = evidence.find(id);
    probes[id] = {{"verdict", v}, {"evidence", it == evidence.end() ? "" : it->second.detail.substr(0, 160)}};
  }
  j["probes"] = probes;
  return j.dump(2) + "\n";
}

std::vector<Difference> compare(const Expected& e, const Results& actual) {
  std::vector<Difference> out;
  for (const auto& [id, v] : e.verdicts) {
    auto it = actual.find(id);
    if (it == actual.end()) {
      out.push_back({id, v, "(missing)", ""});
    } else if (it->second.verdict != v) {
      out.push_back({id, v, it->second.verdict, it->second.detail});
    }
  }
  for (const auto& [id, r] : actual) {
    if (e.verdicts.find(id) == e.verdicts.end()) out.push_back({id, "(not pinned)", r.verdict, r.detail});
  }
  return out;
}

std::string group_name(char letter) {
  switch (letter) {
    case 'H': return "launcher hygiene";
    case 'P': return "privilege";
    case 'N': return "namespaces";
    case 'F': return "filesystem";
    case 'S': return "/proc and /sys";
    case 'C': return "seccomp";
    case 'L': return "Landlock";
    case 'I': return "IPC, signals, keyring";
    case 'W': return "network";
    case 'D': return "devices";
    case 'R': return "resources";
    case 'T': return "teardown";
    default: return "other";
  }
}

}  // namespace kavach::probes
