#!/usr/bin/env bash
# Record PAIRS of captures of the same MPTCP traffic at two vantage points, for `mptcpscope compare`.
#
#   bash captures/make-compare-captures.sh              # every scenario (as root)
#   bash captures/make-compare-captures.sh delays nat   # only these
#   bash captures/make-compare-captures.sh --list
#
# Three network namespaces: client "h15c", router "h15r", server "h15s", and two paths:
#
#   path i:  h15c c<i> 10.<i>.0.1 --veth-- 10.<i>.0.254 r<i> h15r t<i> 10.1<i>.0.254 ==TUN relay== t<i> 10.1<i>.0.2 h15s
#
# The router forwards between a veth (client side) and a TUN device; tools/tun_relay.py joins the router's
# TUN to the server's TUN and holds packets for a fixed one-way delay per direction (this kernel has no netem).
# The client connects to 10.11.0.2 (path 1); the server announces 10.12.0.2 (ADD_ADDR, signal endpoint) and the
# client joins it over path 2 (scenario ipv6: the same plan in fd00:: addresses, see a_client and the others
# below). What the network does to the traffic (delay, nftables drops, NAT, option
# stripping, payload rewriting) happens between the two capture points:
#   A = <scenario>-a.pcap: client namespace, on c1 and c2 (Ethernet), merged with mergecap;
#   B = <scenario>-b.pcap: server namespace, on t1 and t2 (raw IP), merged with mergecap.
# captures/compare/<scenario>.meta.json records the settings and what the router counted.
#
# Needs: root, iproute2 (ip mptcp), ethtool, tc, nft, tcpdump, mergecap, tshark, python3.
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT="$DIR/compare"
TOOLS="$DIR/tools"
APP="$TOOLS/mptcp_app.py"
C=h15c
R=h15r
S=h15s
PY=${PYTHON:-python3}
KERNEL=$(uname -r)
RATE=${RATE:-8mbit}
ALL_SCENARIOS=(delays loss nat optstrip payload reseq ipv6)

if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then echo "must run as root (network namespaces)" >&2; exit 1; fi
for t in ip tc ethtool nft tcpdump mergecap tshark "$PY"; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/h15-compare.XXXXXX)
BG=()
STEPS=""

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
teardown() {
  local p
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
  BG=()
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$R" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
}
trap 'teardown; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM HUP

# Run and record a command (as typed; the work folder shown as /tmp/work).
x() {
  [[ -n $STEPS ]] && printf '%s\n' "$*" | sed -e "s#$WORK#/tmp/work#g" -e "s#$DIR#captures#g" >>"$STEPS"
  "$@"
}
xbg() {
  [[ -n $STEPS ]] && printf '%s &\n' "$*" | sed -e "s#$WORK#/tmp/work#g" -e "s#$DIR#captures#g" >>"$STEPS"
  "$@" &
  LASTPID=$!
  BG+=("$LASTPID")
}
forget() { local p=$1 q; local keep=(); for q in "${BG[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done; BG=("${keep[@]+"${keep[@]}"}"); }
wait_for() {
  local t=$(( $1 * 20 )); shift
  while ! "$@" 2>/dev/null; do
    t=$((t - 1)); (( t > 0 )) || { echo "timeout waiting for: $*" >&2; return 1; }
    sleep 0.05
  done
}

# Addresses of path i: client, router (client side), router (server side), server; FAM=6 gives the IPv6 plan
# fd00:i::1 / fd00:i::fe / fd00:1i::fe / fd00:1i::2 (the ipv6 scenario), FAM=4 (the rest) 10.i.0.1 / 10.i.0.254 /
# 10.1i.0.254 / 10.1i.0.2.
FAM=4
a_client() { if [[ $FAM == 6 ]]; then echo "fd00:$1::1"; else echo "10.$1.0.1"; fi; }
a_rclient() { if [[ $FAM == 6 ]]; then echo "fd00:$1::fe"; else echo "10.$1.0.254"; fi; }
a_rserver() { if [[ $FAM == 6 ]]; then echo "fd00:1$1::fe"; else echo "10.1$1.0.254"; fi; }
a_server() { if [[ $FAM == 6 ]]; then echo "fd00:1$1::2"; else echo "10.1$1.0.2"; fi; }
net_client() { if [[ $FAM == 6 ]]; then echo "fd00:$1::/64"; else echo "10.$1.0.0/24"; fi; }
net_server() { if [[ $FAM == 6 ]]; then echo "fd00:1$1::/64"; else echo "10.1$1.0.0/24"; fi; }
plen() { if [[ $FAM == 6 ]]; then echo 64; else echo 24; fi; }
# IPv6 addresses skip duplicate address detection: they are usable at once.
addr_opts() { if [[ $FAM == 6 ]]; then echo nodad; fi; }

# topo CHECKSUM DELAY1_C2S DELAY1_S2C DELAY2_C2S DELAY2_S2C [relay 2 extra args...]
topo() {
  local csum=$1 d1ab=$2 d1ba=$3 d2ab=$4 d2ba=$5 i ns; shift 5
  teardown
  for ns in "$C" "$R" "$S"; do
    x ip netns add "$ns"
    x ip -n "$ns" link set lo up
    local v6off=1; [[ $FAM == 6 ]] && v6off=0
    x ip netns exec "$ns" sysctl -q net.ipv6.conf.all.disable_ipv6=$v6off net.ipv6.conf.default.disable_ipv6=$v6off
    x ip netns exec "$ns" sysctl -q net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  x ip netns exec "$R" sysctl -q net.ipv4.ip_forward=1
  [[ $FAM == 6 ]] && x ip netns exec "$R" sysctl -q net.ipv6.conf.all.forwarding=1
  for ns in "$C" "$S"; do
    x ip netns exec "$ns" sysctl -q net.mptcp.enabled=1 net.mptcp.checksum_enabled="$csum"
    x ip -n "$ns" mptcp limits set subflows 8 add_addr_accepted 8
    x ip netns exec "$ns" sysctl -q net.ipv4.tcp_limit_output_bytes=16384
  done
  for i in 1 2; do
    x ip link add "c$i" netns "$C" type veth peer name "r$i" netns "$R"
    x ip -n "$C" addr add "$(a_client $i)/$(plen)" dev "c$i" $(addr_opts)
    x ip -n "$R" addr add "$(a_rclient $i)/$(plen)" dev "r$i" $(addr_opts)
    for ns in "$C" "$R"; do
      local d=c$i; [[ $ns == "$R" ]] && d=r$i
      # wire-sized packets: no segmentation or receive offloads on the veth pair
      x ip netns exec "$ns" ethtool -K "$d" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
        x ip netns exec "$ns" ethtool -K "$d" tso off gso off gro off >/dev/null
      x ip -n "$ns" link set "$d" up
    done
    x ip -n "$C" link set dev "c$i" gso_max_segs 1
    x ip -n "$R" tuntap add mode tun name "t$i"
    x ip -n "$S" tuntap add mode tun name "t$i"
    local extra=() dab=$d1ab dba=$d1ba
    if [[ $i == 2 ]]; then dab=$d2ab; dba=$d2ba; extra=("$@"); fi
    rm -f "$WORK/relay$i.ready"
    xbg "$PY" "$TOOLS/tun_relay.py" "$R" "t$i" "$S" "t$i" --ready "$WORK/relay$i.ready" --delay-ab "$dab" --delay-ba "$dba" "${extra[@]+"${extra[@]}"}"
    wait_for 10 test -e "$WORK/relay$i.ready"
    x ip -n "$R" addr add "$(a_rserver $i)/$(plen)" dev "t$i" $(addr_opts)
    x ip -n "$S" addr add "$(a_server $i)/$(plen)" dev "t$i" $(addr_opts)
    x ip -n "$R" link set "t$i" up
    x ip -n "$S" link set "t$i" up
    # pace each sender on its own host (TCP small queues then throttle it, nothing is dropped in between)
    x ip netns exec "$C" tc qdisc replace dev "c$i" root tbf rate "$RATE" burst 6kb limit 200kb
    x ip netns exec "$S" tc qdisc replace dev "t$i" root tbf rate "$RATE" burst 6kb limit 200kb
    x ip -n "$C" route add "$(net_server $i)" via "$(a_rclient $i)" dev "c$i"
    x ip -n "$S" route add "$(net_client $i)" dev "t$i"
  done
}

# cap_start SNAPLEN: tcpdump on c1, c2 in the client namespace (A) and t1, t2 in the server namespace (B)
CAP_PIDS=(); CAP_LOGS=()
cap_start() {
  local snap=$1 ns i f
  CAP_PIDS=(); CAP_LOGS=()
  for f in c1 c2 t1 t2; do
    ns=$C; [[ $f == t* ]] && ns=$S
    xbg ip netns exec "$ns" tcpdump -n -i "$f" -s "$snap" -B 32768 --immediate-mode -U -w "$WORK/cap-$f.pcap" tcp 2>"$WORK/cap-$f.log"
    CAP_PIDS+=("$LASTPID"); CAP_LOGS+=("$WORK/cap-$f.log")
  done
  for i in "${CAP_LOGS[@]}"; do wait_for 10 grep -q "listening on" "$i"; done
  sleep 0.3
}
# cap_stop NAME: stop the captures, check they dropped nothing, merge into NAME-a.pcap and NAME-b.pcap
cap_stop() {
  local name=$1 p l
  sleep 1
  [[ -n $STEPS ]] && echo "kill -INT <capture pids>" >>"$STEPS"
  for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; forget "$p"; done
  for l in "${CAP_LOGS[@]}"; do
    grep -q "^0 packets dropped by kernel" "$l" || { cat "$l" >&2; echo "tcpdump dropped packets ($l)" >&2; return 1; }
  done
  rm -f "$OUT/$name-a.pcap" "$OUT/$name-b.pcap"
  x mergecap -F pcap -w "$OUT/$name-a.pcap" "$WORK/cap-c1.pcap" "$WORK/cap-c2.pcap"
  x mergecap -F pcap -w "$OUT/$name-b.pcap" "$WORK/cap-t1.pcap" "$WORK/cap-t2.pcap"
  chmod 644 "$OUT/$name-a.pcap" "$OUT/$name-b.pcap"
}

# transfer PORT SEED CBYTES SBYTES : one app server and client, in the background; waited by transfers_wait.
# Both send their first 8000 bytes, then hold until go_when_joined: the kernel refuses an MP_JOIN once the
# connection is closing, and the applications would otherwise hand all their data over and shut down at once.
APP_PIDS=()
transfer() {
  local port=$1 seed=$2 cb=$3 sb=$4
  rm -f "$WORK/server$port.ready" "$WORK/go$port" "$WORK/mark"*"$port"
  local any=0.0.0.0; [[ $FAM == 6 ]] && any=::
  xbg ip netns exec "$S" "$PY" "$APP" server --bind "$any" --port "$port" --seed "$seed" --bytes "$sb" \
    --peer-bytes "$cb" --ready "$WORK/server$port.ready" --report "$WORK/server$port.json" \
    --mark-at 8000 --mark-file "$WORK/marks$port" --hold-file "$WORK/go$port"
  APP_PIDS+=("$LASTPID")
  wait_for 10 test -e "$WORK/server$port.ready"
  xbg ip netns exec "$C" "$PY" "$APP" client --connect "$(a_server 1)" --port "$port" --seed "$seed" \
    --bytes "$cb" --peer-bytes "$sb" --report "$WORK/client$port.json" \
    --mark-at 8000 --mark-file "$WORK/markc$port" --hold-file "$WORK/go$port"
  APP_PIDS+=("$LASTPID")
}
# (ss prints IPv6 peers in brackets, and its dst filter does not take them: match the printed peer instead)
joined() {
  local peer="$(a_server 2):"; [[ $FAM == 6 ]] && peer="[$(a_server 2)]:"
  ip netns exec "$C" ss -tnH state established | grep -qF " $peer"
}
# go_when_joined PORT [NOJOIN]: once both sides hold (and the path-2 subflow is up), let them send the rest
go_when_joined() {
  local port=$1
  wait_for 10 test -e "$WORK/markc$port"
  wait_for 10 test -e "$WORK/marks$port"
  [[ ${2:-} == nojoin ]] || wait_for 5 joined
  sleep 0.1
  x touch "$WORK/go$port"
}
transfers_wait() {
  local p rc=0
  for p in "${APP_PIDS[@]}"; do wait "$p" || rc=$?; forget "$p"; done
  APP_PIDS=()
  [[ $rc == 0 ]] || { echo "application failed (rc=$rc)" >&2; return 1; }
}
mptcp_endpoints() {
  # the server announces its path-2 address; the client joins it over path 2
  x ip -n "$S" mptcp endpoint add "$(a_server 2)" dev t2 id 2 signal
}

# meta NAME DESCRIPTION SETTINGS_JSON [ports...]: writes captures/compare/NAME.meta.json
meta() {
  local name=$1 desc=$2 settings=$3; shift 3
  local topology i
  topology=$(for i in 1 2; do printf '"path%s": {"client": "%s", "router_client_side": "%s", "router_server_side": "%s", "server": "%s"}' "$i" "$(a_client $i)" "$(a_rclient $i)" "$(a_rserver $i)" "$(a_server $i)"; if [[ $i == 1 ]]; then printf ', '; fi; done)
  "$PY" - "$OUT/$name.meta.json" "$name" "$desc" "$settings" "$KERNEL" "$STEPS" "$WORK" "{$topology}" "$@" <<'EOF'
import json, subprocess, sys
out, name, desc, settings, kernel, steps, work, topology, *ports = sys.argv[1:]
apps = {}
for port in ports:
    apps[port] = {side: json.load(open(f"{work}/{side}{port}.json")) for side in ("client", "server")}
def count(f):
    return int(subprocess.run(["tshark", "-r", f, "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, check=True).stdout.count("\n"))
meta = {
    "name": name,
    "description": desc,
    "command": f"bash captures/make-compare-captures.sh {name}",
    "kernel": kernel,
    "a": {"file": f"{name}-a.pcap", "capture_point": "client namespace h15c, tcpdump on c1 and c2 (client side of the router), merged with mergecap", "packets": count(f"{out.rsplit('/', 1)[0]}/{name}-a.pcap")},
    "b": {"file": f"{name}-b.pcap", "capture_point": "server namespace h15s, tcpdump on t1 and t2 (server side of the router and the delaying relay), merged with mergecap", "packets": count(f"{out.rsplit('/', 1)[0]}/{name}-b.pcap")},
    "topology": json.loads(topology),
    "settings": json.loads(settings),
    "applications": apps,
    "steps": open(steps).read().splitlines(),
}
json.dump(meta, open(out, "w"), indent=1)
open(out, "a").write("\n")
EOF
}
# router_rule TABLE COUNTER PRIORITY RULE...: a rule in a forward-hook chain of the router, with a named counter
router_rule() {
  local table=$1 counter=$2 prio=$3; shift 3
  x ip netns exec "$R" nft add table inet "$table"
  x ip netns exec "$R" nft add counter inet "$table" "$counter"
  x ip netns exec "$R" nft add chain inet "$table" fw "{ type filter hook forward priority $prio; }"
  x ip netns exec "$R" nft add rule inet "$table" fw "$@"
}
nft_counter() { # nft_counter NS FAMILY TABLE COUNTER -> packets
  ip netns exec "$1" nft -j list counter "$2" "$3" "$4" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)["nftables"]; print([x["counter"]["packets"] for x in d if "counter" in x][0])'
}

# ---------------------------------------------------------------- scenarios
sc_delays() {
  topo 0 20 5 8 12
  mptcp_endpoints
  cap_start 0
  transfer 5201 21 120000 120000
  go_when_joined 5201
  transfers_wait
  cap_stop delays
  meta delays "Fixed one-way delays per path and direction, made by the TUN relay between router and server: path 1 c2s 20 ms, s2c 5 ms; path 2 c2s 8 ms, s2c 12 ms. Two subflows (MP_CAPABLE on path 1, MP_JOIN to the ADD_ADDR-announced 10.12.0.2 on path 2), data both ways." \
    '{"delay_ms": {"path1": {"c2s": 20, "s2c": 5}, "path2": {"c2s": 8, "s2c": 12}}, "checksum": false, "rate": "'"$RATE"'"}' 5201
}

sc_loss() {
  topo 0 2 2 2 2
  mptcp_endpoints
  # random loss on path 2, client to server, in the router: a named counter counts every drop
  router_rule h15loss dropped 0 iifname r2 oifname t2 ip length '>' 100 numgen random mod 12 == 0 counter name dropped drop
  cap_start 128
  transfer 5201 22 400000 100000
  go_when_joined 5201
  transfers_wait
  cap_stop loss
  local dropped
  dropped=$(nft_counter "$R" inet h15loss dropped)
  x ip netns exec "$R" nft list table inet h15loss
  meta loss "Random loss on path 2, client to server: the router's forward hook drops 1 in 12 packets with payload (ip length > 100, numgen random mod 12 == 0) and counts them in the named nftables counter 'dropped'. 2 ms each way on both paths. Headers only: both captures have snaplen 128." \
    '{"delay_ms": {"path1": {"c2s": 2, "s2c": 2}, "path2": {"c2s": 2, "s2c": 2}}, "snaplen": 128, "loss": {"path": 2, "direction": "c2s", "rule": "iifname r2 oifname t2 ip length > 100 numgen random mod 12 == 0 counter name dropped drop", "counter": "inet h15loss dropped", "dropped_packets": '"$dropped"'}}' 5201
}

sc_nat() {
  topo 0 3 3 3 3
  mptcp_endpoints
  x ip netns exec "$R" nft add table ip h15nat
  x ip netns exec "$R" nft add chain ip h15nat post '{ type nat hook postrouting priority 100; }'
  x ip netns exec "$R" nft add rule ip h15nat post oifname t2 masquerade random
  x ip netns exec "$R" sysctl -q net.netfilter.nf_conntrack_tcp_loose=1 || true
  cap_start 0
  transfer 5201 23 100000 100000
  go_when_joined 5201
  transfers_wait
  # the translations conntrack made, as the router saw them
  ip netns exec "$R" cat /proc/net/nf_conntrack 2>/dev/null >"$WORK/conntrack.txt" || true
  cap_stop nat
  local tuples
  tuples=$("$PY" -c 'import json,sys; print(json.dumps([l.split() for l in open(sys.argv[1]) if "10.12.0.254" in l]))' "$WORK/conntrack.txt")
  meta nat "Path 2 is NATed by the router: nft 'oifname t2 masquerade random' (source NAT to 10.12.0.254 with a random source port). The MP_JOIN subflow from 10.2.0.1 reaches the server as 10.12.0.254:<random port>. 3 ms each way on both paths." \
    '{"delay_ms": {"path1": {"c2s": 3, "s2c": 3}, "path2": {"c2s": 3, "s2c": 3}}, "nat": {"path": 2, "rule": "oifname t2 masquerade random", "translated_source": "10.12.0.254"}, "conntrack": '"$tuples"'}' 5201
}

sc_optstrip() {
  topo 0 3 3 3 3
  mptcp_endpoints
  # MP_CAPABLE (TCP option 30) removed from the SYNs to port 5202: that connection falls back to TCP
  router_rule h15strip stripped -150 tcp dport 5202 tcp flags syn counter name stripped reset tcp option mptcp
  cap_start 0
  transfer 5201 24 60000 60000
  transfer 5202 25 60000 60000
  go_when_joined 5201
  go_when_joined 5202 nojoin
  transfers_wait
  local stripped
  stripped=$(nft_counter "$R" inet h15strip stripped)
  cap_stop optstrip
  meta optstrip "Two MPTCP connections at once, to ports 5201 and 5202. The router resets TCP option 30 (MPTCP) in the SYNs to port 5202 (nft 'tcp dport 5202 tcp flags syn reset tcp option mptcp', the equivalent of iptables TCPOPTSTRIP --strip-options 30): the server sees a plain SYN, answers without MP_CAPABLE, and that connection falls back to TCP. Port 5201 stays MPTCP. 3 ms each way." \
    '{"delay_ms": {"path1": {"c2s": 3, "s2c": 3}, "path2": {"c2s": 3, "s2c": 3}}, "strip": {"rule": "tcp dport 5202 tcp flags syn counter name stripped reset tcp option mptcp", "port": 5202, "option": 30, "stripped_syns": '"$stripped"'}}' 5201 5202
}

sc_payload() {
  topo 1 3 3 3 3 --corrupt-ab 2 --corrupt-log "$WORK/corrupt.jsonl"
  mptcp_endpoints
  cap_start 0
  transfer 5201 26 150000 60000
  go_when_joined 5201
  transfers_wait
  cap_stop payload
  local rewrites
  rewrites=$("$PY" -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' "$WORK/corrupt.jsonl")
  meta payload "DSS checksums on (net.mptcp.checksum_enabled=1). The relay on path 2 flips one payload byte (payload offset 100, XOR 0xff) in the first 2 client-to-server segments of 1000 bytes or more and fixes their TCP checksum, as a payload-rewriting middlebox would: only the DSS checksum can tell. The server answers with MP_FAIL and resets the subflow; the data is reinjected on path 1. 3 ms each way." \
    '{"delay_ms": {"path1": {"c2s": 3, "s2c": 3}, "path2": {"c2s": 3, "s2c": 3}}, "checksum": true, "rewrites": '"$rewrites"'}' 5201
}

sc_reseq() {
  topo 0 3 3 3 3 --seq-shift-ab 123456789 --split-ab 4 --corrupt-log "$WORK/relay.jsonl"
  mptcp_endpoints
  cap_start 0
  transfer 5201 27 100000 60000
  go_when_joined 5201
  transfers_wait
  cap_stop reseq
  local splits
  splits=$("$PY" -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' "$WORK/relay.jsonl")
  meta reseq "A normalizer on path 2: the relay adds 123456789 to the sequence numbers client to server (and takes it off the server's ACKs and SACK blocks), and splits the first 4 client-to-server segments of 1000 bytes or more in two, fixing the checksums. MPTCP copes: DSS subflow sequence numbers are relative to the ISN. 3 ms each way." \
    '{"delay_ms": {"path1": {"c2s": 3, "s2c": 3}, "path2": {"c2s": 3, "s2c": 3}}, "seq_shift": {"path": 2, "direction": "c2s", "offset": 123456789}, "splits": '"$splits"'}' 5201
}

sc_ipv6() {
  FAM=6
  topo 0 15 4 6 10
  mptcp_endpoints
  cap_start 0
  transfer 5201 28 120000 120000
  go_when_joined 5201
  transfers_wait
  cap_stop ipv6
  meta ipv6 "The delays scenario over IPv6: fixed one-way delays per path and direction made by the TUN relay between router and server, path 1 c2s 15 ms, s2c 4 ms; path 2 c2s 6 ms, s2c 10 ms. Client fd00:1::1 and fd00:2::1, server fd00:11::2 (MP_CAPABLE on path 1) and fd00:12::2 (announced by ADD_ADDR, joined over path 2); the router forwards IPv6 (hop limit 64 -> 63). Data both ways." \
    '{"delay_ms": {"path1": {"c2s": 15, "s2c": 4}, "path2": {"c2s": 6, "s2c": 10}}, "checksum": false, "family": 6, "rate": "'"$RATE"'"}' 5201
}

# ---------------------------------------------------------------- main
todo=("$@"); [[ ${#todo[@]} -eq 0 ]] && todo=("${ALL_SCENARIOS[@]}")
for name in "${todo[@]}"; do declare -F "sc_$name" >/dev/null || { echo "unknown scenario: $name (try --list)" >&2; exit 2; }; done
failed=()
for name in "${todo[@]}"; do
  for ((try = 1; try <= 3; try++)); do
    log "$name (try $try)"
    STEPS="$WORK/steps-$name.txt"; : >"$STEPS"
    set +e
    ( set -e; trap teardown EXIT; "sc_$name" )
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
