#include "gate/toml_loader.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <re2/re2.h>
#include <toml++/toml.h>

#include "gate/regex_options.hpp"

namespace kavach::gate::detail {
namespace {

constexpr int kMaxExtendDepth = 4;

std::string line_of(const toml::node& n) {
  return std::to_string(n.source().begin.line);
}

struct Ctx {
  std::string origin;
  Error error(ErrorCode code, std::string msg, const toml::node* at, std::string key) const {
    std::map<std::string, std::string> c{{"file", origin}};
    if (at != nullptr) c["line"] = line_of(*at);
    if (!key.empty()) c["key"] = std::move(key);
    return make_error(code, std::move(msg), std::move(c));
  }
};

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Result<std::string> get_string(const Ctx& ctx, const toml::node& n, const std::string& key) {
  if (const auto* s = n.as_string()) return std::string(s->get());
  return tl::unexpected(ctx.error(ErrorCode::policy_type, key + " must be a string", &n, key));
}

Result<bool> get_bool(const Ctx& ctx, const toml::node& n, const std::string& key) {
  if (const auto* b = n.as_boolean()) return b->get();
  return tl::unexpected(ctx.error(ErrorCode::policy_type, key + " must be true or false", &n, key));
}

Result<double> get_number(const Ctx& ctx, const toml::node& n, const std::string& key) {
  if (const auto* d = n.as_floating_point()) return d->get();
  if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
  return tl::unexpected(ctx.error(ErrorCode::policy_type, key + " must be a number", &n, key));
}

Result<std::vector<std::string>> get_strings(const Ctx& ctx, const toml::node& n,
                                             const std::string& key) {
  const auto* arr = n.as_array();
  if (arr == nullptr) {
    return tl::unexpected(ctx.error(ErrorCode::policy_type, key + " must be an array of strings",
                                    &n, key));
  }
  std::vector<std::string> out;
  for (const auto& e : *arr) {
    auto s = get_string(ctx, e, key);
    if (!s) return tl::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

Result<Allowlist> parse_allowlist(const Ctx& ctx, const toml::table& t, const std::string& where) {
  Allowlist a;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string path = where + "." + key;
    if (key == "description") {
      auto s = get_string(ctx, v, path);
      if (!s) return tl::unexpected(s.error());
      a.description = *s;
    } else if (key == "condition") {
      auto s = get_string(ctx, v, path);
      if (!s) return tl::unexpected(s.error());
      const std::string c = lower(*s);
      if (c == "and") {
        a.require_all = true;
      } else if (c == "or") {
        a.require_all = false;
      } else {
        return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                        "condition must be \"AND\" or \"OR\", not \"" + *s + "\"",
                                        &v, path));
      }
    } else if (key == "regexTarget") {
      auto s = get_string(ctx, v, path);
      if (!s) return tl::unexpected(s.error());
      if (*s == "secret") {
        a.target = AllowTarget::secret;
      } else if (*s == "match") {
        a.target = AllowTarget::match;
      } else if (*s == "line") {
        a.target = AllowTarget::line;
      } else {
        return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                        "regexTarget must be secret, match or line, not \"" + *s +
                                            "\"",
                                        &v, path));
      }
    } else if (key == "regexes" || key == "paths" || key == "stopwords" || key == "commits") {
      auto list = get_strings(ctx, v, path);
      if (!list) return tl::unexpected(list.error());
      if (key == "regexes") a.regexes = std::move(*list);
      if (key == "paths") a.paths = std::move(*list);
      if (key == "commits") a.commits = std::move(*list);
      if (key == "stopwords") {
        for (auto& s : *list) a.stopwords.push_back(lower(std::move(s)));
      }
    } else {
      return tl::unexpected(ctx.error(ErrorCode::policy_unknown_key,
                                      "unknown allowlist key \"" + key + "\"", &v, path));
    }
  }
  return a;
}

// `allowlist` (one table, gitleaks < 8.21) or `allowlists` (array of tables).
Result<void> parse_allowlists(const Ctx& ctx, const toml::node& v, const std::string& path,
                              std::vector<Allowlist>& out) {
  if (const auto* t = v.as_table()) {
    auto a = parse_allowlist(ctx, *t, path);
    if (!a) return tl::unexpected(a.error());
    out.push_back(std::move(*a));
    return {};
  }
  if (const auto* arr = v.as_array()) {
    for (const auto& e : *arr) {
      const auto* t = e.as_table();
      if (t == nullptr) {
        return tl::unexpected(
            ctx.error(ErrorCode::policy_type, path + " must be an array of tables", &e, path));
      }
      auto a = parse_allowlist(ctx, *t, path);
      if (!a) return tl::unexpected(a.error());
      out.push_back(std::move(*a));
    }
    return {};
  }
  return tl::unexpected(ctx.error(ErrorCode::policy_type, path + " must be a table", &v, path));
}

Result<Rule> parse_rule(const Ctx& ctx, const toml::table& t, std::size_t index) {
  Rule r;
  const std::string where = "rules[" + std::to_string(index) + "]";
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string path = where + "." + key;
    auto fail_with = [&](const Error& e) { return tl::unexpected(e); };
    if (key == "id" || key == "description" || key == "regex" || key == "path" ||
        key == "severity" || key == "prefilter") {
      auto s = get_string(ctx, v, path);
      if (!s) return fail_with(s.error());
      if (key == "id") r.id = *s;
      if (key == "description") r.description = *s;
      if (key == "regex") r.regex = *s;
      if (key == "path") r.path = *s;
      if (key == "prefilter") r.prefilter = *s;
      if (key == "severity") {
        auto sev = parse_severity(*s);
        if (!sev) return fail_with(ctx.error(ErrorCode::policy_value, sev.error().message, &v, path));
        r.severity = *sev;
      }
    } else if (key == "secretGroup") {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < 0 || i->get() > 100) {
        return fail_with(ctx.error(ErrorCode::policy_value,
                                   "secretGroup must be an integer 0..100", &v, path));
      }
      r.secret_group = static_cast<int>(i->get());
    } else if (key == "entropy") {
      auto d = get_number(ctx, v, path);
      if (!d) return fail_with(d.error());
      if (*d < 0 || *d > 8) {
        return fail_with(ctx.error(ErrorCode::policy_value, "entropy must be within 0..8", &v, path));
      }
      r.entropy = *d;
    } else if (key == "keywords" || key == "tags" || key == "validators") {
      auto list = get_strings(ctx, v, path);
      if (!list) return fail_with(list.error());
      if (key == "keywords") {
        for (auto& s : *list) r.keywords.push_back(lower(std::move(s)));
      } else if (key == "tags") {
        r.tags = std::move(*list);
      } else {
        for (const auto& name : *list) {
          auto val = parse_validator(name);
          if (!val) {
            return fail_with(ctx.error(ErrorCode::policy_value,
                                       "unknown validator \"" + name + "\"", &v, path));
          }
          r.validators.push_back(*val);
        }
      }
    } else if (key == "digitRun") {
      const auto* arr = v.as_array();
      if (arr == nullptr || arr->size() != 2 || !(*arr)[0].is_integer() || !(*arr)[1].is_integer()) {
        return fail_with(ctx.error(ErrorCode::policy_type, "digitRun must be [min, max]", &v, path));
      }
      const auto lo = (*arr)[0].as_integer()->get();
      const auto hi = (*arr)[1].as_integer()->get();
      if (lo < 1 || hi < lo || hi > 64) {
        return fail_with(ctx.error(ErrorCode::policy_value, "digitRun must satisfy 1 <= min <= max <= 64",
                                   &v, path));
      }
      r.digit_min = static_cast<int>(lo);
      r.digit_max = static_cast<int>(hi);
    } else if (key == "maxLength") {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < 8 || i->get() > 16384) {
        return fail_with(ctx.error(ErrorCode::policy_value, "maxLength must be an integer 8..16384",
                                   &v, path));
      }
      r.max_length = static_cast<int>(i->get());
    } else if (key == "digitRunAfterLetters" || key == "digitRunExact") {
      auto b = get_bool(ctx, v, path);
      if (!b) return fail_with(b.error());
      if (key == "digitRunExact") {
        r.digit_exact = *b;
      } else {
        r.digit_after_letters = *b;
      }
    } else if (key == "randomness" || key == "placeholderCheck" || key == "skipReport") {
      auto b = get_bool(ctx, v, path);
      if (!b) return fail_with(b.error());
      if (key == "randomness") r.randomness = *b;
      if (key == "placeholderCheck") r.placeholder_check = *b;
      if (key == "skipReport") r.report = !*b;
    } else if (key == "allowlist" || key == "allowlists") {
      auto ok = parse_allowlists(ctx, v, path, r.allowlists);
      if (!ok) return fail_with(ok.error());
    } else {
      // Includes gitleaks' composite `required` rules, which kavach does not implement: better a
      // clear error than a rule that silently never fires.
      return fail_with(ctx.error(ErrorCode::policy_unknown_key, "unknown rule key \"" + key + "\"",
                                 &v, path));
    }
  }
  if (r.id.empty()) {
    return tl::unexpected(
        ctx.error(ErrorCode::policy_value, "rule without an id", &t, where + ".id"));
  }
  if (r.digit_min > 0 && r.regex.empty()) {
    return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                    "rule \"" + r.id + "\" has digitRun but no regex", &t, where));
  }
  if (r.regex.empty() && r.path.empty()) {
    return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                    "rule \"" + r.id + "\" has neither regex nor path", &t, where));
  }
  return r;
}

void apply_override(RuleSet& into, RuleSet&& from) {
  for (auto& r : from.rules) {
    bool replaced = false;
    for (auto& existing : into.rules) {
      if (existing.id == r.id) {
        existing = std::move(r);
        replaced = true;
        break;
      }
    }
    if (!replaced) into.rules.push_back(std::move(r));
  }
  for (auto& a : from.allowlists) into.allowlists.push_back(std::move(a));
}

}  // namespace

Result<LoadedRules> parse_rules_toml(std::string_view text, std::string_view origin,
                                     const std::filesystem::path& base_dir, const RuleSet* builtin,
                                     int depth) {
  Ctx ctx{std::string(origin)};
  toml::table doc;
  try {
    doc = toml::parse(text, std::string(origin));
  } catch (const toml::parse_error& e) {
    return fail(ErrorCode::policy_parse, std::string("rule file is not valid TOML: ") +
                                             std::string(e.description()),
                {{"file", std::string(origin)},
                 {"line", std::to_string(e.source().begin.line)}});
  }

  LoadedRules out;
  out.set.origin = std::string(origin);
  RuleSet own;
  std::vector<std::string> disabled;
  for (const auto& [k, v] : doc) {
    const std::string key(k.str());
    if (key == "title" || key == "description" || key == "minVersion") {
      auto s = get_string(ctx, v, key);
      if (!s) return tl::unexpected(s.error());
    } else if (key == "extend") {
      const auto* t = v.as_table();
      if (t == nullptr) {
        return tl::unexpected(ctx.error(ErrorCode::policy_type, "extend must be a table", &v, key));
      }
      for (const auto& [ek, ev] : *t) {
        const std::string ekey(ek.str());
        const std::string path = "extend." + ekey;
        if (ekey == "useDefault") {
          auto b = get_bool(ctx, ev, path);
          if (!b) return tl::unexpected(b.error());
          if (*b) {
            if (builtin == nullptr) {
              return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                              "useDefault is not available here", &ev, path));
            }
            RuleSet copy = *builtin;
            apply_override(out.set, std::move(copy));
            out.uses_builtin = true;
          }
        } else if (ekey == "path") {
          auto s = get_string(ctx, ev, path);
          if (!s) return tl::unexpected(s.error());
          if (depth >= kMaxExtendDepth) {
            return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                            "extend chain deeper than " +
                                                std::to_string(kMaxExtendDepth),
                                            &ev, path));
          }
          std::filesystem::path p(*s);
          if (p.is_relative()) p = base_dir / p;
          auto base = load_rules_file(p, builtin, depth + 1);
          if (!base) return tl::unexpected(base.error());
          apply_override(out.set, std::move(base->set));
          for (auto& f : base->files) out.files.push_back(std::move(f));
          out.uses_builtin = out.uses_builtin || base->uses_builtin;
        } else if (ekey == "disabledRules") {
          auto list = get_strings(ctx, ev, path);
          if (!list) return tl::unexpected(list.error());
          disabled = std::move(*list);
        } else {
          return tl::unexpected(ctx.error(ErrorCode::policy_unknown_key,
                                          "unknown extend key \"" + ekey + "\"", &ev, path));
        }
      }
    } else if (key == "allowlist" || key == "allowlists") {
      auto ok = parse_allowlists(ctx, v, key, own.allowlists);
      if (!ok) return tl::unexpected(ok.error());
    } else if (key == "rules") {
      const auto* arr = v.as_array();
      if (arr == nullptr) {
        return tl::unexpected(
            ctx.error(ErrorCode::policy_type, "rules must be an array of tables", &v, key));
      }
      std::set<std::string> seen;
      std::size_t i = 0;
      for (const auto& e : *arr) {
        const auto* t = e.as_table();
        if (t == nullptr) {
          return tl::unexpected(
              ctx.error(ErrorCode::policy_type, "rules must be an array of tables", &e, key));
        }
        auto r = parse_rule(ctx, *t, i++);
        if (!r) return tl::unexpected(r.error());
        if (!seen.insert(r->id).second) {
          return tl::unexpected(ctx.error(ErrorCode::policy_value,
                                          "duplicate rule id \"" + r->id + "\"", &e, "rules.id"));
        }
        own.rules.push_back(std::move(*r));
      }
    } else {
      return tl::unexpected(
          ctx.error(ErrorCode::policy_unknown_key, "unknown key \"" + key + "\"", &v, key));
    }
  }
  apply_override(out.set, std::move(own));
  if (!disabled.empty()) {
    std::erase_if(out.set.rules, [&](const Rule& r) {
      return std::find(disabled.begin(), disabled.end(), r.id) != disabled.end();
    });
  }
  return out;
}

Result<LoadedRules> load_rules_file(const std::filesystem::path& file, const RuleSet* builtin,
                                    int depth) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(file, ec);
    return fail(exists ? ErrorCode::io_error : ErrorCode::path_not_found,
                exists ? "cannot read rule file" : "rule file does not exist",
                {{"file", file.string()}});
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto loaded = parse_rules_toml(text, file.string(), file.parent_path(), builtin, depth);
  if (loaded) loaded->files.emplace_back(file.string(), std::move(text));
  return loaded;
}

Result<void> validate_rules(const RuleSet& set) {
  std::set<std::string> ids;
  const RE2::Options opts = confirm_regex_options();
  auto check_regex = [&](const std::string& re, const std::string& rule,
                         const std::string& what) -> Result<void> {
    RE2 compiled(re, opts);
    if (!compiled.ok()) {
      return fail(ErrorCode::policy_value, what + " does not compile: " + compiled.error(),
                  {{"file", set.origin}, {"rule", rule}});
    }
    return {};
  };
  auto check_allowlists = [&](const std::vector<Allowlist>& lists,
                              const std::string& rule) -> Result<void> {
    for (const auto& a : lists) {
      for (const auto& re : a.regexes) {
        auto ok = check_regex(re, rule, "allowlist regex");
        if (!ok) return ok;
      }
      for (const auto& re : a.paths) {
        auto ok = check_regex(re, rule, "allowlist path");
        if (!ok) return ok;
      }
    }
    return {};
  };
  for (const auto& r : set.rules) {
    if (!ids.insert(r.id).second) {
      return fail(ErrorCode::policy_value, "duplicate rule id \"" + r.id + "\"",
                  {{"file", set.origin}});
    }
    if (r.id == kRegisteredSecretRule || r.id == kSizeLimitRule) {
      return fail(ErrorCode::policy_value, "rule id \"" + r.id + "\" is reserved",
                  {{"file", set.origin}});
    }
    if (!r.regex.empty()) {
      RE2 compiled(r.regex, opts);
      if (!compiled.ok()) {
        return fail(ErrorCode::policy_value, "regex does not compile: " + compiled.error(),
                    {{"file", set.origin}, {"rule", r.id}});
      }
      if (r.secret_group > compiled.NumberOfCapturingGroups()) {
        return fail(ErrorCode::policy_value,
                    "secretGroup " + std::to_string(r.secret_group) + " but the regex has " +
                        std::to_string(compiled.NumberOfCapturingGroups()) + " groups",
                    {{"file", set.origin}, {"rule", r.id}});
      }
    }
    if (!r.path.empty()) {
      auto ok = check_regex(r.path, r.id, "path");
      if (!ok) return ok;
    }
    auto ok = check_allowlists(r.allowlists, r.id);
    if (!ok) return ok;
  }
  return check_allowlists(set.allowlists, "<global allowlist>");
}

}  // namespace kavach::gate::detail
