// Gate throughput: the whole pipeline (Hyperscan candidates, RE2 confirmation, validators,
// decode-through, redaction) on a realistic mixed corpus and on a dense adversarial one, single
// thread, each beside memcpy of the same bytes in the same run. Plus the cost that matters per
// sandbox run: gating 100 KB of output, and loading the precompiled builtin database.
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kavach/gate.hpp"

namespace {

namespace fs = std::filesystem;
using kavach::gate::Gate;
using kavach::gate::Options;
using kavach::gate::Session;

std::string read_file(const fs::path& p, std::size_t max = SIZE_MAX) {
  std::ifstream in(p, std::ios::binary);
  std::string s;
  if (!in) return s;
  std::stringstream ss;
  ss << in.rdbuf();
  s = ss.str();
  if (s.size() > max) s.resize(max);
  return s;
}

const fs::path kData = fs::path(KAVACH_SOURCE_DIR) / "tests" / "data" / "gate";

// Text files under `dir` (no compressed or binary files), up to `budget` bytes.
std::string collect(const fs::path& dir, std::size_t budget, std::initializer_list<const char*> exts) {
  std::string out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = it->path().extension().string();
    bool ok = exts.size() == 0;
    for (const char* e : exts) ok = ok || ext == e;
    if (ok) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());  // deterministic
  for (const auto& f : files) {
    if (out.size() >= budget) break;
    std::string s = read_file(f, budget - out.size());
    if (s.find('\0') != std::string::npos) continue;
    out += s;
  }
  return out;
}

std::vector<std::string> positives() {
  std::vector<std::string> out;
  std::ifstream in(kData / "positives.jsonl");
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  return out;
}

// Realistic mixed output: C/C++ headers, documentation, JSON logs, lockfiles, minified JS,
// base64 images; a true positive every ~64 KB (secrets are rare in real output).
const std::string& realistic() {
  static const std::string corpus = [] {
    std::string parts;
    parts += collect("/usr/include", 6u << 20, {".h", ".hpp"});
    parts += collect("/usr/share/doc", 4u << 20, {"", ".txt", ".md", ".html"});
    std::mt19937_64 rng(7);
    std::string logs;
    while (logs.size() < (3u << 20)) {
      logs += "{\"ts\":\"2024-05-01T12:00:" + std::to_string(rng() % 60) + "Z\",\"level\":\"info\",\"msg\":\"request done\",\"path\":\"/api/v1/items/" +
              std::to_string(rng() % 100000) + "\",\"status\":200,\"duration_ms\":" + std::to_string(rng() % 900) +
              ",\"trace_id\":\"" + std::to_string(rng()) + "\"}\n";
    }
    parts += logs;
    for (const char* n : {"lockfiles.txt", "minified_js.txt", "base64_images.txt", "uuids.txt", "code.txt"}) {
      const std::string s = read_file(kData / "negatives" / n);
      for (int i = 0; i < 8; ++i) parts += s;
    }
    const auto pos = positives();
    std::string out;
    std::size_t k = 0;
    for (std::size_t i = 0; i < parts.size(); i += 64 * 1024) {
      out.append(parts, i, 64 * 1024);
      if (!pos.empty()) out += pos[k++ % pos.size()];
    }
    return out;
  }();
  return corpus;
}

// Dense adversarial output: near-misses for many rules on every line (tokens with wrong
// checksums, random values after secret-looking keys, Luhn-failing card numbers, decodable
// base64 text, url-encoded tokens, JWT look-alikes, PEM headers with garbage).
const std::string& dense() {
  static const std::string corpus = [] {
    std::mt19937_64 rng(11);
    const std::string b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    auto rnd = [&](std::size_t n) {
      std::string s;
      for (std::size_t i = 0; i < n; ++i) s.push_back(b62[rng() % 62]);
      return s;
    };
    std::string out;
    while (out.size() < (8u << 20)) {
      out += "ghp_" + rnd(36) + " npm_" + rnd(36) + " AKIA" + rnd(16) + "\n";
      out += "password=" + rnd(20) + " api_key: \"" + rnd(32) + "\" secret_token=" + rnd(40) + "\n";
      out += "card 4" + std::to_string(rng() % 1000000000000000ull) + " iban DE" +
             std::to_string(rng() % 100000000000000000ull) + "\n";
      out += "eyJ" + rnd(30) + ".eyJ" + rnd(60) + "." + rnd(43) + "\n";
      out += "dGhpcyBpcyBhIHBhc3N3b3JkPSIgc2VjcmV0X3Rva2VuPWZvbyIgYXBpX2tleT0i" + rnd(8) + "\n";
      out += "q=%70%61%73%73%77%6f%72%64%3d" + rnd(12) + "&token%3D" + rnd(24) + "\n";
      out += "-----BEGIN RSA PRIVATE KEY-----\n" + rnd(64) + "\n-----END RSA PRIVATE KEY-----\n";
      out += "xoxb-" + std::to_string(rng() % 10000000000ull) + "-" + rnd(24) + " sk_live_" + rnd(10) + "\n";
    }
    return out;
  }();
  return corpus;
}

void run_gate(benchmark::State& state, const std::string& data) {
  auto gate = Gate::builtin();
  if (!gate) {
    state.SkipWithError(gate.error().describe().c_str());
    return;
  }
  Options opts;
  opts.limits.max_stream_bytes = opts.limits.max_total_bytes = UINT64_MAX;
  std::string out;
  out.reserve(data.size() + (1u << 20));
  std::size_t findings = 0;
  for (auto _ : state) {
    Session session(*gate, opts);
    auto sc = session.open("stdout");
    out.clear();
    for (std::size_t i = 0; i < data.size(); i += 64 * 1024) {
      if (!(*sc)->write(std::string_view(data).substr(i, 64 * 1024), out)) state.SkipWithError("write");
    }
    if (!(*sc)->finish(out)) state.SkipWithError("finish");
    findings = (*sc)->report().findings.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.counters["MB"] = static_cast<double>(data.size()) / 1e6;
  state.counters["findings"] = static_cast<double>(findings);
}

void run_memcpy(benchmark::State& state, const std::string& data) {
  std::string out(data.size(), '\0');
  for (auto _ : state) {
    std::memcpy(out.data(), data.data(), data.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

void BM_Memcpy_Realistic(benchmark::State& s) { run_memcpy(s, realistic()); }
void BM_Gate_Realistic(benchmark::State& s) { run_gate(s, realistic()); }
void BM_Memcpy_Dense(benchmark::State& s) { run_memcpy(s, dense()); }
void BM_Gate_Dense(benchmark::State& s) { run_gate(s, dense()); }

// What a sandbox run that printed 100 KB pays: session, scanner, scan, finish.
void BM_Gate_Output100KB(benchmark::State& state) {
  auto gate = Gate::builtin();
  const std::string data = realistic().substr(1u << 20, 100 * 1024);
  const bool secrets = state.range(0) != 0;
  for (auto _ : state) {
    Session session(*gate);
    if (secrets) {
      (void)session.register_secret("GITHUB_TOKEN", "ghp_0123456789abcdefghijABCDEFGHIJ012345");
      (void)session.register_secret("DB_PASSWORD", "correct-horse-battery-staple-42");
      (void)session.register_secret("API_KEY", "AKd8f3Jq0ZpLx7Wm2RtY9vB4");
    }
    auto out = session.scan("stdout", data);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

// Loading the precompiled builtin database (what the first gate of a process pays).
void BM_LoadBuiltin(benchmark::State& state) {
  for (auto _ : state) {
    auto g = Gate::load_builtin();
    if (!g) state.SkipWithError(g.error().describe().c_str());
    benchmark::DoNotOptimize(g);
  }
}

// A user rule file served from the content-hash cache (gitleaks' own rule set).
void BM_LoadRuleFileCached(benchmark::State& state) {
  const fs::path file = fs::path(KAVACH_SOURCE_DIR) / ".." / "shared" / "data" / "gitleaks" / "gitleaks.toml";
  if (!fs::exists(file)) {
    state.SkipWithError("gitleaks.toml not present");
    return;
  }
  const fs::path cache = fs::temp_directory_path() / "kavach-bench-cache";
  kavach::gate::LoadOptions opts{true, cache};
  (void)Gate::from_file(file, opts);  // warm the cache
  for (auto _ : state) {
    auto g = Gate::from_file(file, opts);
    if (!g) state.SkipWithError(g.error().describe().c_str());
    benchmark::DoNotOptimize(g);
  }
}

}  // namespace

BENCHMARK(BM_Memcpy_Realistic)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gate_Realistic)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Memcpy_Dense)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gate_Dense)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Gate_Output100KB)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoadBuiltin)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoadRuleFileCached)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
