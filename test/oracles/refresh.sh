#!/usr/bin/env bash
# Regenerates the tshark and tcpdump oracle outputs for every capture under captures/.
#
#   bash test/oracles/refresh.sh            # all captures
#
# For each capture (captures/**/*.pcap, captures/**/*.pcapng; and the public captures from
# /work/shared/captures-public/ when captures/public/ does not hold them yet) this writes
#   test/oracles/<name>.tshark.tsv    tshark -T fields, one row per frame, MPTCP fields
#   test/oracles/<name>.tcpdump.txt   TZ=UTC tcpdump -# -n -v -r FILE (stdout; stderr lines prefixed "#stderr ")
# where <name> is the capture's path relative to captures/ without its extension
# (public captures are always public/<project>/<file>, wherever they were read from), and
#   test/oracles/index.tsv            name, source path, sha256, frame count of every capture.
# Re-runnable: outputs are rewritten in place, outputs of captures that are gone are removed.
# Needs tshark and tcpdump on PATH. Deterministic: tshark runs with no user profile (-o settings below).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$ROOT/test/oracles"
SHARED_PUBLIC=${SHARED_PUBLIC:-/work/shared/captures-public}
cd "$ROOT"

for t in tshark tcpdump editcap sha256sum; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

# Every MPTCP field tshark 4.0 has (tshark -G fields | grep -i mptcp), plus the TCP fields needed to
# line options up with packets. Order matters only for readability; the test reads the header row.
FIELDS=(
  frame.number frame.len frame.cap_len
  tcp.stream tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.flags tcp.len
  tcp.option_kind tcp.option_len
  mptcp.stream mptcp.master
  tcp.options.mptcp.subtype tcp.options.mptcp.version tcp.options.mptcp.flags
  tcp.options.mptcp.checksumreq.flags tcp.options.mptcp.extensibility.flag
  tcp.options.mptcp.nomoresubflows.flag tcp.options.mptcp.sha1.flag tcp.options.mptcp.sha256.flag
  tcp.options.mptcp.backup.flag
  tcp.options.mptcp.datafin.flag tcp.options.mptcp.dseqn8.flag tcp.options.mptcp.dseqnpresent.flag
  tcp.options.mptcp.dataack8.flag tcp.options.mptcp.dataackpresent.flag
  tcp.options.mptcp.flag_U.flag tcp.options.mptcp.flag_V.flag tcp.options.mptcp.flag_W.flag
  tcp.options.mptcp.flag_T.flag tcp.options.mptcp.rst_reason
  tcp.options.mptcp.addrid
  tcp.options.mptcp.sendkey tcp.options.mptcp.recvkey
  tcp.options.mptcp.recvtok tcp.options.mptcp.sendrand
  tcp.options.mptcp.sendtrunchmac tcp.options.mptcp.sendhmac
  tcp.options.mptcp.rawdataack tcp.options.mptcp.rawdataseqno tcp.options.mptcp.subflowseqno
  tcp.options.mptcp.datalvllen tcp.options.mptcp.checksum
  tcp.options.mptcp.ipver tcp.options.mptcp.echo
  tcp.options.mptcp.ipv4 tcp.options.mptcp.ipv6 tcp.options.mptcp.port
  tcp.options.mptcp.addaddrtrunchmac
  mptcp.rm_addr.count
  mptcp.expected_token mptcp.expected_idsn
  mptcp.ack mptcp.dsn mptcp.rawdsn64 mptcp.dss.dsn
  _ws.malformed _ws.expert.message
)
TSHARK_ARGS=(-n -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, -E quote=n)
for f in "${FIELDS[@]}"; do TSHARK_ARGS+=(-e "$f"); done
# -# numbers the packets so the test can line them up with frames; TZ=UTC keeps timestamps stable.
TCPDUMP_ARGS=(-# -n -v)
export TZ=UTC

# name<TAB>path, captures/ first so a copy in captures/public/ wins over the shared folder.
list_captures() {
  find captures -type f \( -name '*.pcap' -o -name '*.pcapng' \) 2>/dev/null | LC_ALL=C sort | while read -r f; do
    rel=${f#captures/}
    printf '%s\t%s\n' "${rel%.*}" "$f"
  done
  if [[ -d $SHARED_PUBLIC ]]; then
    find "$SHARED_PUBLIC" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort | while read -r f; do
      rel=${f#"$SHARED_PUBLIC"/}
      printf '%s\t%s\n' "public/${rel%.*}" "$f"
    done
  fi
}

# libpcap reads a pcapng only while all its interfaces share one link type. For a capture that mixes them,
# tcpdump runs on each interface's packets (extracted by tshark as a pcap) and its packet numbers are mapped
# back to the frame numbers of the whole capture, so the output reads as if tcpdump had read the file.
tcpdump_per_interface() {
  local src=$1 id encap name frames
  echo "#note libpcap cannot read pcapng files whose interfaces differ in link type: tcpdump ran per interface"
  tshark -r "$src" -T fields -e frame.interface_id -e frame.encap_type 2>/dev/null | sort -u -k1,1n |
  while read -r id encap; do
    # Wiretap encapsulation -> editcap -T name (editcap -T lists them).
    case $encap in 1) name=ether ;; 7) name=rawip ;; 25) name=linux-sll ;; *) name= ;; esac
    if [[ -z $name ]]; then echo "#note interface $id: encapsulation $encap not handled, not printed"; continue; fi
    tshark -r "$src" -Y "frame.interface_id == $id" -T fields -e frame.number 2>/dev/null >"$TMP/iface.frames"
    mapfile -t frames <"$TMP/iface.frames"
    editcap -r -F pcap -T "$name" "$src" "$TMP/iface.pcap" "${frames[@]}"
    echo "#note interface $id ($name): editcap -r -F pcap -T $name FILE <its frames>; tcpdump ${TCPDUMP_ARGS[*]} -r -"
    tcpdump "${TCPDUMP_ARGS[@]}" -r - <"$TMP/iface.pcap" 2>"$TMP/iface.err" |
      awk -v map="$TMP/iface.frames" 'BEGIN { i = 0; while ((getline f < map) > 0) frame[++i] = f }
        /^ *[0-9]+  / { n = $1; sub(/^ *[0-9]+/, sprintf("%5d", frame[n])); cur = frame[n] }
        { printf "%d\t%s\n", cur, $0 }'
    sed 's/^/#stderr /' "$TMP/iface.err"
  done | awk -F'\t' '/^#/ { print "0\t" NR "\t" $0; next } { print $1 "\t" NR "\t" substr($0, length($1) + 2) }' |
    sort -t$'\t' -k1,1n -k2,2n | cut -f3-
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
declare -A SEEN=()
: >"$TMP/index.tsv"
printf 'name\tsource\tsha256\tframes\n' >>"$TMP/index.tsv"

while IFS=$'\t' read -r name src; do
  if [[ -n ${SEEN[$name]:-} ]]; then
    # Same stem twice under captures/ (e.g. x.pcap and x.pcapng) is an error; a shared public
    # capture already copied into captures/public/ is simply skipped.
    if [[ ${SEEN[$name]} == captures/* && $src == captures/* ]]; then
      echo "two captures map to the oracle name $name: ${SEEN[$name]} and $src" >&2; exit 1
    fi
    continue
  fi
  SEEN[$name]=$src
  # Work on a snapshot: captures/ is rewritten by other people while this runs. A capture that vanishes
  # meanwhile keeps its previous outputs and index line.
  snap="$TMP/snapshot"
  if ! cp "$src" "$snap" 2>/dev/null; then
    echo "skipped $src (vanished while reading); its previous oracle outputs are kept" >&2
    grep -P "^\Q$name\E\t" "$OUT/index.tsv" >>"$TMP/index.tsv" 2>/dev/null || true
    continue
  fi
  mkdir -p "$OUT/$(dirname "$name")"
  tsv="$OUT/$name.tshark.tsv"
  txt="$OUT/$name.tcpdump.txt"
  # tshark: stderr (e.g. "Running as user root") is not part of the oracle.
  if ! tshark -r "$snap" "${TSHARK_ARGS[@]}" >"$tsv.tmp" 2>"$TMP/tshark.err"; then
    echo "tshark failed on $src:" >&2; grep -v '^Running as user' "$TMP/tshark.err" >&2 || true
  fi
  mv "$tsv.tmp" "$tsv"
  # tcpdump reads stdin so its "reading from file -" line does not name the snapshot. Its stderr is kept
  # as #stderr lines at the end.
  tcpdump "${TCPDUMP_ARGS[@]}" -r - <"$snap" >"$txt.tmp" 2>"$TMP/tcpdump.err" || true
  if grep -q 'different from the type of the first interface' "$TMP/tcpdump.err"; then
    tcpdump_per_interface "$snap" >"$txt.tmp"
  else
    sed 's/^/#stderr /' "$TMP/tcpdump.err" >>"$txt.tmp"
  fi
  mv "$txt.tmp" "$txt"
  frames=$(($(wc -l <"$tsv") - 1))
  sum=$(sha256sum "$snap" | cut -d' ' -f1)
  printf '%s\t%s\t%s\t%s\n' "$name" "$src" "$sum" "$frames" >>"$TMP/index.tsv"
  printf '%-45s %6d frames  (%s)\n' "$name" "$frames" "$src" >&2
done < <(list_captures)

mv "$TMP/index.tsv" "$OUT/index.tsv"

# Remove outputs whose capture is gone.
find "$OUT" -type f \( -name '*.tshark.tsv' -o -name '*.tcpdump.txt' \) | while read -r f; do
  rel=${f#"$OUT"/}
  name=${rel%.tshark.tsv}; name=${name%.tcpdump.txt}
  [[ -n ${SEEN[$name]:-} ]] || { echo "removing stale $rel" >&2; rm -f "$f"; }
done
find "$OUT" -mindepth 1 -type d -empty -delete

# Record the exact commands and versions.
{
  tshark_v=$(tshark -v 2>/dev/null | head -1)
  tcpdump_v=$(tcpdump --version 2>&1 | head -2 | tr '\n' ';' | sed 's/;$//; s/;/; /')
  sed -n '/^<!-- generated:start -->$/q;p' "$OUT/README.md" 2>/dev/null || true
  echo '<!-- generated:start -->'
  echo
  echo "Generated by \`bash test/oracles/refresh.sh\`."
  echo
  echo "- tshark: \`$tshark_v\`"
  echo "- tcpdump: \`$tcpdump_v\`"
  echo
  echo 'tshark command, per capture (`<name>.tshark.tsv`):'
  echo
  echo '```'
  echo "tshark -r FILE ${TSHARK_ARGS[*]}"
  echo '```'
  echo
  echo 'tcpdump command, per capture (`<name>.tcpdump.txt`; its stderr appended as `#stderr` lines):'
  echo
  echo '```'
  echo "TZ=UTC tcpdump ${TCPDUMP_ARGS[*]} -r - < FILE"
  echo '```'
  echo
  echo 'Captures (`index.tsv`):'
  echo
  echo '| name | source | frames |'
  echo '|---|---|---|'
  tail -n +2 "$OUT/index.tsv" | while IFS=$'\t' read -r n s _ fr; do echo "| $n | \`$s\` | $fr |"; done
} >"$TMP/README.md"
mv "$TMP/README.md" "$OUT/README.md"
