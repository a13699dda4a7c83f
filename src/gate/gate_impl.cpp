#include "gate/gate_impl.hpp"

#include "gate/regex_options.hpp"

namespace kavach::gate::detail {
namespace {

std::unique_ptr<RE2> compile(const std::string& re, std::string* error) {
  auto p = std::make_unique<RE2>(re, confirm_regex_options());
  if (!p->ok() && error != nullptr && error->empty()) *error = "regex \"" + re + "\": " + p->error();
  return p;
}

std::vector<std::unique_ptr<RE2>> compile_all(const std::vector<std::string>& res) {
  std::vector<std::unique_ptr<RE2>> out;
  out.reserve(res.size());
  for (const auto& re : res) out.push_back(compile(re, nullptr));
  return out;
}

}  // namespace

std::vector<CompiledAllowlist> compile_allowlists(const std::vector<Allowlist>& lists,
                                                  std::string* error) {
  std::vector<CompiledAllowlist> out;
  for (const auto& a : lists) {
    CompiledAllowlist c;
    c.source = &a;
    for (const auto& re : a.regexes) c.regexes.push_back(compile(re, error));
    for (const auto& re : a.paths) c.paths.push_back(compile(re, error));
    out.push_back(std::move(c));
  }
  return out;
}

bool is_path_only(const Allowlist& a) {
  return !a.paths.empty() && a.regexes.empty() && a.stopwords.empty() && !a.require_all;
}

LazyRules::LazyRules(const RuleSet& set)
    : set_(set),
      once_(std::make_unique<std::once_flag[]>(set.rules.size())),
      compiled_(std::make_unique<CompiledRule[]>(set.rules.size())),
      source_once_(std::make_unique<std::once_flag[]>(set.rules.size())),
      source_(std::make_unique<SourceRule[]>(set.rules.size())) {}

const SourceRule& LazyRules::source_rule(std::size_t i) const {
  std::call_once(source_once_[i], [this, i] {
    const Rule& r = set_.rules[i];
    SourceRule& s = source_[i];
    if (!r.path.empty()) s.path = compile(r.path, nullptr);
    for (const auto& a : r.allowlists) {
      if (is_path_only(a)) s.exempt_paths.push_back(compile_all(a.paths));
    }
  });
  return source_[i];
}

const std::vector<std::vector<std::unique_ptr<RE2>>>& LazyRules::global_exempt_paths() const {
  std::call_once(global_paths_once_, [this] {
    for (const auto& a : set_.allowlists) {
      // Global entries exempt the source whatever their AND flag (gitleaks semantics).
      if (!a.paths.empty() && a.regexes.empty() && a.stopwords.empty()) {
        global_paths_.push_back(compile_all(a.paths));
      }
    }
  });
  return global_paths_;
}

const CompiledRule& LazyRules::rule(std::size_t i) const {
  std::call_once(once_[i], [this, i] {
    const Rule& r = set_.rules[i];
    CompiledRule& c = compiled_[i];
    if (!r.regex.empty()) c.regex = compile(r.regex, &c.error);
    if (!r.path.empty()) c.path = compile(r.path, &c.error);
    c.allowlists = compile_allowlists(r.allowlists, &c.error);
  });
  return compiled_[i];
}

const std::vector<CompiledAllowlist>& LazyRules::global() const {
  std::call_once(global_once_, [this] {
    std::string ignored;  // validated when the rule set was built
    global_ = compile_allowlists(set_.allowlists, &ignored);
  });
  return global_;
}

}  // namespace kavach::gate::detail
