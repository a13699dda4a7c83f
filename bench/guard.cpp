// Cost of the protected-path guard (kavach-guard, seccomp user notification) on file-heavy work:
// the same sandboxed script under the agent preset with its protected paths (every write-open,
// create, rename and link goes through the guard) and with protected_paths cleared (no guard).
// The two results are side by side; their ratio is the guard's overhead on that workload.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace {

std::filesystem::path scratch() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && base[0] == '/' ? base : "/tmp") + "/kavach-bench-guard-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

// Arg 0: 1 = guarded (agent's protected paths), 0 = protected_paths cleared.
// Arg 1: files the script creates, writes, renames and reads back.
void BM_FileWorkload(benchmark::State& state) {
  const bool guarded = state.range(0) == 1;
  const long files = state.range(1);
  auto backend = kavach::create_backend(kavach::BackendKind::process, kavach::probe_host_cached());
  if (!backend || !(*backend)->availability().available) {
    state.SkipWithError("process backend unavailable");
    return;
  }
  const auto dir = scratch();
  kavach::SandboxPolicy policy = kavach::preset_policy(kavach::Preset::agent);
  policy.fs.writable_paths = {dir};
  if (!guarded) policy.fs.protected_paths.clear();
  const std::string script = "cd " + dir.string() + " && rm -rf w && mkdir w && cd w && i=0; while [ $i -lt " +
                             std::to_string(files) +
                             " ]; do echo $i > f$i; echo more >> f$i; mv f$i g$i; i=$((i+1)); done; cat g* | wc -l";
  for (auto _ : state) {
    auto r = (*backend)->exec(policy, kavach::Command{{"sh", "-c", script}, {}, {}, {}});
    if (!r || r->exit_code != 0) {
      state.SkipWithError(r ? ("script failed: " + r->stderr_data).c_str() : r.error().describe().c_str());
      break;
    }
  }
  state.counters["trapped_calls_per_run"] = static_cast<double>(files * 3);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_FileWorkload)->ArgNames({"guarded", "files"})->Args({0, 2000})->Args({1, 2000})
    ->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
