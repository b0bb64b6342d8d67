#!/usr/bin/env bash
# Runs `tshark -Y` with every expression of expressions.txt and records the frames it selects, for
# test/filter-oracle.test.ts and test/check-packet-rules.test.ts:
#   selected.tsv   expression <TAB> capture name <TAB> selected frame numbers of that capture ("-" for none)
# tshark starts in about a second, so instead of one run per (expression, capture) the captures of
# test/oracles/index.tsv are concatenated in index order (mergecap -a) and each expression runs once over the
# result; frame numbers are mapped back to each capture. Stateful fields (tcp.stream, frame.time_relative,
# frame.number) therefore count across the concatenation, and the test replays the captures the same way.
# Re-runnable; needs tshark and mergecap.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
for t in tshark mergecap; do command -v $t >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
files=()
: >"$TMP/offsets"
offset=0
while IFS=$'\t' read -r name source _sum frames; do
  [[ $name == name ]] && continue
  [[ -f $source ]] || { echo "missing capture $source: run from a full checkout" >&2; exit 1; }
  files+=("$source")
  printf '%s\t%s\t%s\n' "$name" "$offset" "$frames" >>"$TMP/offsets"
  offset=$((offset + frames))
done <"$ROOT/test/oracles/index.tsv"
mergecap -a -F pcapng -w "$TMP/all.pcapng" "${files[@]}"
{
  echo "# $(tshark -v 2>/dev/null | head -1)"
  echo "# mergecap -a -F pcapng -w ALL <the captures of test/oracles/index.tsv in order>"
  echo "# per expression E: tshark -n -r ALL -Y E -T fields -e frame.number, frames mapped back to each capture"
  while IFS= read -r expr; do
    [[ -z $expr || $expr == \#* ]] && continue
    tshark -n -r "$TMP/all.pcapng" -Y "$expr" -T fields -e frame.number 2>/dev/null >"$TMP/sel" || { echo "tshark rejected: $expr" >&2; exit 1; }
    awk -F'\t' -v expr="$expr" '
      NR == FNR { name[NR] = $1; off[NR] = $2; cnt[NR] = $3; n = NR; next }
      { for (i = 1; i <= n; i++) if ($1 > off[i] && $1 <= off[i] + cnt[i]) { sel[i] = sel[i] (sel[i] == "" ? "" : ",") ($1 - off[i]); break } }
      END { for (i = 1; i <= n; i++) printf "%s\t%s\t%s\n", expr, name[i], (sel[i] == "" ? "-" : sel[i]) }
    ' "$TMP/offsets" "$TMP/sel"
  done <"$HERE/expressions.txt"
} >"$TMP/out"
mv "$TMP/out" "$HERE/selected.tsv"
echo "wrote $HERE/selected.tsv ($(grep -vc '^#' "$HERE/selected.tsv") rows)"
