// `kavach run --secret` and `--inject`: pure parsing of their values (a spec never carries a
// secret value, so echoing it in an error is safe), then the proxy they fill.
#include "credential_flags.hpp"

#include <filesystem>
#include <string>

namespace kavach::cli {
namespace {

constexpr std::string_view kSecretSyntax = "NAME=env:HOST_VAR, NAME=file:HOST_PATH or NAME=cmd:COMMAND";
constexpr std::string_view kInjectSyntax =
    "NAME=env:VAR, NAME=file:/PATH/IN/SANDBOX, NAME=stdin or NAME=egress:VAR@HOST[:PORT]/HEADER";

tl::unexpected<Error> bad(std::string_view option, std::string_view spec, std::string what) {
  return fail(ErrorCode::invalid_argument,
              std::string(option) + " '" + std::string(spec) + "': " + std::move(what),
              {{"option", std::string(option)}});
}

// Splits NAME=REST, checking NAME.
Result<std::pair<std::string_view, std::string_view>> split_name(std::string_view option,
                                                                 std::string_view spec,
                                                                 std::string_view syntax) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos) return bad(option, spec, "expected " + std::string(syntax));
  const std::string_view name = spec.substr(0, eq);
  if (!is_valid_secret_name(name)) {
    return bad(option, spec, "invalid secret name '" + std::string(name) +
                                 "' (a letter or '_' then letters, digits, '_', '.', '-'; at most 64)");
  }
  return std::pair{name, spec.substr(eq + 1)};
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

Result<SecretSpec> parse_secret_spec(std::string_view spec) {
  constexpr std::string_view opt = "--secret";
  auto parts = split_name(opt, spec, kSecretSyntax);
  if (!parts) return tl::unexpected(parts.error());
  const auto [name, rest] = *parts;
  SecretSpec out{std::string(name), {}};
  if (starts_with(rest, "env:")) {
    const std::string_view var = rest.substr(4);
    if (!is_valid_env_name(var)) {
      return bad(opt, spec, "'" + std::string(var) + "' is not a valid environment variable name");
    }
    out.source = {SecretSourceKind::env, std::string(var)};
  } else if (starts_with(rest, "file:")) {
    const std::string_view path = rest.substr(5);
    if (path.empty()) return bad(opt, spec, "file: needs a host path");
    out.source = {SecretSourceKind::file, std::string(path)};
  } else if (starts_with(rest, "cmd:")) {
    const std::string_view command = rest.substr(4);
    if (command.find_first_not_of(" \t") == std::string_view::npos) return bad(opt, spec, "cmd: needs a command");
    out.source = {SecretSourceKind::command, std::string(command)};
  } else {
    const auto colon = rest.find(':');
    const std::string kind = colon == std::string_view::npos ? std::string(rest) : std::string(rest.substr(0, colon));
    return bad(opt, spec, "unknown source '" + kind + "', expected " + std::string(kSecretSyntax));
  }
  return out;
}

Result<SecretRef> parse_inject_spec(std::string_view spec) {
  constexpr std::string_view opt = "--inject";
  auto parts = split_name(opt, spec, kInjectSyntax);
  if (!parts) return tl::unexpected(parts.error());
  const auto [name, rest] = *parts;
  SecretRef out{std::string(name), InjectionMethod::env, {}};
  if (rest == "stdin") {
    out.method = InjectionMethod::standard_input;
  } else if (starts_with(rest, "env:")) {
    const std::string_view var = rest.substr(4);
    if (!is_valid_env_name(var)) {
      return bad(opt, spec, "'" + std::string(var) + "' is not a valid environment variable name");
    }
    out.target = std::string(var);
  } else if (starts_with(rest, "file:")) {
    const std::string_view path = rest.substr(5);
    const std::filesystem::path p(path);
    if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
        p.lexically_normal().string() != path) {
      return bad(opt, spec, "file target must be an absolute, normalized path to a file inside the sandbox");
    }
    for (const auto& part : p) {
      if (part == "..") return bad(opt, spec, "file target must not contain '..'");
    }
    out.method = InjectionMethod::file;
    out.target = std::string(path);
  } else if (starts_with(rest, "egress:")) {
    auto target = parse_egress_target(rest.substr(7));
    if (!target) return bad(opt, spec, target.error().message);
    out.method = InjectionMethod::egress;
    out.target = std::string(rest.substr(7));
  } else {
    const auto colon = rest.find(':');
    const std::string kind = colon == std::string_view::npos ? std::string(rest) : std::string(rest.substr(0, colon));
    return bad(opt, spec, "unknown method '" + kind + "', expected " + std::string(kInjectSyntax));
  }
  return out;
}

Result<CredentialOptions> load_credential_options(const std::vector<std::string>& secret_specs,
                                                  const std::vector<std::string>& inject_specs) {
  // Parse everything before reading any source: a typo must not run a command first.
  std::vector<SecretSpec> secrets;
  for (const auto& s : secret_specs) {
    auto spec = parse_secret_spec(s);
    if (!spec) return tl::unexpected(spec.error());
    secrets.push_back(std::move(*spec));
  }
  CredentialOptions out;
  for (const auto& s : inject_specs) {
    auto ref = parse_inject_spec(s);
    if (!ref) return tl::unexpected(ref.error());
    out.refs.push_back(std::move(*ref));
  }
  for (const auto& spec : secrets) {
    if (auto r = out.proxy.add(spec.name, spec.source); !r) return tl::unexpected(r.error());
  }
  // Unknown names and duplicate targets fail here, before the sandbox is set up.
  if (auto r = out.proxy.validate(out.refs, Command{}); !r) return tl::unexpected(r.error());
  return out;
}

}  // namespace kavach::cli
