#!/usr/bin/env bash
# Record real MPTCP captures made by the Linux kernel's own MPTCP stack.
#
#   sudo bash captures/make-captures.sh                 # every scenario
#   sudo bash captures/make-captures.sh v1-checksum ... # only these
#   bash captures/make-captures.sh --list               # scenario names
#
# Two network namespaces, "mpc" (client) and "mps" (server), are joined by
# 1-4 veth pairs (path i: 10.0.i.1 <-> 10.0.i.2, or fd00:i::1 <-> fd00:i::2),
# each rate-limited with tbf so a transfer lasts about a second and every
# subflow carries data.  captures/tools/mptcp_app.py moves a seeded
# pseudo-random payload each way and records byte counts and sha256 on both
# sides.  Captures are taken on the client's interfaces (tcpdump, one per
# interface, merged with mergecap into one Ethernet pcap; or dumpcap for
# pcapng; or tcpdump -i any), filtered to TCP.  Every capture gets a
# <name>.meta.json written by captures/tools/write_meta.py, which also checks
# with tshark that the capture shows what it is named for.
#
# Needs: root, iproute2 (ip mptcp), ethtool, tc (tbf), nft, tcpdump, dumpcap,
# mergecap, capinfos, tshark, python3.  No traffic leaves the namespaces.
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS="$DIR/tools"
APP="$TOOLS/mptcp_app.py"
C=${MPC_NS:-mpc}             # namespace names (override to run beside another user of the defaults)
S=${MPS_NS:-mps}
PORT=5201
RATE=${RATE:-1mbit}          # per path, per direction
CBYTES=${CBYTES:-250000}     # client -> server payload
SBYTES=${SBYTES:-220000}     # server -> client payload
KERNEL=$(uname -r)
PY=${PYTHON:-python3}
TRIES=${TRIES:-3}

ALL_SCENARIOS=(v1-two-subflows v1-four-subflows-addaddr v1-checksum v1-ipv6 fallback fastclose
  mp-prio remove-addr two-interfaces small-snaplen lossy checksum-rewrite sll-any
  diag-clean diag-path-failure diag-path-failure-server diag-backup-failure diag-asymmetry diag-small-rcvbuf diag-app-limited)

if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then echo "must run as root (network namespaces)" >&2; exit 1; fi
for t in ip tc ethtool nft tcpdump dumpcap mergecap capinfos tshark "$PY"; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/mptcp-captures.XXXXXX)
BG=()          # background pids we started (captures, apps, relays)
STEPS=""       # per-scenario log of the exact commands

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

teardown() {
  local p
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
  BG=()
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
}
cleanup() { teardown; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Run and record a command (as it would be typed; $WORK shown as /tmp/work).
x() {
  [[ -n $STEPS ]] && printf '%s\n' "$*" | sed -e "s#$WORK#/tmp/work#g" -e "s#$DIR#captures#g" >>"$STEPS"
  "$@"
}
# Same, in the background; pid appended to BG and left in $LASTPID.
xbg() {
  [[ -n $STEPS ]] && printf '%s &\n' "$*" | sed -e "s#$WORK#/tmp/work#g" -e "s#$DIR#captures#g" >>"$STEPS"
  "$@" &
  LASTPID=$!
  BG+=("$LASTPID")
}
nsc() { x ip netns exec "$C" "$@"; }
nss() { x ip netns exec "$S" "$@"; }
forget() { local p=$1 q; local keep=(); for q in "${BG[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done; BG=("${keep[@]+"${keep[@]}"}"); }

wait_for() { # wait_for SECONDS CMD... : poll until CMD succeeds
  local t=$(( $1 * 20 )); shift
  while ! "$@" 2>/dev/null; do
    t=$((t - 1)); (( t > 0 )) || { echo "timeout waiting for: $*" >&2; return 1; }
    sleep 0.05
  done
}

# ---------------------------------------------------------------- topology
# topo NPATHS FAMILY(4|6) CHECKSUM(0|1) [TUNPATHS]
#   TUNPATHS: path numbers ("2" or "1 2") made of a TUN pair joined by
#   tools/tun_relay.py instead of a veth pair (link type RAW IP instead of
#   Ethernet); ${DELAY[i]} (ms, default 0) is the relay's one-way delay on
#   path i in each direction (no netem on this kernel).
FAM=4
declare -A DELAY=()
topo() {
  local n=$1 fam=$2 csum=$3 tunpaths=" ${4:-} " i ns dev
  FAM=$fam
  teardown
  x ip netns add "$C"
  x ip netns add "$S"
  for ns in "$C" "$S"; do
    x ip -n "$ns" link set lo up
    x ip netns exec "$ns" sysctl -q net.mptcp.enabled=1
    x ip netns exec "$ns" sysctl -q net.mptcp.checksum_enabled="$csum"
    x ip -n "$ns" mptcp limits set subflows 8 add_addr_accepted 8
    # TCP small queues: keep at most 16 KB per socket in the tbf queue, so the
    # rate limit throttles the sender instead of dropping its packets
    x ip netns exec "$ns" sysctl -q net.ipv4.tcp_limit_output_bytes=16384
    if [[ $fam == 4 ]]; then
      x ip netns exec "$ns" sysctl -q net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
  done
  for ((i = 1; i <= n; i++)); do
    if [[ $tunpaths == *" $i "* ]]; then
      x ip -n "$C" tuntap add mode tun name "t$i"
      x ip -n "$S" tuntap add mode tun name "t$i"
      local dl=${DELAY[$i]:-0} delay=()
      [[ $dl != 0 ]] && delay=(--delay-ab "$dl" --delay-ba "$dl")
      xbg "$PY" "$TOOLS/tun_relay.py" "$C" "t$i" "$S" "t$i" --ready "$WORK/relay$i.ready" "${delay[@]+"${delay[@]}"}"
      wait_for 10 test -e "$WORK/relay$i.ready"
      dev=t
    else
      x ip link add "c$i" netns "$C" type veth peer name "s$i" netns "$S"
      dev=""
    fi
    local cd=${dev:-c}$i sd=${dev:-s}$i
    if [[ $fam == 4 ]]; then
      x ip -n "$C" addr add "10.0.$i.1/24" dev "$cd"
      x ip -n "$S" addr add "10.0.$i.2/24" dev "$sd"
    else
      x ip -n "$C" addr add "fd00:$i::1/64" dev "$cd" nodad
      x ip -n "$S" addr add "fd00:$i::2/64" dev "$sd" nodad
    fi
    for ns in "$C" "$S"; do
      local d=$cd; [[ $ns == "$S" ]] && d=$sd
      # wire-sized packets: no segmentation/receive offloads, checksums in software
      if [[ -z $dev ]]; then
        x ip netns exec "$ns" ethtool -K "$d" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
          x ip netns exec "$ns" ethtool -K "$d" tso off gso off gro off
      fi
      # one MSS per skb already in the stack, so nftables (output hook) sees
      # the packets as they will be on the wire, not GSO super-packets
      x ip -n "$ns" link set dev "$d" gso_max_segs 1
      x ip -n "$ns" link set "$d" up
      x ip netns exec "$ns" tc qdisc replace dev "$d" root tbf rate "$RATE" burst 6kb limit 200kb
    done
    # default route per path (higher metric for later paths), so a subflow
    # bound to path i reaches the peer's other addresses through path i
    if [[ $fam == 4 ]]; then
      x ip -n "$C" route add default via "10.0.$i.2" dev "$cd" metric $((100 + i)) onlink
      x ip -n "$S" route add default via "10.0.$i.1" dev "$sd" metric $((100 + i)) onlink
    else
      x ip -n "$C" -6 route add default via "fd00:$i::2" dev "$cd" metric $((100 + i))
      x ip -n "$S" -6 route add default via "fd00:$i::1" dev "$sd" metric $((100 + i))
    fi
  done
}
caddr() { if [[ $FAM == 4 ]]; then echo "10.0.$1.1"; else echo "fd00:$1::1"; fi; }
saddr() { if [[ $FAM == 4 ]]; then echo "10.0.$1.2"; else echo "fd00:$1::2"; fi; }

# ---------------------------------------------------------------- capture
# cap_start MODE SNAPLEN IFACE...   MODE: pcap (tcpdump per iface, merged) |
#                                         pcapng (dumpcap, one file) | any
# Captures in the client namespace, or in $CAP_NS (the server's: interfaces s1..sN).
CAP_PIDS=(); CAP_LOGS=(); CAP_FILES=(); CAP_MODE=""
cap_start() {
  local mode=$1 snap=$2 i; shift 2
  CAP_PIDS=(); CAP_LOGS=(); CAP_FILES=(); CAP_MODE=$mode; CAP_SNAP=$snap
  case $mode in
    pcap|any)
      local ifs=("$@"); [[ $mode == any ]] && ifs=(any)
      for i in "${ifs[@]}"; do
        local lt=(); [[ $mode == any ]] && lt=(-y LINUX_SLL2)
        xbg ip netns exec "${CAP_NS:-$C}" tcpdump -n -i "$i" "${lt[@]+"${lt[@]}"}" -s "$snap" -B 32768 --immediate-mode -U -w "$WORK/cap-$i.pcap" tcp 2>"$WORK/cap-$i.log"
        CAP_PIDS+=("$LASTPID"); CAP_LOGS+=("$WORK/cap-$i.log"); CAP_FILES+=("$WORK/cap-$i.pcap")
      done
      for i in "${CAP_LOGS[@]}"; do wait_for 10 grep -q "listening on" "$i"; done
      ;;
    pcapng)
      local args=() 
      for i in "$@"; do args+=(-i "$i"); done
      xbg ip netns exec "$C" dumpcap -q -f tcp -s "$snap" "${args[@]}" -w "$WORK/cap.pcapng" 2>"$WORK/cap-dumpcap.log"
      CAP_PIDS+=("$LASTPID"); CAP_LOGS+=("$WORK/cap-dumpcap.log"); CAP_FILES+=("$WORK/cap.pcapng")
      wait_for 10 grep -q "Capturing on" "$WORK/cap-dumpcap.log"
      wait_for 10 test -s "$WORK/cap.pcapng"
      ;;
  esac
  sleep 0.5
}
# cap_stop OUTFILE : SIGINT the capturers, check 0 drops, write OUTFILE
cap_stop() {
  local out=$1 p l
  sleep 1.5   # let the last FIN/ACKs reach the capture (ring buffer timeout)
  [[ -n $STEPS ]] && echo "kill -INT <capture pids>" >>"$STEPS"
  for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; forget "$p"; done
  for l in "${CAP_LOGS[@]}"; do
    if [[ $CAP_MODE == pcapng ]]; then
      grep -E "Packets received/dropped" "$l" >&2 || { cat "$l" >&2; return 1; }
      if grep -E "Packets received/dropped" "$l" | grep -qvE ": [0-9]+/0 "; then
        echo "dumpcap dropped packets" >&2; return 1
      fi
    else
      grep -E "dropped by kernel" "$l" >&2 || { cat "$l" >&2; return 1; }
      grep -q "^0 packets dropped by kernel" "$l" || { echo "tcpdump dropped packets ($l)" >&2; return 1; }
    fi
  done
  rm -f "$out"
  if [[ $CAP_MODE == pcap && ${#CAP_FILES[@]} -gt 1 ]]; then
    local sn=(); [[ $CAP_SNAP != 0 ]] && sn=(-s "$CAP_SNAP")
    x mergecap -F pcap "${sn[@]+"${sn[@]}"}" -w "$out" "${CAP_FILES[@]}"
  else
    x cp "${CAP_FILES[0]}" "$out"
  fi
  chmod 644 "$out"
}

# ---------------------------------------------------------------- traffic
# app_server SEED [extra args]  (background; waits until listening)
app_server() {
  local seed=$1; shift
  local bind=0.0.0.0; [[ $FAM == 6 ]] && bind=::
  rm -f "$WORK/server.ready" "$WORK/server.json"
  xbg ip netns exec "$S" "$PY" "$APP" server --bind "$bind" --port "$PORT" --seed "$seed" --bytes "$SBYTES" \
    --peer-bytes "$CBYTES" --ready "$WORK/server.ready" --report "$WORK/server.json" "$@"
  SERVER_PID=$LASTPID
  wait_for 10 test -e "$WORK/server.ready"
}
# app_client SEED [extra args]  (background; pid in CLIENT_PID)
app_client() {
  local seed=$1; shift
  rm -f "$WORK/client.json"
  xbg ip netns exec "$C" "$PY" "$APP" client --connect "$(saddr 1)" --port "$PORT" --seed "$seed" \
    --bytes "$CBYTES" --peer-bytes "$SBYTES" --report "$WORK/client.json" "$@"
  CLIENT_PID=$LASTPID
}
app_wait() {
  local rc=0
  wait "$CLIENT_PID" || rc=$?; forget "$CLIENT_PID"
  wait "$SERVER_PID" || rc=$?; forget "$SERVER_PID"
  [[ $rc == 0 ]] || { echo "application failed (rc=$rc)" >&2; return 1; }
  test -s "$WORK/client.json" && test -s "$WORK/server.json"
}
# transfer SEED [client args] -- [server args]
transfer() {
  local seed=$1; shift
  local ca=() sa=() side=c a
  for a in "$@"; do
    if [[ $a == -- ]]; then side=s; continue; fi
    if [[ $side == c ]]; then ca+=("$a"); else sa+=("$a"); fi
  done
  app_server "$seed" "${sa[@]+"${sa[@]}"}"
  app_client "$seed" "${ca[@]+"${ca[@]}"}"
  app_wait
}

# ---------------------------------------------------------------- meta
environment() {
  local cc csum
  cc=$(ip netns exec "$C" sysctl -n net.ipv4.tcp_congestion_control)
  csum=$(ip netns exec "$C" sysctl -n net.mptcp.checksum_enabled)
  printf '{"tcp_congestion_control": "%s", "mptcp_checksum_enabled": %s, "path_rate": "%s", "qdisc": "tbf rate %s burst 6kb limit 200kb", "tcp_limit_output_bytes": 16384, "offloads": "tso/gso/gro/tx/rx off, gso_max_segs 1", "client_payload_bytes": %s, "server_payload_bytes": %s, "tools": "%s; %s; %s"}' \
    "$cc" "$csum" "$RATE" "$RATE" "$CBYTES" "$SBYTES" "$(ip -V 2>&1 | head -1)" "$(tcpdump --version 2>&1 | head -1)" \
    "$(tcpdump --version 2>&1 | sed -n 2p)"
}
# finish NAME FILE DESCRIPTION EXPECT_JSON CAPTURE_POINT [NOTES]   ($INDUCED: JSON list of induced events)
INDUCED=""
finish() {
  local name=$1 file=$2 desc=$3 expect=$4 point=$5 notes=${6:-}
  "$PY" "$TOOLS/write_meta.py" --capture "$DIR/$file" --name "$file" --description "$desc" \
    --command "sudo bash captures/make-captures.sh $name" --steps "$STEPS" --kernel "$KERNEL" \
    --client-report "$WORK/client.json" --server-report "$WORK/server.json" \
    --client-addr "$(caddr 1)" --server-addr "$(saddr 1)" --port "$PORT" \
    --expect "$expect" --capture-point "$point" --notes "$notes" --environment "$(environment)" \
    ${INDUCED:+--induced "$INDUCED"}
}
CP_CLIENT="client namespace (mpc), on every client interface (tcpdump per interface, merged by timestamp with mergecap into one Ethernet pcap), capture filter 'tcp'"

# ---------------------------------------------------------------- scenarios
sc_v1-two-subflows() {
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 0 c1 c2
  transfer 1
  cap_stop "$DIR/v1-two-subflows.pcap"
  finish v1-two-subflows v1-two-subflows.pcap \
    "MPTCP v1 between two namespaces over two paths: MP_CAPABLE on 10.0.1.1->10.0.1.2, the client's subflow endpoint 10.0.2.1 adds an MP_JOIN subflow; both subflows carry data in both directions; DATA_FIN close." \
    '{"subflows": 2, "subflows_with_data": 2, "mptcp_connections": 1, "fallback": false, "checksum": false, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "absent_subtypes": ["MP_FAIL", "MP_FASTCLOSE"], "ip_version": 4, "file_format": "pcap", "interfaces": 1, "linktypes": [1]}' \
    "$CP_CLIENT"
}

sc_v1-four-subflows-addaddr() {
  topo 4 4 0
  nss ip mptcp endpoint add "$(saddr 3)" dev s3 id 3 signal
  nss ip mptcp endpoint add "$(saddr 4)" dev s4 id 4 signal
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 0 c1 c2 c3 c4
  transfer 2
  cap_stop "$DIR/v1-four-subflows-addaddr.pcap"
  finish v1-four-subflows-addaddr v1-four-subflows-addaddr.pcap \
    "Four paths: the server announces 10.0.3.2 and 10.0.4.2 with ADD_ADDR (signal endpoints) and the client joins them; the client's subflow endpoint 10.0.2.1 adds one more subflow; data both ways on every subflow." \
    '{"subflows": 4, "subflows_with_data": 4, "mptcp_connections": 1, "fallback": false, "checksum": false, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS", "ADD_ADDR"], "ip_version": 4}' \
    "$CP_CLIENT"
}

sc_v1-checksum() {
  topo 2 4 1
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 0 c1 c2
  transfer 3
  cap_stop "$DIR/v1-checksum.pcap"
  finish v1-checksum v1-checksum.pcap \
    "Like v1-two-subflows but with net.mptcp.checksum_enabled=1 in both namespaces: MP_CAPABLE carries the checksum-required (A) flag and every DSS mapping carries a DSS checksum." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "checksum": true, "checksum_required_flag": true, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "absent_subtypes": ["MP_FAIL"], "ip_version": 4}' \
    "$CP_CLIENT"
}

sc_v1-ipv6() {
  topo 2 6 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 0 c1 c2
  transfer 4
  cap_stop "$DIR/v1-ipv6.pcap"
  finish v1-ipv6 v1-ipv6.pcap \
    "IPv6 only: MP_CAPABLE on fd00:1::1->fd00:1::2, MP_JOIN from the client's subflow endpoint fd00:2::1; both subflows carry data both ways." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "checksum": false, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 6}' \
    "$CP_CLIENT"
}

sc_fallback() {
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 0 c1 c2
  transfer 5 -- --tcp
  cap_stop "$DIR/fallback.pcap"
  finish fallback fallback.pcap \
    "The client opens an MPTCP socket and offers MP_CAPABLE; the server listens on a plain TCP socket, so its SYN/ACK has no MP_CAPABLE and the connection falls back to regular TCP. No MP_JOIN is attempted although the client has a subflow endpoint; data both ways." \
    '{"subflows": 1, "tcp_streams": 1, "fallback": true, "checksum": false, "complete": true, "subtypes": ["MP_CAPABLE"], "absent_subtypes": ["MP_JOIN", "DSS"], "ip_version": 4}' \
    "$CP_CLIENT"
}

sc_fastclose() {
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 0 c1 c2
  transfer 6 -- --abort-after-recv 100000 --abort-wait 0.5
  cap_stop "$DIR/fastclose.pcap"
  finish fastclose fastclose.pcap \
    "Two subflows; the server reads only the first 100000 bytes, sends its payload, then close()s with unread data in its receive queue: the kernel aborts the MPTCP connection with MP_FASTCLOSE and resets the subflows (MP_TCPRST). The transfer is incomplete by design." \
    '{"subflows": 2, "fallback": false, "checksum": false, "complete": false, "received_valid_prefix": true, "any_subtype": ["MP_FASTCLOSE", "MP_TCPRST"], "ip_version": 4}' \
    "$CP_CLIENT"
}

sc_mp-prio() {
  topo 3 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  nsc ip mptcp endpoint add "$(caddr 3)" dev c3 id 3 subflow backup
  cap_start pcap 0 c1 c2 c3
  rm -f "$WORK/mark" "$WORK/go"
  app_server 7 --mark-recv 60000 --mark-file "$WORK/mark"
  app_client 7
  wait_for 30 test -e "$WORK/mark"
  nsc ip mptcp endpoint change id 2 backup
  nsc ip mptcp endpoint change id 3 nobackup
  app_wait
  cap_stop "$DIR/mp-prio.pcap"
  finish mp-prio mp-prio.pcap \
    "Three paths: subflow endpoint 10.0.2.1 (normal) and 10.0.3.1 (created with the backup flag, so its MP_JOIN SYN has B=1). Once the server has received 60000 bytes (mid-transfer), 'ip mptcp endpoint change id 2 backup' and 'id 3 nobackup' make the kernel send MP_PRIO on those subflows, and the scheduler moves data accordingly." \
    '{"subflows": 3, "fallback": false, "checksum": false, "complete": true, "join_backup": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS", "MP_PRIO"], "ip_version": 4}' \
    "$CP_CLIENT"
}

sc_remove-addr() {
  topo 3 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  nsc ip mptcp endpoint add "$(caddr 3)" dev c3 id 3 subflow
  cap_start pcap 0 c1 c2 c3
  rm -f "$WORK/mark" "$WORK/go"
  app_server 8 --mark-recv 60000 --mark-file "$WORK/mark"
  app_client 8
  wait_for 30 test -e "$WORK/mark"
  nsc ip mptcp endpoint delete id 3
  app_wait
  cap_stop "$DIR/remove-addr.pcap"
  finish remove-addr remove-addr.pcap \
    "Three subflows (client subflow endpoints 10.0.2.1 id 2 and 10.0.3.1 id 3). Once the server has received 60000 bytes (mid-transfer), 'ip mptcp endpoint delete id 3' makes the client send REMOVE_ADDR (id 3) and close the 10.0.3.1 subflow; the transfer completes on the other two." \
    '{"subflows": 3, "fallback": false, "checksum": false, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS", "REMOVE_ADDR"], "ip_version": 4}' \
    "$CP_CLIENT"
}

sc_two-interfaces() {
  topo 2 4 0 2
  nsc ip mptcp endpoint add "$(caddr 2)" dev t2 id 2 subflow
  cap_start pcapng 0 c1 t2
  transfer 9
  cap_stop "$DIR/two-interfaces.pcapng"
  finish two-interfaces two-interfaces.pcapng \
    "pcapng with two interfaces of different link types: path 1 is a veth pair (Ethernet, IDB 0 = c1), path 2 is a pair of TUN devices joined by tools/tun_relay.py (raw IP, IDB 1 = t2). Two subflows, one per interface, data both ways." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "checksum": false, "complete": true, "file_format": "pcapng", "interfaces": 2, "linktypes": [1, 101], "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}' \
    "client namespace (mpc), dumpcap -i c1 -i t2 into one pcapng (one IDB per interface), capture filter 'tcp'"
}

sc_small-snaplen() {
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 96 c1 c2
  transfer 10
  cap_stop "$DIR/small-snaplen.pcap"
  finish small-snaplen small-snaplen.pcap \
    "Like v1-two-subflows but captured with snaplen 96 (tcpdump -s 96): headers and MPTCP options are complete, payloads are cut (caplen < len)." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "checksum": false, "complete": true, "snaplen": 96, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}' \
    "$CP_CLIENT, snaplen 96"
}

sc_lossy() {
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  # 5% random loss of payload-carrying packets (IP length > 100) on path 2,
  # both directions, dropped by the RECEIVING namespace in its prerouting
  # hook: the sender does not know (a drop in its own output hook would only
  # make TCP retry locally, never a wire loss). The client-side capture sees
  # every packet before the drop.
  nss nft add table inet lossy
  nss nft add chain inet lossy in '{ type filter hook prerouting priority -300; }'
  nss nft add rule inet lossy in iifname s2 ip length '>' 100 numgen random mod 20 == 0 counter drop
  nsc nft add table inet lossy
  nsc nft add chain inet lossy in '{ type filter hook prerouting priority -300; }'
  nsc nft add rule inet lossy in iifname c2 ip length '>' 100 numgen random mod 20 == 0 counter drop
  cap_start pcap 0 c1 c2
  transfer 11
  cap_stop "$DIR/lossy.pcap"
  { ip netns exec "$S" nft list table inet lossy; ip netns exec "$C" nft list table inet lossy; } | grep counter >&2 || true
  finish lossy lossy.pcap \
    "Two subflows; nftables drops ~5% (numgen random mod 20 == 0) of the packets with payload (ip length > 100) arriving on path 2, in both directions, in the prerouting hook of the receiving namespace. The client-side capture sees the packets BEFORE the drop: every dropped segment appears once as sent and again as a TCP retransmission (plus SACKs/dup-ACKs); the application data still arrives complete." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "checksum": false, "complete": true, "retransmissions": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}' \
    "$CP_CLIENT. Drops happen in nftables prerouting of the receiving namespace (mps for client->server, mpc for server->client), i.e. AFTER the client-side capture point in both directions (AF_PACKET taps before netfilter): dropped packets are in the capture, followed by their retransmissions."
}

sc_checksum-rewrite() {
  topo 2 4 1
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  # corrupt one payload byte (offset 1000 from the TCP header) of the first few
  # full-sized server->client segments on path 2, after the DSS checksum was
  # computed; the TCP checksum is computed later in software (tx off), so
  # only the DSS checksum can tell
  nss nft add table inet mangle
  nss nft add chain inet mangle out '{ type filter hook output priority 0; }'
  nss nft add rule inet mangle out oifname s2 ip length '>' 1200 quota until 3000 bytes counter @th,8000,8 set 0x41
  cap_start pcap 0 c1 c2
  transfer 12
  cap_stop "$DIR/checksum-rewrite.pcap"
  finish checksum-rewrite checksum-rewrite.pcap \
    "DSS checksums on; nftables in the server namespace overwrites one payload byte (TCP offset 1000 -> 0x41) in the first full-sized server->client segments on path 2. The client detects the DSS checksum mismatch and resets the joined subflow with RST + MP_FAIL + MP_TCPRST (reason 6, middlebox interference); the server reinjects the unacknowledged data on the first subflow, so the application data still arrives intact." \
    '{"subflows": 2, "fallback": false, "checksum": true, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS", "MP_FAIL", "MP_TCPRST"], "ip_version": 4}' \
    "$CP_CLIENT. The rewrite happens in the server's nftables output hook, so the client-side capture sees the rewritten bytes (what the receiver got)."
}

sc_sll-any() {
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start any 0
  transfer 13
  cap_stop "$DIR/sll-any.pcap"
  finish sll-any sll-any.pcap \
    "Two-subflow transfer captured with 'tcpdump -i any -y LINUX_SLL2' inside the client namespace: Linux cooked capture v2 link type (LINKTYPE_LINUX_SLL2 = 276, tcpdump's default for 'any'), which records the interface index of each packet; both interfaces in one pcap." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "checksum": false, "complete": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4, "file_format": "pcap", "linktypes": [276]}' \
    "client namespace (mpc), tcpdump -i any -y LINUX_SLL2 (Linux cooked capture), capture filter 'tcp'"
}

# ---------------------------------------------------------------- diagnosis scenarios
# Each makes one cause of a slow (or healthy) transfer happen for real and
# records when it was induced (meta.json "induced": wall-clock epoch and
# seconds since the capture's first packet), so tests can check that the
# diagnosis names that cause at that time. Captured headers-only (snaplen
# 128) to keep the files small.
CP_DIAG="$CP_CLIENT, snaplen 128 (headers and MPTCP options only)"
CP_DIAG_SERVER="server namespace (mps), on every server interface (tcpdump per interface, merged by timestamp with mergecap into one Ethernet pcap), capture filter 'tcp', snaplen 128 (headers and MPTCP options only)"
now_epoch() { date +%s.%N; }
# blackhole_prepare I / blackhole I: everything on path I is dropped, both
# ways, while the link stays up: the server drops what arrives on sI and the
# client drops what arrives on cI, both in prerouting, i.e. after the
# client-side capture point (the capture sees the client's segments sent into
# the void and the server's last segments before the client discards them).
blackhole_prepare() {
  local ns
  for ns in "$C" "$S"; do
    x ip netns exec "$ns" nft add table inet cut
    x ip netns exec "$ns" nft add chain inet cut in '{ type filter hook prerouting priority -300; }'
  done
}
blackhole() {
  nss nft add rule inet cut in iifname "s$1" counter drop
  nsc nft add rule inet cut in iifname "c$1" counter drop
}

sc_diag-clean() {
  RATE=2mbit CBYTES=200000 SBYTES=200000
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 128 c1 c2
  transfer 21
  cap_stop "$DIR/diag-clean.pcap"
  finish diag-clean diag-clean.pcap \
    "Diagnosis reference: two healthy paths (2 Mbit/s each, no loss, no added delay), 200000 bytes each way over two subflows. Nothing is wrong: the diagnosis must raise no warning." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "complete": true, "snaplen": 128, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}' \
    "$CP_DIAG"
}

# diag_failure NAME SEED CUT_PATH BACKUP(0|1) DESCRIPTION EXPECT: path 2 joins
# (as backup when BACKUP=1); once the server has 100000 of the client's
# 300000 bytes, everything on path CUT_PATH is dropped (link up)
diag_failure() {
  local name=$1 seed=$2 cut=$3 backup=$4 desc=$5 expect=$6 side=${7:-client} flag=() ifs=(c1 c2) point=$CP_DIAG
  if [[ $side == server ]]; then CAP_NS=$S ifs=(s1 s2) point=$CP_DIAG_SERVER; fi
  CBYTES=300000 SBYTES=60000
  topo 2 4 0
  [[ $backup == 1 ]] && flag=(backup)
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow "${flag[@]+"${flag[@]}"}"
  blackhole_prepare
  cap_start pcap 128 "${ifs[@]}"
  rm -f "$WORK/mark"
  app_server "$seed" --mark-recv 100000 --mark-file "$WORK/mark"
  app_client "$seed"
  wait_for 30 test -e "$WORK/mark"
  local before; before=$(now_epoch)
  blackhole "$cut"
  # epochBefore: before the first rule (the server side) took effect; epoch: after both
  INDUCED="[{\"type\": \"path-blackhole\", \"path\": $cut, \"client\": \"$(caddr "$cut")\", \"epochBefore\": $before, \"epoch\": $(now_epoch)}]"
  app_wait
  cap_stop "$DIR/$name.pcap"
  local note="the client's segments on path $cut are captured, then lost"
  [[ $side == server ]] && note="the client's segments on path $cut arrive at the server's capture and are dropped after it"
  finish "$name" "$name.pcap" "$desc" "$expect" \
    "$point. The drops are in prerouting of the receiving namespace, after the capture point: $note."
  CAP_NS=""
}

sc_diag-path-failure() {
  diag_failure diag-path-failure 22 2 0 \
    "Path failure: two subflows (1 Mbit/s per path); once the server has received 100000 of the client's 300000 bytes, nftables drops everything on path 2 (10.0.2.1 <-> 10.0.2.2) in both namespaces' prerouting hooks while the link stays up. Subflow 1 goes silent (RTO retransmissions without ACKs), its data is reinjected on subflow 0 and the transfer completes there. meta 'induced' holds the moment of the cut." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "complete": true, "snaplen": 128, "retransmissions": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}'
}

sc_diag-path-failure-server() {
  diag_failure diag-path-failure-server 27 2 0 \
    "Path failure seen from the server: as diag-path-failure, captured on the server's interfaces (s1, s2). Once the server has received 100000 of the client's 300000 bytes, nftables drops everything on path 2 in both namespaces' prerouting hooks (link up). The capture sees the client's segments on subflow 1 arrive and never acknowledged; the data is reinjected on subflow 0. meta 'induced' holds the moment of the cut." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "complete": true, "snaplen": 128, "retransmissions": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}' \
    server
}

sc_diag-backup-failure() {
  diag_failure diag-backup-failure 23 1 1 \
    "Backup path failure: the initial subflow on path 1 carries the data, a second subflow on path 2 joins as backup (MP_JOIN B=1, endpoint flag backup). Once the server has received 100000 of 300000 bytes, nftables drops everything on path 1 (link up); the data moves to the backup subflow. meta 'induced' holds the moment of the cut." \
    '{"subflows": 2, "fallback": false, "complete": true, "snaplen": 128, "join_backup": true, "retransmissions": true, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}'
}

sc_diag-asymmetry() {
  # 4 Mbit/s per path: the 16 KB of TCP small queues add ~30 ms, small beside
  # 150 ms; the server sends for as long as the client, so the slow join
  # (about 0.3 s) completes while both directions are still open
  RATE=4mbit CBYTES=400000 SBYTES=400000
  DELAY=([1]=5 [2]=150)
  topo 2 4 0 "1 2"
  nsc ip mptcp endpoint add "$(caddr 2)" dev t2 id 2 subflow
  cap_start pcap 128 t1 t2
  INDUCED="[{\"type\": \"one-way-delay\", \"path\": 1, \"ms\": 5, \"epoch\": $(now_epoch)}, {\"type\": \"one-way-delay\", \"path\": 2, \"ms\": 150, \"epoch\": $(now_epoch)}]"
  transfer 24
  cap_stop "$DIR/diag-asymmetry.pcap"
  finish diag-asymmetry diag-asymmetry.pcap \
    "Path asymmetry: both paths are TUN pairs joined by tools/tun_relay.py, path 1 with 5 ms and path 2 with 150 ms one-way delay in each direction (4 Mbit/s each). Each side sends 400000 bytes over both subflows; in-order delivery waits for segments on the slow subflow (head-of-line blocking)." \
    '{"subflows": 2, "subflows_with_data": 2, "fallback": false, "complete": true, "snaplen": 128, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4, "linktypes": [101]}' \
    "client namespace, tcpdump on t1 and t2 (raw IP), merged with mergecap; snaplen 128. The delay is added by the relay between the namespaces, after the capture point."
}

sc_diag-small-rcvbuf() {
  RATE=20mbit CBYTES=300000 SBYTES=20000
  DELAY=([1]=40)
  topo 1 4 0 "1"
  # small receive buffers at the server (the data receiver): the window, not
  # the 20 Mbit/s path, limits the transfer (80 ms RTT)
  nss sysctl -q net.ipv4.tcp_rmem="4096 16384 16384"
  cap_start pcap 128 t1
  INDUCED="[{\"type\": \"receiver-buffer\", \"tcp_rmem\": \"4096 16384 16384\", \"side\": \"server\", \"epoch\": $(now_epoch)}]"
  transfer 25 -- --rcvbuf 16384
  cap_stop "$DIR/diag-small-rcvbuf.pcap"
  finish diag-small-rcvbuf diag-small-rcvbuf.pcap \
    "Small receiver buffers on a long fast path: one path (a TUN pair, 40 ms one-way delay each way, 20 Mbit/s); the server namespace has net.ipv4.tcp_rmem='4096 16384 16384' and the server socket SO_RCVBUF 16384. The client's 300000 bytes are limited by the data-level receive window, not by the path." \
    '{"subflows": 1, "fallback": false, "complete": true, "snaplen": 128, "subtypes": ["MP_CAPABLE", "DSS"], "ip_version": 4, "linktypes": [101]}' \
    "client namespace, tcpdump on t1 (raw IP), snaplen 128."
}

sc_diag-app-limited() {
  RATE=2mbit CBYTES=160000 SBYTES=20000
  topo 2 4 0
  nsc ip mptcp endpoint add "$(caddr 2)" dev c2 id 2 subflow
  cap_start pcap 128 c1 c2
  INDUCED="[{\"type\": \"sender-bursts\", \"side\": \"client\", \"burstBytes\": 16000, \"pauseSeconds\": 0.4, \"epoch\": $(now_epoch)}]"
  transfer 26 --burst 16000 --pause 0.4
  cap_stop "$DIR/diag-app-limited.pcap"
  finish diag-app-limited diag-app-limited.pcap \
    "Application-limited sender: the client sends its 160000 bytes in bursts of 16000 bytes with 0.4 s pauses (mptcp_app.py --burst 16000 --pause 0.4) over two healthy 2 Mbit/s paths; the network is never the bottleneck." \
    '{"subflows": 2, "fallback": false, "complete": true, "snaplen": 128, "subtypes": ["MP_CAPABLE", "MP_JOIN", "DSS"], "ip_version": 4}' \
    "$CP_DIAG"
}

# ---------------------------------------------------------------- main
# (sourcing the file only defines the functions, for debugging)
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then trap - EXIT INT TERM HUP; return 0; fi
todo=("$@"); [[ ${#todo[@]} -eq 0 ]] && todo=("${ALL_SCENARIOS[@]}")
failed=()
for name in "${todo[@]}"; do
  name=${name%.pcap}; name=${name%.pcapng}
  declare -F "sc_$name" >/dev/null || { echo "unknown scenario: $name (try --list)" >&2; exit 2; }
done
for name in "${todo[@]}"; do
  name=${name%.pcap}; name=${name%.pcapng}
  # real traffic has some randomness (keys, timing, random drops): a scenario
  # whose checks fail is tried again, up to $TRIES times
  for ((try = 1; try <= TRIES; try++)); do
    log "$name (try $try)"
    STEPS="$WORK/steps-$name.txt"; : >"$STEPS"
    set +e
    ( set -e; trap teardown EXIT; trap 'exit 130' INT TERM HUP; "sc_$name" )
    rc=$?
    set -e
    ((rc == 0)) && break
    ((rc == 130)) && exit 130
    echo "scenario $name failed (rc=$rc)" >&2
  done
  ((rc == 0)) || failed+=("$name")
  STEPS=""
  teardown
done
if ((${#failed[@]})); then echo "FAILED: ${failed[*]}" >&2; exit 1; fi
log "done: ${todo[*]}"
