// Typed, located reads out of TOML nodes: every error names file:line and the key path, and
// says what was expected and what was found. Policy files (policy_keys.cpp, policy_toml.cpp)
// and the gate's rule files (gate/toml_loader.cpp) read through it.
#pragma once

#include <toml++/toml.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/policy_ranges.hpp"
#include "kavach/syscalls.hpp"

namespace kavach {

class TomlReader {
 public:
  explicit TomlReader(std::string origin) : origin_(std::move(origin)) {}

  // Nodes made from JSON have no line (0): the origin alone then.
  Error error(ErrorCode code, const toml::node& at, const std::string& key, const std::string& msg) const {
    Error e = located(at, make_error(code, key + ": " + msg, {}));
    e.context["key"] = key;
    return e;
  }

  // Unknown keys in `table` (at path `prefix`) are errors.
  Result<void> only_keys(const toml::table& table, const std::string& prefix,
                         const std::set<std::string_view>& known) const {
    for (auto&& [k, v] : table) {
      if (known.count(k.str()) == 0) {
        std::string valid;
        for (auto n : known) valid += (valid.empty() ? "" : ", ") + std::string(n);
        const std::string full = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        return tl::unexpected(error(ErrorCode::policy_unknown_key, v, full,
                                    "unknown key; valid keys here: " + valid));
      }
    }
    return {};
  }

  Result<std::string> str(const toml::node& n, const std::string& key) const {
    if (auto v = n.value<std::string>(); v && n.is_string()) return *v;
    return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected a string, got " + type_name(n)));
  }

  Result<bool> boolean(const toml::node& n, const std::string& key) const {
    if (n.is_boolean()) return *n.value<bool>();
    return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected true or false, got " + type_name(n)));
  }

  // A range error from the shared table, placed at `at` in this file.
  Error located(const toml::node& at, Error e) const {
    const auto line = at.source().begin.line;
    e.message = origin_ + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + e.message;
    e.context["file"] = origin_;
    if (line > 0) e.context["line"] = std::to_string(line);
    return e;
  }

  // A whole number within `range` (checked as written, before it is narrowed to the field).
  Result<std::uint64_t> whole(const toml::node& n, const std::string& key, const NumericRange& range) const {
    if (!n.is_integer()) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected an integer, got " + type_name(n)));
    }
    const auto v = *n.value<std::int64_t>();
    if (auto c = check_signed_range(range, v, key); !c) return tl::unexpected(located(n, c.error()));
    return static_cast<std::uint64_t>(v);
  }

  // A finite number within `range` (TOML also spells nan and inf).
  Result<double> number(const toml::node& n, const std::string& key) const {
    if (n.is_integer()) return static_cast<double>(*n.value<std::int64_t>());
    if (n.is_floating_point()) return *n.value<double>();
    return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected a number, got " + type_name(n)));
  }

  Result<double> real(const toml::node& n, const std::string& key, const NumericRange& range) const {
    auto v = number(n, key);
    if (!v) return v;
    if (auto c = check_real_range(range, *v, key); !c) return tl::unexpected(located(n, c.error()));
    return v;
  }

  // Byte sizes within `range`: an integer, or a string like "512M", "64MiB", "1G", "4096".
  Result<std::uint64_t> bytes(const toml::node& n, const std::string& key, const NumericRange& range) const {
    if (n.is_integer()) return whole(n, key, range);
    if (!n.is_string()) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key,
                                  "expected a size (integer bytes or a string like \"64M\"), got " + type_name(n)));
    }
    const std::string s = *n.value<std::string>();
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    std::string unit(ptr, s.data() + s.size());
    std::uint64_t mult = 0;
    if (unit.empty() || unit == "B") mult = 1;
    else if (unit == "K" || unit == "KiB" || unit == "k") mult = 1ull << 10;
    else if (unit == "M" || unit == "MiB") mult = 1ull << 20;
    else if (unit == "G" || unit == "GiB") mult = 1ull << 30;
    const bool too_large = ec == std::errc::result_out_of_range || (mult != 0 && value > UINT64_MAX / mult);
    if (ptr == s.data() || mult == 0 || (ec != std::errc() && !too_large)) {
      return tl::unexpected(error(ErrorCode::policy_value, n, key,
                                  "invalid size \"" + s + "\" (use bytes or a suffix K, M, G)"));
    }
    // Out of range as written ("1048577G"), not as a byte count that may have wrapped.
    if (too_large || !check_range(range, value * mult)) {
      return tl::unexpected(located(n, out_of_range_error(range, key, s)));
    }
    return value * mult;
  }

  Result<std::vector<std::string>> strings(const toml::node& n, const std::string& key) const {
    const toml::array* arr = n.as_array();
    if (arr == nullptr) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected an array of strings, got " + type_name(n)));
    }
    std::vector<std::string> out;
    std::size_t i = 0;
    for (const auto& el : *arr) {
      auto s = str(el, key + "[" + std::to_string(i++) + "]");
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
    }
    return out;
  }

  Result<std::vector<std::filesystem::path>> abs_paths(const toml::node& n, const std::string& key) const {
    auto list = strings(n, key);
    if (!list) return tl::unexpected(list.error());
    std::vector<std::filesystem::path> out;
    const toml::array& arr = *n.as_array();
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::filesystem::path p((*list)[i]);
      if (!p.is_absolute()) {
        return tl::unexpected(error(ErrorCode::path_not_absolute, *arr.get(i),
                                    key + "[" + std::to_string(i) + "]",
                                    "path '" + p.string() + "' must be absolute"));
      }
      out.push_back(p.lexically_normal());
    }
    return out;
  }

  Result<std::vector<std::uint16_t>> ports(const toml::node& n, const std::string& key,
                                           const NumericRange& range) const {
    const toml::array* arr = n.as_array();
    if (arr == nullptr) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected an array of ports, got " + type_name(n)));
    }
    std::vector<std::uint16_t> out;
    std::size_t i = 0;
    for (const auto& el : *arr) {
      auto v = whole(el, key + "[" + std::to_string(i++) + "]", range);
      if (!v) return tl::unexpected(v.error());
      out.push_back(static_cast<std::uint16_t>(*v));
    }
    return out;
  }

  Result<void> syscall_names(const toml::node& n, const std::string& key,
                             std::vector<std::string>& out) const {
    auto list = strings(n, key);
    if (!list) return tl::unexpected(list.error());
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (!is_known_syscall((*list)[i])) {
        return tl::unexpected(error(ErrorCode::unknown_syscall, *n.as_array()->get(i),
                                    key + "[" + std::to_string(i) + "]",
                                    "unknown syscall name '" + (*list)[i] + "'"));
      }
    }
    out = std::move(*list);
    return {};
  }

  static std::string type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      default: return "a date/time";
    }
  }

  const toml::table* table(const toml::node& n, const std::string& key, Error& err) const {
    const toml::table* t = n.as_table();
    if (t == nullptr) err = error(ErrorCode::policy_type, n, key, "expected a table, got " + type_name(n));
    return t;
  }

 private:
  std::string origin_;
};

}  // namespace kavach
