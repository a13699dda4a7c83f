// kavach_docgen TEMPLATE OUTDIR: the man page and the shell completions, generated at build time
// from the CLI definition itself (the same CLI11 app `kavach` parses with).
//   OUTDIR/kavach.1                     kavach(1): TEMPLATE with @COMMANDS@, @ERROR_CODES@ filled in
//   OUTDIR/completions/kavach.bash      bash
//   OUTDIR/completions/_kavach          zsh
//   OUTDIR/completions/kavach.fish      fish
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "app.hpp"
#include "cli_walk.hpp"
#include "completion.hpp"
#include "exit_codes.hpp"
#include "kavach/error.hpp"

namespace {

using kavach::cli::CommandInfo;

// Text for roff: backslashes escaped, a line never starting with a control character, '-' as \-.
std::string roff(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string commands_section(const std::vector<CommandInfo>& cli) {
  std::string out;
  for (const auto& c : cli) {
    if (c.path.empty() || !c.subcommands.empty()) continue;  // kavach itself, and groups like `policy`
    std::string synopsis = "kavach " + c.path + " [OPTIONS]";
    for (const auto& p : c.positionals) {
      synopsis += p.is_command ? " -- CMD [ARGS...]" : (p.required ? " " : " [") + p.name + (p.required ? "" : "]");
    }
    out += ".SS " + roff(synopsis) + "\n" + roff(c.help) + "\n";
    for (const auto& o : c.options) {
      if (o.names.size() == 2 && o.names[1] == "--help") continue;
      std::string names;
      for (const auto& n : o.names) names += (names.empty() ? "" : ", ") + ("\\fB" + roff(n) + "\\fR");
      if (o.takes_value) names += " \\fI" + roff(o.value_name) + "\\fR";
      out += ".TP\n" + names + "\n" + roff(o.help);
      // The values, unless the help names them already.
      const bool named = std::any_of(o.choices.begin(), o.choices.end(),
                                     [&](const std::string& ch) { return o.help.find(ch) != std::string::npos; });
      if (!o.choices.empty() && o.choices.size() <= 12 && !named) {
        std::string list;
        for (const auto& ch : o.choices) list += (list.empty() ? "" : ", ") + ch;
        out += ": " + roff(list);
      }
      out += "\n";
    }
    if (!c.footer.empty()) out += ".PP\n" + roff(c.footer) + "\n";
  }
  return out;
}

std::string error_codes_section() {
  std::map<int, std::string> by_status;
  for (int i = 0; i <= static_cast<int>(kavach::ErrorCode::internal); ++i) {
    const auto code = static_cast<kavach::ErrorCode>(i);
    by_status[kavach::cli_exit_code(code)] = std::string(kavach::to_string(code));
  }
  std::string out = ".PD 0\n";  // one line per status
  for (const auto& [status, name] : by_status) out += ".TP\n.B " + std::to_string(status) + "\n" + roff(name) + "\n";
  return out + ".PD\n";
}

void replace(std::string& text, const std::string& marker, const std::string& with) {
  for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + with.size())) {
    text.replace(at, marker.size(), with);
  }
}

bool write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: kavach_docgen TEMPLATE OUTDIR VERSION SCHEMADIR\n");
    return 64;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "kavach_docgen: cannot read %s\n", argv[1]);
    return 66;
  }
  std::stringstream template_text;
  template_text << in.rdbuf();
  CLI::App app{"kavach: run untrusted code inside real isolation and score how strongly it was contained"};
  app.name("kavach");
  int exit_code = 0;
  kavach::cli::register_all(app, exit_code);
  const auto cli = kavach::cli::describe_cli(app);

  std::string page = template_text.str();
  replace(page, "@COMMANDS@\n", commands_section(cli));
  replace(page, "@ERROR_CODES@\n", error_codes_section());
  replace(page, "@VERSION@", argv[3]);
  replace(page, "@SCHEMADIR@", argv[4]);
  // Reproducible: the version names the page, not the build day.
  replace(page, "@DATE@", "");
  const std::filesystem::path out = argv[2];
  std::error_code ec;
  std::filesystem::create_directories(out / "completions", ec);
  bool ok = write(out / "kavach.1", page);
  const std::map<std::string, std::string> files = {{"bash", "kavach.bash"}, {"zsh", "_kavach"}, {"fish", "kavach.fish"}};
  for (const auto& [shell, name] : files) {
    auto script = kavach::cli::completion_script(cli, shell);
    ok = ok && script && write(out / "completions" / name, *script);
  }
  if (!ok) {
    std::fprintf(stderr, "kavach_docgen: cannot write into %s\n", argv[2]);
    return 73;
  }
  return 0;
}
