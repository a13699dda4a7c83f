#include "gate/db_build.hpp"

#include <string>

#include "gate/toml_loader.hpp"

namespace kavach::gate::detail {

Result<BuiltDb> build_db(RuleSet set, const hs_platform_info_t* platform) {
  auto valid = validate_rules(set);
  if (!valid) return tl::unexpected(valid.error());
  auto compiled = compile_patterns(set, platform);
  if (!compiled) return tl::unexpected(compiled.error());
  auto bytes = serialize_hs(compiled->db.get());
  if (!bytes) return tl::unexpected(bytes.error());
  BuiltDb out;
  out.file.rules = std::move(set);
  out.file.patterns = compiled->patterns;
  out.file.hs_database = std::move(*bytes);
  out.compiled = std::move(*compiled);
  return out;
}

bool hs_db_fits_host(std::string_view serialized) {
  char* info = nullptr;
  if (hs_serialized_database_info(serialized.data(), serialized.size(), &info) != HS_SUCCESS) {
    return false;
  }
  const std::string s(info);
  free(info);  // NOLINT: allocated by Hyperscan with malloc
  hs_platform_info_t host{};
  if (hs_populate_platform(&host) != HS_SUCCESS) return false;
  // "Version: 5.4.0 Features: AVX2 AVX512 Mode: STREAM"
  const auto f = s.find("Features:");
  const auto m = s.find("Mode:");
  const std::string features = f == std::string::npos ? "" : s.substr(f, m == std::string::npos ? std::string::npos : m - f);
  auto needs = [&](std::string_view name) {
    std::size_t pos = 0;
    while ((pos = features.find(name, pos)) != std::string::npos) {
      const std::size_t end = pos + name.size();
      if (end == features.size() || features[end] == ' ') return true;
      pos = end;
    }
    return false;
  };
  if (needs("AVX2") && (host.cpu_features & HS_CPU_FEATURES_AVX2) == 0) return false;
  if (needs("AVX512") && (host.cpu_features & HS_CPU_FEATURES_AVX512) == 0) return false;
  if (needs("AVX512VBMI") && (host.cpu_features & HS_CPU_FEATURES_AVX512VBMI) == 0) return false;
  return true;
}

}  // namespace kavach::gate::detail
