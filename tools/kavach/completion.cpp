#include "completion.hpp"

namespace kavach::cli {
namespace {

// Single-quoted for sh, zsh and fish alike ('\'' closes, escapes and reopens; fish reads \' inside
// single quotes, so it gets its own).
std::string sq(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string fish_sq(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// What completes an option's value or a command's positional: its choices, FILE or COMMAND.
std::vector<std::string> value_words(const std::vector<std::string>& choices, bool is_command) {
  if (!choices.empty()) return choices;
  return {is_command ? "COMMAND" : "FILE"};
}

// The shared table functions, in sh syntax for bash and zsh: `emit(list)` turns a list into the
// function's output (echo for bash, reply=(...) for zsh).
template <class Emit>
std::string tables(const std::vector<CommandInfo>& cli, const char* ret_none, Emit emit, bool describe) {
  std::string s;
  s += "_kavach_subcommands() {\n  case $1 in\n";
  for (const auto& c : cli) {
    if (c.subcommands.empty()) continue;
    std::vector<std::string> items;
    for (const auto& [name, help] : c.subcommand_help) items.push_back(describe ? name + ":" + first_line(help) : name);
    s += "    " + sq(c.path) + ") " + emit(items) + " ;;\n";
  }
  s += std::string("    *) ") + ret_none + " ;;\n  esac\n}\n";
  s += "_kavach_options() {\n  case $1 in\n";
  for (const auto& c : cli) {
    std::vector<std::string> items;
    for (const auto& o : c.options) {
      for (const auto& n : o.names) items.push_back(describe ? n + ":" + first_line(o.help) : n);
    }
    s += "    " + sq(c.path) + ") " + emit(items) + " ;;\n";
  }
  s += std::string("    *) ") + ret_none + " ;;\n  esac\n}\n";
  s += "# The values after an option: a list, FILE (a path) or nothing (a flag).\n";
  s += "_kavach_values() {\n  case \"$1 $2\" in\n";
  for (const auto& c : cli) {
    for (const auto& o : c.options) {
      if (!o.takes_value) continue;
      for (const auto& n : o.names) {
        s += "    " + sq(c.path + " " + n) + ") " + emit(value_words(o.choices, false)) + " ;;\n";
      }
    }
  }
  s += "    *) return 1 ;;\n  esac\n}\n";
  s += "_kavach_positionals() {\n  case $1 in\n";
  for (const auto& c : cli) {
    if (c.positionals.empty()) continue;
    const auto& p = c.positionals.front();
    s += "    " + sq(c.path) + ") " + emit(value_words(p.choices, p.is_command)) + " ;;\n";
  }
  s += std::string("    *) ") + ret_none + " ;;\n  esac\n}\n";
  return s;
}

std::string bash_script(const std::vector<CommandInfo>& cli) {
  auto emit = [](const std::vector<std::string>& items) {
    std::string quoted;
    for (const auto& i : items) quoted += " " + sq(i);
    return "printf '%s\\n'" + quoted;
  };
  std::string s = "# bash completion for kavach, generated from its command-line definition by `kavach completion bash`.\n";
  s += tables(cli, ":", emit, false);
  s += R"sh(_kavach_reply() {  # $1: the candidates (one a line), FILE or COMMAND; $2: the word so far
  case $1 in
    FILE) mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
    COMMAND) mapfile -t COMPREPLY < <(compgen -c -- "$2") ;;
    *) mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2") ;;
  esac
}
_kavach() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local cmdpath='' i w values
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == -- ]]; then  # the sandboxed command: a program, then its arguments
      if ((i == COMP_CWORD - 1)); then _kavach_reply COMMAND "$cur"; else _kavach_reply FILE "$cur"; fi
      return 0
    fi
    if _kavach_subcommands "$cmdpath" | grep -qxF -- "$w"; then cmdpath=${cmdpath:+$cmdpath }$w; fi
  done
  if values=$(_kavach_values "$cmdpath" "$prev"); then
    _kavach_reply "$values" "$cur"
    return 0
  fi
  if [[ $cur == -* ]]; then
    _kavach_reply "$(_kavach_options "$cmdpath")" "$cur"
    return 0
  fi
  values=$(_kavach_subcommands "$cmdpath")
  if [[ -z $values ]]; then values=$(_kavach_positionals "$cmdpath"); fi
  _kavach_reply "$values" "$cur"
}
complete -F _kavach kavach
)sh";
  return s;
}

std::string zsh_script(const std::vector<CommandInfo>& cli) {
  auto emit = [](const std::vector<std::string>& items) {
    std::string quoted;
    for (const auto& i : items) quoted += (quoted.empty() ? "" : " ") + sq(i);
    return "reply=(" + quoted + ")";
  };
  std::string s = "#compdef kavach\n";
  s += "# zsh completion for kavach, generated from its command-line definition by `kavach completion zsh`.\n";
  s += tables(cli, "reply=()", emit, true);
  // `path` is zsh's own (tied to PATH): the walk keeps its words in `cmdpath`.
  s += R"sh(_kavach_reply() {  # the values in $reply: FILE, COMMAND or a list
  case ${reply[1]} in
    FILE) _files ;;
    COMMAND) _command_names -e ;;
    *) compadd -a reply ;;
  esac
}
_kavach() {
  local cmdpath='' i w
  local -a reply
  for ((i = 2; i < CURRENT; i++)); do
    w=${words[i]}
    if [[ $w == -- ]]; then
      if ((i == CURRENT - 1)); then _command_names -e; else _files; fi
      return
    fi
    _kavach_subcommands "$cmdpath"
    if (( ${reply[(I)$w:*]} )); then cmdpath=${cmdpath:+$cmdpath }$w; fi
  done
  if _kavach_values "$cmdpath" "${words[CURRENT-1]}"; then
    _kavach_reply
    return
  fi
  if [[ $PREFIX == -* ]]; then
    _kavach_options "$cmdpath"
    _describe -t options option reply
    return
  fi
  _kavach_subcommands "$cmdpath"
  if (( $#reply )); then
    _describe -t commands subcommand reply
    return
  fi
  _kavach_positionals "$cmdpath"
  (( $#reply )) && _kavach_reply
}
_kavach "$@"
)sh";
  return s;
}

std::string fish_script(const std::vector<CommandInfo>& cli) {
  std::string s = "# fish completion for kavach, generated from its command-line definition by `kavach completion fish`.\n";
  s += "function __kavach_subcommands\n    switch \"$argv[1]\"\n";
  for (const auto& c : cli) {
    if (c.subcommands.empty()) continue;
    s += "        case " + fish_sq(c.path) + "\n            printf '%s\\n'";
    for (const auto& n : c.subcommands) s += " " + fish_sq(n);
    s += "\n";
  }
  s += "    end\nend\n";
  s += R"sh(# The subcommands typed so far ("policy check"), or "--" once the sandboxed command starts.
function __kavach_path
    set -l cmdpath ''
    for w in (commandline -opc)[2..-1]
        if test "$w" = --
            echo -- --
            return
        end
        if contains -- $w (__kavach_subcommands $cmdpath)
            set cmdpath (string trim -- "$cmdpath $w")
        end
    end
    echo -- $cmdpath
end
function __kavach_at
    set -l here (__kavach_path)
    test "$here" = "$argv[1]"
end
complete -c kavach -f
complete -c kavach -n '__kavach_at --' -F
)sh";
  for (const auto& c : cli) {
    const std::string at = "-n " + fish_sq("__kavach_at " + fish_sq(c.path));
    for (const auto& [name, help] : c.subcommand_help) {
      s += "complete -c kavach " + at + " -a " + fish_sq(name) + " -d " + fish_sq(first_line(help)) + "\n";
    }
    for (const auto& o : c.options) {
      std::string line = "complete -c kavach " + at;
      for (const auto& n : o.names) line += n.size() == 2 ? " -s " + n.substr(1) : " -l " + n.substr(2);
      if (o.takes_value) line += o.choices.empty() ? " -r -F" : " -r -f -a " + fish_sq(join(o.choices));
      s += line + " -d " + fish_sq(first_line(o.help)) + "\n";
    }
    for (const auto& p : c.positionals) {
      std::string what = p.is_command ? "-a '(__fish_complete_command)'"
                         : p.choices.empty() ? "-F"
                                             : "-a " + fish_sq(join(p.choices));
      s += "complete -c kavach " + at + " " + what + " -d " + fish_sq(first_line(p.help)) + "\n";
    }
  }
  return s;
}

}  // namespace

Result<std::string> completion_script(const std::vector<CommandInfo>& cli, std::string_view shell) {
  if (shell == "bash") return bash_script(cli);
  if (shell == "zsh") return zsh_script(cli);
  if (shell == "fish") return fish_script(cli);
  return fail(ErrorCode::invalid_argument, "no completion for shell '" + std::string(shell) + "'; valid: bash, zsh, fish",
              {{"shell", std::string(shell)}});
}

}  // namespace kavach::cli
