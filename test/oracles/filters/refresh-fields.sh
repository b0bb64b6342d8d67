#!/usr/bin/env bash
# Writes tshark's -T fields output for the fields of FIELDS over every capture of test/oracles/index.tsv:
#   fields/<capture name with / as __>.tsv
# for test/filter-oracle.test.ts, which prints the same with `mptcpscope dissect -T fields` and compares.
# Re-runnable; needs tshark. TZ=UTC for frame.time.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
command -v tshark >/dev/null || { echo "missing tool: tshark" >&2; exit 1; }
export TZ=UTC
FIELDS=(
  frame.number frame.time frame.time_epoch frame.time_relative frame.time_delta frame.len frame.cap_len frame.interface_id
  eth.src eth.dst eth.type sll.pkttype sll.hatype sll.halen sll.src.eth sll.etype
  ip.version ip.hdr_len ip.dsfield ip.len ip.id ip.flags ip.flags.df ip.frag_offset ip.ttl ip.proto ip.checksum ip.src ip.dst ip.addr
  ipv6.version ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst ipv6.addr
  tcp.stream tcp.srcport tcp.dstport tcp.port tcp.seq tcp.seq_raw tcp.nxtseq tcp.ack tcp.ack_raw tcp.len tcp.hdr_len
  tcp.flags tcp.flags.str tcp.flags.syn tcp.flags.ack tcp.flags.fin tcp.flags.reset tcp.flags.ae
  tcp.window_size_value tcp.window_size tcp.window_size_scalefactor tcp.checksum tcp.urgent_pointer
  tcp.option_kind tcp.option_len tcp.options.mss_val tcp.options.wscale.shift tcp.options.wscale.multiplier
  tcp.options.timestamp.tsval tcp.options.timestamp.tsecr tcp.options.sack_le tcp.options.sack_re tcp.options.sack.count
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
  tcp.options.mptcp.datalvllen
  tcp.options.mptcp.ipver tcp.options.mptcp.echo
  tcp.options.mptcp.ipv4 tcp.options.mptcp.ipv6 tcp.options.mptcp.port
  tcp.options.mptcp.addaddrtrunchmac
  mptcp.rm_addr.count mptcp.expected_token mptcp.expected_idsn
)
ARGS=(-n -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, -E quote=n)
for f in "${FIELDS[@]}"; do ARGS+=(-e "$f"); done
mkdir -p "$HERE/fields"
{
  echo "# $(tshark -v 2>/dev/null | head -1)"
  echo "# TZ=UTC tshark -r CAPTURE ${ARGS[*]}"
} >"$HERE/fields/COMMAND.txt"
while IFS=$'\t' read -r name source _sum _frames; do
  [[ $name == name ]] && continue
  [[ -f $source ]] || { echo "skipping $name: $source not found" >&2; continue; }
  tshark -r "$source" "${ARGS[@]}" 2>/dev/null >"$HERE/fields/${name//\//__}.tsv"
done <"$ROOT/test/oracles/index.tsv"
echo "wrote $(ls "$HERE/fields" | wc -l) files to $HERE/fields"
