#include "gate/toml_loader.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <re2/re2.h>
#include <toml++/toml.h>

#include "core/toml_reader.hpp"
#include "gate/regex_options.hpp"

namespace kavach::gate::detail {
namespace {

constexpr int kMaxExtendDepth = 4;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Result<Allowlist> parse_allowlist(const TomlReader& rd, const toml::table& t, const std::string& where) {
  Allowlist a;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string path = where + "." + key;
    if (key == "description") {
      auto s = rd.str(v, path);
      if (!s) return tl::unexpected(s.error());
      a.description = *s;
    } else if (key == "condition") {
      auto s = rd.str(v, path);
      if (!s) return tl::unexpected(s.error());
      const std::string c = lower(*s);
      if (c == "and") {
        a.require_all = true;
      } else if (c == "or") {
        a.require_all = false;
      } else {
        return tl::unexpected(rd.error(ErrorCode::policy_value, v, path, "condition must be \"AND\" or \"OR\", not \"" + *s + "\""));
      }
    } else if (key == "regexTarget") {
      auto s = rd.str(v, path);
      if (!s) return tl::unexpected(s.error());
      if (*s == "secret") {
        a.target = AllowTarget::secret;
      } else if (*s == "match") {
        a.target = AllowTarget::match;
      } else if (*s == "line") {
        a.target = AllowTarget::line;
      } else {
        return tl::unexpected(rd.error(ErrorCode::policy_value, v, path, "regexTarget must be secret, match or line, not \"" + *s + "\""));
      }
    } else if (key == "regexes" || key == "paths" || key == "stopwords" || key == "commits") {
      auto list = rd.strings(v, path);
      if (!list) return tl::unexpected(list.error());
      if (key == "regexes") a.regexes = std::move(*list);
      if (key == "paths") a.paths = std::move(*list);
      if (key == "commits") a.commits = std::move(*list);
      if (key == "stopwords") {
        for (auto& s : *list) a.stopwords.push_back(lower(std::move(s)));
      }
    } else {
      return tl::unexpected(rd.error(ErrorCode::policy_unknown_key, v, path, "unknown allowlist key \"" + key + "\""));
    }
  }
  return a;
}

// `allowlist` (one table, gitleaks < 8.21) or `allowlists` (array of tables).
Result<void> parse_allowlists(const TomlReader& rd, const toml::node& v, const std::string& path,
                              std::vector<Allowlist>& out) {
  if (const auto* t = v.as_table()) {
    auto a = parse_allowlist(rd, *t, path);
    if (!a) return tl::unexpected(a.error());
    out.push_back(std::move(*a));
    return {};
  }
  if (const auto* arr = v.as_array()) {
    for (const auto& e : *arr) {
      const auto* t = e.as_table();
      if (t == nullptr) {
        return tl::unexpected(
            rd.error(ErrorCode::policy_type, e, path, path + " must be an array of tables"));
      }
      auto a = parse_allowlist(rd, *t, path);
      if (!a) return tl::unexpected(a.error());
      out.push_back(std::move(*a));
    }
    return {};
  }
  return tl::unexpected(rd.error(ErrorCode::policy_type, v, path, path + " must be a table"));
}

Result<Rule> parse_rule(const TomlReader& rd, const toml::table& t, std::size_t index) {
  Rule r;
  const std::string where = "rules[" + std::to_string(index) + "]";
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string path = where + "." + key;
    auto fail_with = [&](const Error& e) { return tl::unexpected(e); };
    if (key == "id" || key == "description" || key == "regex" || key == "path" ||
        key == "severity" || key == "prefilter") {
      auto s = rd.str(v, path);
      if (!s) return fail_with(s.error());
      if (key == "id") r.id = *s;
      if (key == "description") r.description = *s;
      if (key == "regex") r.regex = *s;
      if (key == "path") r.path = *s;
      if (key == "prefilter") r.prefilter = *s;
      if (key == "severity") {
        auto sev = parse_severity(*s);
        if (!sev) return fail_with(rd.error(ErrorCode::policy_value, v, path, sev.error().message));
        r.severity = *sev;
      }
    } else if (key == "secretGroup") {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < 0 || i->get() > 100) {
        return fail_with(rd.error(ErrorCode::policy_value, v, path, "secretGroup must be an integer 0..100"));
      }
      r.secret_group = static_cast<int>(i->get());
    } else if (key == "entropy") {
      auto d = rd.number(v, path);
      if (!d) return fail_with(d.error());
      if (*d < 0 || *d > 8) {
        return fail_with(rd.error(ErrorCode::policy_value, v, path, "entropy must be within 0..8"));
      }
      r.entropy = *d;
    } else if (key == "keywords" || key == "tags" || key == "validators") {
      auto list = rd.strings(v, path);
      if (!list) return fail_with(list.error());
      if (key == "keywords") {
        for (auto& s : *list) r.keywords.push_back(lower(std::move(s)));
      } else if (key == "tags") {
        r.tags = std::move(*list);
      } else {
        for (const auto& name : *list) {
          auto val = parse_validator(name);
          if (!val) {
            return fail_with(rd.error(ErrorCode::policy_value, v, path, "unknown validator \"" + name + "\""));
          }
          r.validators.push_back(*val);
        }
      }
    } else if (key == "digitRun") {
      const auto* arr = v.as_array();
      if (arr == nullptr || arr->size() != 2 || !(*arr)[0].is_integer() || !(*arr)[1].is_integer()) {
        return fail_with(rd.error(ErrorCode::policy_type, v, path, "digitRun must be [min, max]"));
      }
      const auto lo = (*arr)[0].as_integer()->get();
      const auto hi = (*arr)[1].as_integer()->get();
      if (lo < 1 || hi < lo || hi > 64) {
        return fail_with(rd.error(ErrorCode::policy_value, v, path, "digitRun must satisfy 1 <= min <= max <= 64"));
      }
      r.digit_min = static_cast<int>(lo);
      r.digit_max = static_cast<int>(hi);
    } else if (key == "maxLength") {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < 8 || i->get() > 16384) {
        return fail_with(rd.error(ErrorCode::policy_value, v, path, "maxLength must be an integer 8..16384"));
      }
      r.max_length = static_cast<int>(i->get());
    } else if (key == "digitRunAfterLetters" || key == "digitRunExact") {
      auto b = rd.boolean(v, path);
      if (!b) return fail_with(b.error());
      if (key == "digitRunExact") {
        r.digit_exact = *b;
      } else {
        r.digit_after_letters = *b;
      }
    } else if (key == "randomness" || key == "placeholderCheck" || key == "skipReport") {
      auto b = rd.boolean(v, path);
      if (!b) return fail_with(b.error());
      if (key == "randomness") r.randomness = *b;
      if (key == "placeholderCheck") r.placeholder_check = *b;
      if (key == "skipReport") r.report = !*b;
    } else if (key == "allowlist" || key == "allowlists") {
      auto ok = parse_allowlists(rd, v, path, r.allowlists);
      if (!ok) return fail_with(ok.error());
    } else {
      // Includes gitleaks' composite `required` rules, which kavach does not implement: better a
      // clear error than a rule that silently never fires.
      return fail_with(rd.error(ErrorCode::policy_unknown_key, v, path, "unknown rule key \"" + key + "\""));
    }
  }
  if (r.id.empty()) {
    return tl::unexpected(
        rd.error(ErrorCode::policy_value, t, where + ".id", "rule without an id"));
  }
  if (r.digit_min > 0 && r.regex.empty()) {
    return tl::unexpected(rd.error(ErrorCode::policy_value, t, where, "rule \"" + r.id + "\" has digitRun but no regex"));
  }
  if (r.regex.empty() && r.path.empty()) {
    return tl::unexpected(rd.error(ErrorCode::policy_value, t, where, "rule \"" + r.id + "\" has neither regex nor path"));
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
  const TomlReader rd{std::string(origin)};
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
      auto s = rd.str(v, key);
      if (!s) return tl::unexpected(s.error());
    } else if (key == "extend") {
      const auto* t = v.as_table();
      if (t == nullptr) {
        return tl::unexpected(rd.error(ErrorCode::policy_type, v, key, "extend must be a table"));
      }
      for (const auto& [ek, ev] : *t) {
        const std::string ekey(ek.str());
        const std::string path = "extend." + ekey;
        if (ekey == "useDefault") {
          auto b = rd.boolean(ev, path);
          if (!b) return tl::unexpected(b.error());
          if (*b) {
            if (builtin == nullptr) {
              return tl::unexpected(rd.error(ErrorCode::policy_value, ev, path, "useDefault is not available here"));
            }
            RuleSet copy = *builtin;
            apply_override(out.set, std::move(copy));
            out.uses_builtin = true;
          }
        } else if (ekey == "path") {
          auto s = rd.str(ev, path);
          if (!s) return tl::unexpected(s.error());
          if (depth >= kMaxExtendDepth) {
            return tl::unexpected(rd.error(ErrorCode::policy_value, ev, path, "extend chain deeper than " + std::to_string(kMaxExtendDepth)));
          }
          std::filesystem::path p(*s);
          if (p.is_relative()) p = base_dir / p;
          auto base = load_rules_file(p, builtin, depth + 1);
          if (!base) return tl::unexpected(base.error());
          apply_override(out.set, std::move(base->set));
          for (auto& f : base->files) out.files.push_back(std::move(f));
          out.uses_builtin = out.uses_builtin || base->uses_builtin;
        } else if (ekey == "disabledRules") {
          auto list = rd.strings(ev, path);
          if (!list) return tl::unexpected(list.error());
          disabled = std::move(*list);
        } else {
          return tl::unexpected(rd.error(ErrorCode::policy_unknown_key, ev, path, "unknown extend key \"" + ekey + "\""));
        }
      }
    } else if (key == "allowlist" || key == "allowlists") {
      auto ok = parse_allowlists(rd, v, key, own.allowlists);
      if (!ok) return tl::unexpected(ok.error());
    } else if (key == "rules") {
      const auto* arr = v.as_array();
      if (arr == nullptr) {
        return tl::unexpected(
            rd.error(ErrorCode::policy_type, v, key, "rules must be an array of tables"));
      }
      std::set<std::string> seen;
      std::size_t i = 0;
      for (const auto& e : *arr) {
        const auto* t = e.as_table();
        if (t == nullptr) {
          return tl::unexpected(
              rd.error(ErrorCode::policy_type, e, key, "rules must be an array of tables"));
        }
        auto r = parse_rule(rd, *t, i++);
        if (!r) return tl::unexpected(r.error());
        if (!seen.insert(r->id).second) {
          return tl::unexpected(rd.error(ErrorCode::policy_value, e, "rules.id", "duplicate rule id \"" + r->id + "\""));
        }
        own.rules.push_back(std::move(*r));
      }
    } else {
      return tl::unexpected(
          rd.error(ErrorCode::policy_unknown_key, v, key, "unknown key \"" + key + "\""));
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
