// Audit log append rate: fsync per record vs batched vs flush-only, and verify throughput.
// Runs in $TMPDIR (or /tmp): put it on the file system whose numbers you want.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "kavach/audit_log.hpp"

namespace {

std::filesystem::path make_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && base[0] == '/' ? base : "/tmp") + "/kavach-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

kavach::AuditKey bench_key(const std::filesystem::path& dir) {
  const auto p = dir / "key";
  std::ofstream(p) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  ::chmod(p.c_str(), 0600);
  return std::move(*kavach::AuditKey::from_file(p));
}

kavach::AuditEvent sample_event(std::int64_t n) {
  kavach::AuditEvent e;
  e.type = kavach::AuditEventType::exec_finished;
  e.sandbox_id = "sb-0123456789abcdef";
  e.data = {{"exit_code", 0}, {"duration_ms", 12.5}, {"n", n}, {"program", "/usr/bin/python3"}};
  return e;
}

kavach::AuditFileOptions options(std::size_t fsync_every, std::optional<std::filesystem::path> anchor_dir) {
  kavach::AuditFileOptions o;
  o.fsync_every = fsync_every;
  o.anchor_dir = std::move(anchor_dir);
  return o;
}

// Args: fsync_every (1 = per record, N = every N records, 0 = only at flush); anchored (1: keep a
// rollback anchor, moved at every sync).
void BM_AuditAppend(benchmark::State& state) {
  const auto dir = make_dir();
  std::optional<std::filesystem::path> anchors;
  if (state.range(1) != 0) anchors = dir / "anchors";
  auto sink = kavach::AuditFileSink::open(dir / "audit.jsonl", bench_key(dir),
                                          options(static_cast<std::size_t>(state.range(0)), anchors));
  if (!sink) {
    state.SkipWithError(sink.error().message.c_str());
    return;
  }
  std::int64_t n = 0;
  for (auto _ : state) {
    auto r = (*sink)->append(sample_event(++n));
    if (!r) state.SkipWithError(r.error().message.c_str());
  }
  (void)(*sink)->flush();
  state.SetItemsProcessed(n);
  sink->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuditAppend)
    ->ArgNames({"fsync_every", "anchored"})
    ->ArgsProduct({{1, 16, 0}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_AuditVerify(benchmark::State& state) {
  const auto dir = make_dir();
  const auto log = dir / "audit.jsonl";
  {
    auto sink = kavach::AuditFileSink::open(log, bench_key(dir), options(0, std::nullopt));
    for (std::int64_t i = 0; i < state.range(0); ++i) (void)(*sink)->append(sample_event(i));
  }
  const auto key = bench_key(dir);
  for (auto _ : state) {
    auto r = kavach::verify_audit_log(log, key);
    if (!r) state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuditVerify)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
