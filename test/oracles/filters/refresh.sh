#!/usr/bin/env bash
# Runs tshark -Y with every expression of expressions.txt over every capture of test/oracles/index.tsv and
# writes what it selects, for test/filter-oracle.test.ts:
#   selected.tsv   expression <TAB> capture name <TAB> selected frame numbers (comma-separated, "-" for none)
# for every (expression, capture) pair, with the command in the header. Re-runnable; needs tshark.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
command -v tshark >/dev/null || { echo "missing tool: tshark" >&2; exit 1; }
OUT="$HERE/selected.tsv"
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
{
  echo "# $(tshark -v 2>/dev/null | head -1)"
  echo "# for each expression E and capture C: tshark -n -r C -Y E -T fields -e frame.number"
  while IFS=$'\t' read -r name source _sum _frames; do
    [[ $name == name ]] && continue
    [[ -f $source ]] || { echo "skipping $name: $source not found" >&2; continue; }
    while IFS= read -r expr; do
      [[ -z $expr || $expr == \#* ]] && continue
      frames=$(tshark -n -r "$source" -Y "$expr" -T fields -e frame.number 2>/dev/null | paste -sd, -)
      printf '%s\t%s\t%s\n' "$expr" "$name" "${frames:--}"
    done <"$HERE/expressions.txt"
  done <"$ROOT/test/oracles/index.tsv"
} >"$TMP"
mv "$TMP" "$OUT"
echo "wrote $OUT ($(grep -vc '^#' "$OUT") rows)"
