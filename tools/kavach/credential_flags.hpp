// `kavach run --secret NAME=env:VAR|file:PATH|cmd:COMMAND` and `--inject NAME=env:VAR|
// file:/PATH|stdin|egress:VAR@HOST/HEADER`: the CLI's syntax for the credential proxy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kavach/credential.hpp"

namespace kavach::cli {

struct SecretSpec {
  std::string name;
  SecretSource source;
};

// `NAME=env:HOST_VAR`, `NAME=file:HOST_PATH`, `NAME=cmd:COMMAND` -> invalid_argument if malformed.
[[nodiscard]] Result<SecretSpec> parse_secret_spec(std::string_view spec);
// `NAME=env:VAR`, `NAME=file:/ABS/PATH`, `NAME=stdin`, `NAME=egress:...` -> invalid_argument if malformed.
[[nodiscard]] Result<SecretRef> parse_inject_spec(std::string_view spec);

// Both lists parsed (before any source is read), the secrets registered, and every inject
// checked to name a registered secret with no target used twice.
struct CredentialOptions {
  CredentialProxy proxy;
  std::vector<SecretRef> refs;
};
[[nodiscard]] Result<CredentialOptions> load_credential_options(const std::vector<std::string>& secret_specs,
                                                                const std::vector<std::string>& inject_specs);

}  // namespace kavach::cli
