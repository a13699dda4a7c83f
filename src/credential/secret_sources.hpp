// Reading a secret's bytes from its host source straight into protected memory.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/secure_buffer.hpp"
#include "kavach/error.hpp"

namespace kavach::detail {

// Errors name the secret and the source, never the bytes read.
[[nodiscard]] Result<SecureBuffer> read_env_secret(std::string_view name, std::string_view host_var);
[[nodiscard]] Result<SecureBuffer> read_file_secret(std::string_view name,
                                                    const std::filesystem::path& host_path);
[[nodiscard]] Result<SecureBuffer> read_command_secret(std::string_view name, std::string_view command);

// Drops trailing '\n' / '\r', like shell command substitution.
void strip_trailing_newlines(SecureBuffer& value);

}  // namespace kavach::detail
