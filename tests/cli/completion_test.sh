#!/usr/bin/env bash
# The completions `kavach completion SHELL` generates, run in the real shells: bash and fish
# complete subcommands, options, option values and the sandboxed command; zsh parses its script
# and its tables list the subcommands. A shell that is not installed is skipped, with its name.
set -euo pipefail
kavach=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kavach" completion bash > "$tmp/kavach.bash"
"$kavach" completion zsh > "$tmp/_kavach"
"$kavach" completion fish > "$tmp/kavach.fish"
mkdir "$tmp/work" && touch "$tmp/work/notes.txt"
failures=0
skipped=()

# bash: WORDS... (the last one is being completed) -> COMPREPLY, one a line.
complete_bash() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _kavach
    printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/kavach.bash" "$@"
}
# fish: the command line so far -> candidates (without their descriptions).
complete_fish() {
  fish --no-config -c "source $tmp/kavach.fish; complete -C '$*'" | cut -f1
}
expect() {  # SHELL WANT WORDS...
  local shell=$1 want=$2 got
  shift 2
  got=$("complete_$shell" "$@" | tr '\n' ' ')
  if [[ " $got " == *" $want "* ]]; then
    echo "ok   $shell: kavach ${*:2} -> $want"
  else
    echo "FAIL $shell: completing 'kavach ${*:2}' should offer '$want'; got: $got"
    failures=$((failures + 1))
  fi
}
refuse() {  # SHELL UNWANTED WORDS...: a candidate that must not be offered
  local shell=$1 unwanted=$2 got
  shift 2
  got=$("complete_$shell" "$@" | tr '\n' ' ')
  if [[ " $got " == *" $unwanted "* ]]; then
    echo "FAIL $shell: completing 'kavach ${*:2}' offers '$unwanted'; got: $got"
    failures=$((failures + 1))
  else
    echo "ok   $shell: kavach ${*:2} -/-> $unwanted"
  fi
}

bash -n "$tmp/kavach.bash"
expect bash run kavach r
expect bash check kavach policy ''
expect bash verify kavach audit v
expect bash --output-limit kavach run --out
expect bash --may-degrade kavach run --may
expect bash loopback kavach run --network ''
expect bash strict kavach run --preset s
expect bash cgroup_cpu kavach run --may-degrade cgroup_c
expect bash zsh kavach completion z
expect bash exit-codes kavach help e
expect bash "$tmp/work/notes.txt" kavach run --rw "$tmp/work/n"
expect bash bash kavach run -- bas
expect bash "$tmp/work/notes.txt" kavach run -- cat "$tmp/work/n"
refuse bash --json kavach run -- ls --j
refuse bash --backend kavach scan --b

if command -v zsh > /dev/null; then
  zsh -n "$tmp/_kavach"
  # The tables, without the last line (the call that needs the completion system).
  got=$(zsh -fc "source <(sed '\$d' '$tmp/_kavach'); _kavach_subcommands ''; print -l -- \$reply; _kavach_values run --network; print -l -- \$reply")
  for want in "run:run a command inside a sandbox" "policy:policy files" off loopback; do
    if grep -qxF -- "$want" <<< "$got"; then echo "ok   zsh: tables list '$want'"; else
      echo "FAIL zsh: tables lack '$want': $got"; failures=$((failures + 1)); fi
  done
else
  skipped+=(zsh)
fi

if command -v fish > /dev/null; then
  fish --no-execute "$tmp/kavach.fish"
  expect fish run kavach r
  expect fish check kavach policy ''
  expect fish verify kavach audit ''
  expect fish --output-limit kavach run --out
  expect fish loopback kavach run --network ''
  expect fish fish kavach completion ''
  refuse fish check kavach audit ''
else
  skipped+=(fish)
fi

if ((${#skipped[@]} > 0)); then echo "not installed, not checked: ${skipped[*]} (scripts/install-deps installs them)"; fi
if ((failures > 0)); then echo "$failures completion check(s) failed"; exit 1; fi
echo "completion test: ok"
