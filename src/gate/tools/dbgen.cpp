// kavach-gate-dbgen RULES.toml OUT.kdb
// Build-time tool: compiles the builtin rule set and serializes it (hs_serialize_database) so
// that no run ever pays the compilation; the library embeds OUT.kdb.
#include <chrono>
#include <cstdio>
#include <fstream>

#include "gate/db_build.hpp"
#include "gate/toml_loader.hpp"

int main(int argc, char** argv) {
  using namespace kavach::gate::detail;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s RULES.toml OUT.kdb\n", argv[0]);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto loaded = load_rules_file(argv[1], nullptr);
  if (!loaded) {
    std::fprintf(stderr, "%s: %s\n", argv[1], loaded.error().describe().c_str());
    return 1;
  }
  const std::size_t rules = loaded->set.rules.size();
  // Compiled for this (the build) host; a library running on a CPU without the same
  // instruction-set extensions recompiles at load (see hs_db_fits_host).
  auto built = build_db(std::move(loaded->set), nullptr);
  if (!built) {
    std::fprintf(stderr, "%s: %s\n", argv[1], built.error().describe().c_str());
    return 1;
  }
  const std::string bytes = encode_db_file(built->file);
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", argv[2]);
    return 1;
  }
  std::size_t prefiltered = 0;
  for (const auto& p : built->file.patterns) prefiltered += p.kind != PatternKind::exact ? 1 : 0;
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("gate database: %zu rules, %zu patterns (%zu prefiltered), %zu bytes, %.0f ms\n",
              rules, built->file.patterns.size(), prefiltered, bytes.size(), ms);
  return 0;
}
