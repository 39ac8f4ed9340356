#!/usr/bin/env bash
# docs/commands.md carries `gcfuzz --help-all` verbatim between two markers. This script
# writes that block from the binary, or with --check says whether the two still agree (the
# `command_reference` test), so the reference cannot drift from the binary.
# Usage: command-reference.sh [--check] GCFUZZ DOC
set -euo pipefail
check=false
if [ "${1:-}" = --check ]; then check=true; shift; fi
if [ $# -ne 2 ]; then
  echo "usage: command-reference.sh [--check] GCFUZZ DOC" >&2
  exit 2
fi
gcfuzz=$1
doc=$2
begin='<!-- BEGIN: generated from `gcfuzz --help-all` by scripts/command-reference.sh; do not edit -->'
end='<!-- END: generated -->'
if ! grep -qxF "$begin" "$doc" || ! grep -qxF "$end" "$doc"; then
  echo "command-reference: $doc lacks the markers of the generated block" >&2
  exit 2
fi
help=$("$gcfuzz" --help-all)
wanted=$(printf '%s\n```text\n%s\n```\n%s\n' "$begin" "$help" "$end")
current=$(sed -n "\\|^$(sed 's/[][\\.*^$|]/\\&/g' <<<"$begin")\$|,\\|^$end\$|p" "$doc")

if $check; then
  if [ "$current" = "$wanted" ]; then
    echo "command-reference: $doc matches \`gcfuzz --help-all\`"
    exit 0
  fi
  echo "command-reference: $doc differs from \`gcfuzz --help-all\` (- doc, + binary):"
  diff <(printf '%s\n' "$current") <(printf '%s\n' "$wanted") || true
  echo "run: scripts/command-reference.sh $gcfuzz $doc"
  exit 1
fi

tmp=$(mktemp "$doc.XXXXXX")
awk -v begin="$begin" -v end="$end" -v block="$wanted" '
  $0 == begin { print block; skipping = 1; next }
  $0 == end { skipping = 0; next }
  !skipping { print }
' "$doc" > "$tmp"
mv "$tmp" "$doc"
echo "command-reference: wrote the generated block of $doc"
