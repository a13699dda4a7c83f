// Gate construction: the builtin database (embedded, precompiled), rule files (compiled once,
// then served from the content-hash cache).
#include <chrono>

#include "core/user_cache.hpp"
#include "gate/db_build.hpp"
#include "gate/embedded_db.hpp"
#include "gate/gate_impl.hpp"
#include "gate/toml_loader.hpp"

namespace kavach::gate {
namespace {

using namespace detail;
using user_cache::cache_dir;
using user_cache::read_file;
using user_cache::sha256_hex;
using user_cache::write_file_atomic;

constexpr std::string_view kBuiltinDep = "<builtin>";

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Result<std::unique_ptr<Gate::Impl>> make_impl(RuleSet rules, std::vector<PatternRef> patterns,
                                              HsDatabase db) {
  auto impl = std::make_unique<Gate::Impl>();
  impl->rules = std::move(rules);
  impl->patterns = std::move(patterns);
  impl->hold = hold_for(impl->patterns);
  for (std::uint32_t i = 0; i < impl->patterns.size(); ++i) {
    if (impl->patterns[i].kind == PatternKind::digit_run) impl->digit_patterns.push_back(i);
  }
  impl->db = std::move(db);
  hs_scratch_t* s = nullptr;
  if (hs_alloc_scratch(impl->db.get(), &s) != HS_SUCCESS) {
    return fail(ErrorCode::gate_error, "cannot allocate Hyperscan scratch");
  }
  impl->scratch_prototype.reset(s);
  impl->lazy = std::make_unique<LazyRules>(impl->rules);
  impl->info.origin = impl->rules.origin;
  impl->info.rule_count = impl->rules.rules.size();
  for (const auto& p : impl->patterns) {
    if (p.kind == PatternKind::exact || p.rule >= impl->rules.rules.size()) continue;
    const std::string& id = impl->rules.rules[p.rule].id;
    if (impl->info.prefiltered.empty() || impl->info.prefiltered.back() != id) {
      impl->info.prefiltered.push_back(id);
    }
  }
  return impl;
}

// Database file -> Impl. A database compiled for CPU features this host lacks is recompiled
// from its own rule model.
Result<std::unique_ptr<Gate::Impl>> impl_from_db(DbFile f, std::string_view origin, bool* recompiled) {
  if (!hs_db_fits_host(f.hs_database)) {
    auto built = build_db(std::move(f.rules), nullptr);
    if (!built) return tl::unexpected(built.error());
    if (recompiled != nullptr) *recompiled = true;
    return make_impl(std::move(built->file.rules), std::move(built->compiled.patterns),
                     std::move(built->compiled.db));
  }
  auto db = deserialize_hs(f.hs_database, origin);
  if (!db) return tl::unexpected(db.error());
  return make_impl(std::move(f.rules), std::move(f.patterns), std::move(*db));
}

std::string builtin_digest() {
  static const std::string digest = sha256_hex(builtin_db_bytes());
  return digest;
}

bool deps_unchanged(const std::vector<DbDependency>& deps) {
  for (const auto& d : deps) {
    if (d.path == kBuiltinDep) {
      if (d.sha256 != builtin_digest()) return false;
      continue;
    }
    auto content = read_file(d.path);
    if (!content || sha256_hex(*content) != d.sha256) return false;
  }
  return true;
}

Result<std::shared_ptr<const Gate>> load_rules(std::string_view text, std::string_view origin,
                                               const std::filesystem::path& base_dir,
                                               const LoadOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string key =
      sha256_hex("kavach-gate-cache\n" + std::string(hs_version()) + "\n" + std::string(text));
  std::optional<std::filesystem::path> dir;
  if (options.use_cache) dir = cache_dir(options.cache_dir);
  const std::filesystem::path entry = dir ? *dir / (key + ".kdb") : std::filesystem::path();

  if (dir) {
    // Compiled databases are far below 256 MiB; an entry that is not ours and private is rebuilt.
    if (auto cached = user_cache::read_entry(entry, std::size_t{256} << 20)) {
      auto f = decode_db_file(*cached, entry.string());
      if (f && deps_unchanged(f->deps)) {
        bool recompiled = false;
        auto impl = impl_from_db(std::move(*f), entry.string(), &recompiled);
        if (impl) {
          (*impl)->info.origin = std::string(origin);
          (*impl)->info.compiled_now = recompiled;
          (*impl)->info.cache_file = entry;
          (*impl)->info.load_ms = ms_since(t0);
          return std::shared_ptr<const Gate>(new Gate(std::move(*impl)));
        }
      }
      // A stale, foreign or corrupt entry is replaced below.
    }
  }

  auto builtin = Gate::builtin();
  const RuleSet* builtin_rules = builtin ? &(*builtin)->impl().rules : nullptr;
  auto loaded = parse_rules_toml(text, origin, base_dir, builtin_rules);
  if (!loaded) return tl::unexpected(loaded.error());
  auto built = build_db(std::move(loaded->set), nullptr);
  if (!built) return tl::unexpected(built.error());
  for (const auto& [path, content] : loaded->files) {
    built->file.deps.push_back(DbDependency{path, sha256_hex(content)});
  }
  if (loaded->uses_builtin) {
    built->file.deps.push_back(DbDependency{std::string(kBuiltinDep), builtin_digest()});
  }
  if (dir && !write_file_atomic(entry, encode_db_file(built->file))) dir.reset();
  auto impl = make_impl(std::move(built->file.rules), std::move(built->compiled.patterns),
                        std::move(built->compiled.db));
  if (!impl) return tl::unexpected(impl.error());
  (*impl)->info.origin = std::string(origin);
  (*impl)->info.compiled_now = true;
  if (dir) (*impl)->info.cache_file = entry;
  (*impl)->info.load_ms = ms_since(t0);
  return std::shared_ptr<const Gate>(new Gate(std::move(*impl)));
}

}  // namespace

Gate::Gate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gate::~Gate() = default;

const LoadInfo& Gate::load_info() const { return impl_->info; }

std::vector<RuleInfo> Gate::rules() const {
  std::vector<RuleInfo> out;
  for (const auto& r : impl_->rules.rules) {
    out.push_back(RuleInfo{r.id, r.description, r.severity, r.tags});
  }
  return out;
}

Result<std::shared_ptr<const Gate>> Gate::load_builtin() {
  const auto t0 = std::chrono::steady_clock::now();
  auto f = decode_db_file(builtin_db_bytes(), "builtin");
  if (!f) return tl::unexpected(f.error());
  bool recompiled = false;
  auto impl = impl_from_db(std::move(*f), "builtin", &recompiled);
  if (!impl) return tl::unexpected(impl.error());
  (*impl)->info.origin = "builtin";
  (*impl)->info.compiled_now = recompiled;
  (*impl)->info.load_ms = ms_since(t0);
  return std::shared_ptr<const Gate>(new Gate(std::move(*impl)));
}

Result<std::shared_ptr<const Gate>> Gate::builtin() {
  static const Result<std::shared_ptr<const Gate>> instance = load_builtin();
  return instance;
}

Result<std::shared_ptr<const Gate>> Gate::from_file(const std::filesystem::path& file,
                                                    const LoadOptions& options) {
  auto text = read_file(file);
  if (!text) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(file, ec);
    return fail(exists ? ErrorCode::io_error : ErrorCode::path_not_found,
                exists ? "cannot read rule file" : "rule file does not exist",
                {{"file", file.string()}});
  }
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(file, ec);
  return load_rules(*text, file.string(), (ec ? file : abs).parent_path(), options);
}

Result<std::shared_ptr<const Gate>> Gate::from_toml(std::string_view text, std::string_view origin,
                                                    const LoadOptions& options) {
  std::error_code ec;
  return load_rules(text, origin, std::filesystem::current_path(ec), options);
}

}  // namespace kavach::gate
