#!/usr/bin/env bash
# kavach(1) as generated from the CLI definition: groff formats it without a warning, and it
# documents every subcommand, every option of `run`, and every exit status.
set -euo pipefail
page=$1
kavach=$2
groff -man -Tutf8 -ww -z "$page"
text=$(groff -man -Tascii -P-cbou "$page" 2>/dev/null)
missing=()
for want in "kavach run" "kavach backends" "kavach doctor" "kavach score" "kavach policy check" "kavach scan" \
            "kavach audit verify" "kavach gc" "kavach verify" "kavach completion" "kavach help" \
            --output-limit --cwd --may-degrade --env --debug --json "policy_conflict" "schema_version" \
            "readonly_paths_add"; do
  grep -qF -- "$want" <<< "$text" || missing+=("$want")
done
# Every exit status `kavach help exit-codes` lists.
while read -r status name; do
  grep -qE "^ +$status +$name" <<< "$text" || missing+=("$status $name")
done < <("$kavach" help exit-codes | sed -n 's/^    \([0-9][0-9]*\)  \([a-z_]*\)$/\1 \2/p')
if ((${#missing[@]} > 0)); then
  printf 'kavach(1) lacks: %s\n' "${missing[@]}"
  exit 1
fi
echo "man page test: ok"
