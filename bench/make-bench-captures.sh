#!/usr/bin/env bash
# Make (or reuse) the benchmark captures: real kernel MPTCP traffic between two
# network namespaces, several concurrent sessions, several subflows each.
#
#   sudo bash bench/make-bench-captures.sh            # make what is missing
#   sudo bash bench/make-bench-captures.sh --force    # remake all three
#   bash bench/make-bench-captures.sh --list          # names + cache dir
#   bash bench/make-bench-captures.sh --check         # exit 0 iff all cached
#
# Captures are cached OUTSIDE the repository, in
#   ${MPTCPSCOPE_BENCH_DIR:-$HOME/.cache/mptcpscope-bench}
# as <name>.pcap + <name>.json.  A capture is reused when both files exist and
# the JSON's "recipe" equals the recipe below (change a parameter and that
# capture is remade).  Root is only needed when something has to be made.
#
#   headers-1m.pcap  tcpdump -s 128, >= 1,000,000 packets
#   headers-4m.pcap  the same kind, ~4x as long (>= 3.5 M packets; memory-flatness check)
#   full-300m.pcap   snaplen 65535, a few hundred MB
#
# Topology (like captures/make-captures.sh, with its own namespace and device
# names so both can run at once): namespaces mpbc (client) and mpbs (server)
# joined by $PATHS veth pairs bc<i>/bs<i> (path i: 10.0.i.1 <-> 10.0.i.2);
# tso/gso/gro and checksum offloads off (wire-sized packets, real checksums);
# tbf on every veth; the client has "subflow" endpoints on paths 2..$PATHS,
# so every MPTCP connection gets $PATHS subflows.  $SESSIONS copies of
# captures/tools/mptcp_app.py (server on port 5301+k, client connecting to
# 10.0.1.2) run at the same time, each moving a seeded pseudo-random payload
# in both directions and reporting bytes + sha256 of what it sent/received
# (headers-4m runs two such rounds one after the other).  One tcpdump per
# client interface (-B 262144, i.e. 256 MiB of ring), merged with mergecap
# -F pcap.  The script fails loudly if any tcpdump reports a dropped packet,
# if an application did not move all its data both ways (a run with a stalled
# connection is retried, up to $TRIES times), or if there are too few packets.
# No traffic leaves the namespaces.
#
# Tunables (environment): SESSIONS (8 concurrent), PATHS (4), RATE_HEADERS
# and RATE_FULL (tbf rate per path and direction, 100mbit), RMEM (initial
# tcp_rmem, 4194304), IDLE (s without progress = stalled, 30), TRIES (3),
# PYTHON.  The apps and the kernel, not tbf, are the bottleneck on a 2-CPU
# machine (~25-45 k packets/s); tbf only spreads the data over the 4 subflows
# and keeps bursts within what the capture can take.
#
# Needs (to make captures): root, iproute2 (ip mptcp), ethtool, tc, tcpdump,
# mergecap, capinfos, flock, python3.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
APP="$ROOT/captures/tools/mptcp_app.py"
OUT=${MPTCPSCOPE_BENCH_DIR:-$HOME/.cache/mptcpscope-bench}
PY=${PYTHON:-python3}
C=mpbc
S=mpbs
BASEPORT=5301
SESSIONS=${SESSIONS:-8}
PATHS=${PATHS:-4}
RATE_HEADERS=${RATE_HEADERS:-100mbit}
RATE_FULL=${RATE_FULL:-100mbit}
KERNEL=$(uname -r)
RMEM=${RMEM:-4194304}        # initial TCP/MPTCP receive buffer in the namespaces
IDLE=${IDLE:-30}             # an application idle this long (s) counts as stalled
TRIES=${TRIES:-3}
ALL=(headers-1m headers-4m full-300m)

# name -> "snaplen client_bytes_per_session server_bytes_per_session rate min_packets rounds"
# (payload sizes are per session and direction.  With 1448-byte segments and
# the ACKs, a packet carries 860-1120 payload bytes on average (0.89-1.16
# packets per KB measured; it varies with ACK coalescing under load), so
# 8 x 156 MB = 1.25 GB gives 1.1-1.45 M packets.  mptcp_app.py makes its
# payload with random.randbytes, which cannot make more than 268,435,455
# bytes at once, so headers-4m is two ROUNDS of $SESSIONS concurrent
# sessions, one after the other (16 sessions in all): 2 x 8 x 305 MB =
# 4.9 GB, 4.3-5.6 M packets, ~3.9x the payload of headers-1m.)
spec() {
  case $1 in
    headers-1m) echo "128 82000000 74000000 $RATE_HEADERS 1000000 1" ;;
    headers-4m) echo "128 160000000 145000000 $RATE_HEADERS 4000000 2" ;;
    full-300m)  echo "65535 19000000 17000000 $RATE_FULL 0 1" ;;
    smoke)      echo "128 ${SMOKE_BYTES:-20000000} ${SMOKE_BYTES:-20000000} $RATE_HEADERS 0 ${SMOKE_ROUNDS:-1}" ;;   # quick test, not in ALL
    *) return 1 ;;
  esac
}
recipe() { # what the capture depends on; a cached capture with another recipe is remade
  echo "v1 $1 $(spec "$1") sessions=$SESSIONS paths=$PATHS rmem=$RMEM"
}

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { echo "make-bench-captures: $*" >&2; exit 1; }

cached() { # cached NAME: both files present and the recipe matches
  local n=$1
  [[ -s $OUT/$n.pcap && -s $OUT/$n.json ]] || return 1
  "$PY" - "$OUT/$n.json" "$(recipe "$n")" <<'EOF' 2>/dev/null
import json, sys
sys.exit(0 if json.load(open(sys.argv[1])).get("recipe") == sys.argv[2] else 1)
EOF
}

FORCE=0
todo=()
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    --list) echo "cache: $OUT"; for n in "${ALL[@]}"; do
              if cached "$n"; then echo "$n (cached)"; else echo "$n (missing)"; fi; done; exit 0 ;;
    --check) for n in "${ALL[@]}"; do cached "$n" || exit 1; done; exit 0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) spec "$a" >/dev/null || die "unknown capture $a (try --list)"; todo+=("$a") ;;
  esac
done
((${#todo[@]})) || todo=("${ALL[@]}")

need=()
for n in "${todo[@]}"; do
  if ((FORCE == 0)) && cached "$n"; then
    log "$n: cached in $OUT/$n.pcap"
  else
    need+=("$n")
  fi
done
((${#need[@]})) || exit 0

[[ $(id -u) -eq 0 ]] || die "must run as root to make ${need[*]} (network namespaces)"
for t in ip tc ethtool tcpdump mergecap capinfos flock "$PY"; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done
[[ -f $APP ]] || die "missing $APP"
mkdir -p "$OUT"
# one generator at a time (same namespace names); whatever another one made
# meanwhile is then reused
exec 9>"$OUT/.lock"
flock -n 9 || { log "another make-bench-captures is running, waiting"; flock 9; }
left=()
for n in "${need[@]}"; do ((FORCE == 0)) && cached "$n" || left+=("$n"); done
need=("${left[@]+"${left[@]}"}")
((${#need[@]})) || exit 0

WORK=$(mktemp -d /tmp/mptcpscope-bench.XXXXXX)
BG=()
teardown() {
  local p
  for p in "${BG[@]+"${BG[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG[@]+"${BG[@]}"}"; do wait "$p" 2>/dev/null || true; done
  BG=()
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
}
cleanup() { teardown; rm -rf "$WORK"; rm -f "$OUT"/.*.tmp.pcap; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

wait_for() { # wait_for SECONDS CMD...: poll until CMD succeeds
  local t=$(( $1 * 20 )); shift
  while ! "$@" 2>/dev/null; do
    t=$((t - 1)); ((t > 0)) || { echo "timeout waiting for: $*" >&2; return 1; }
    sleep 0.05
  done
}

# ------------------------------------------------------------------ topology
topo() { # topo RATE
  local rate=$1 i ns d
  teardown
  ip netns add "$C"
  ip netns add "$S"
  for ns in "$C" "$S"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -q net.mptcp.enabled=1 net.mptcp.checksum_enabled=0
    ip netns exec "$ns" sysctl -q net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    # at most 256 KB per subflow waiting in the tbf queue: with <= 8 subflows
    # per path that stays below the tbf limit, so the qdisc never drops
    ip netns exec "$ns" sysctl -q net.ipv4.tcp_limit_output_bytes=262144
    # a larger initial receive buffer: with the default 128 KB the MPTCP-level
    # receive queue can fill up with out-of-order data from the faster
    # subflows and the connection stalls (seen on 6.18 with 4 subflows)
    ip netns exec "$ns" sysctl -q net.ipv4.tcp_rmem="4096 $RMEM 33554432"
    ip -n "$ns" mptcp limits set subflows 8 add_addr_accepted 8
  done
  for ((i = 1; i <= PATHS; i++)); do
    ip link add "bc$i" netns "$C" type veth peer name "bs$i" netns "$S"
    ip -n "$C" addr add "10.0.$i.1/24" dev "bc$i"
    ip -n "$S" addr add "10.0.$i.2/24" dev "bs$i"
    for ns in "$C" "$S"; do
      d=bc$i; [[ $ns == "$S" ]] && d=bs$i
      # wire-sized packets: no segmentation or receive offloads
      ip netns exec "$ns" ethtool -K "$d" tso off gso off gro off tx off rx off >/dev/null
      ip -n "$ns" link set dev "$d" gso_max_segs 1
      ip -n "$ns" link set "$d" up
      ip netns exec "$ns" tc qdisc replace dev "$d" root tbf rate "$rate" burst 256kb limit 8mb
    done
    ip -n "$C" route add default via "10.0.$i.2" dev "bc$i" metric $((100 + i)) onlink
    ip -n "$S" route add default via "10.0.$i.1" dev "bs$i" metric $((100 + i)) onlink
    ((i > 1)) && ip -n "$C" mptcp endpoint add "10.0.$i.1" dev "bc$i" id "$i" subflow
  done
  return 0
}

# ------------------------------------------------------------------ one capture
make_one() {
  local name=$1 snap cbytes sbytes rate minpk rounds k i j p r
  read -r snap cbytes sbytes rate minpk rounds <<<"$(spec "$name")"
  local t0=$SECONDS
  log "$name: $rounds round(s) of $SESSIONS concurrent sessions x $PATHS subflows, $cbytes/$sbytes bytes per session (c->s/s->c), tbf $rate per path and direction, snaplen $snap"
  topo "$rate"
  rm -f "$WORK"/*

  local tpids=() spids=() cpids=()
  servers() { # servers ROUND: one app server per session, one accepted connection each
    local r=$1 k j
    spids=()
    for ((k = 0; k < SESSIONS; k++)); do
      j=$((r * SESSIONS + k))
      ip netns exec "$S" "$PY" "$APP" server --bind 10.0.1.2 --port $((BASEPORT + j)) --seed $((100 + j)) \
        --bytes "$sbytes" --timeout "$IDLE" --ready "$WORK/server$j.ready" --report "$WORK/server$j.json" &
      spids+=($!); BG+=($!)
    done
    for ((k = 0; k < SESSIONS; k++)); do wait_for 30 test -e "$WORK/server$((r * SESSIONS + k)).ready"; done
  }
  servers 0

  # captures: one tcpdump per client interface, 256 MiB ring each
  for ((i = 1; i <= PATHS; i++)); do
    ip netns exec "$C" tcpdump -n -i "bc$i" -s "$snap" -B 262144 -w "$WORK/cap$i.pcap" tcp 2>"$WORK/cap$i.log" &
    tpids+=($!); BG+=($!)
  done
  for ((i = 1; i <= PATHS; i++)); do wait_for 10 grep -q "listening on" "$WORK/cap$i.log"; done
  sleep 0.3

  local tt=$SECONDS
  for ((r = 0; r < rounds; r++)); do
    ((r == 0)) || servers "$r"
    cpids=()
    for ((k = 0; k < SESSIONS; k++)); do
      j=$((r * SESSIONS + k))
      ip netns exec "$C" "$PY" "$APP" client --connect 10.0.1.2 --port $((BASEPORT + j)) --seed $((100 + j)) \
        --bytes "$cbytes" --timeout "$IDLE" --report "$WORK/client$j.json" &
      cpids+=($!); BG+=($!)
    done
    local rc=0
    for p in "${cpids[@]}" "${spids[@]}"; do wait "$p" || rc=$?; done
    ((rc == 0)) || die "$name: an application failed (rc=$rc)"
  done
  local traffic_s=$((SECONDS - tt))
  sleep 1   # last FIN/ACKs into the capture
  for p in "${tpids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${tpids[@]}"; do wait "$p" 2>/dev/null || true; done
  BG=()
  for ((i = 1; i <= PATHS; i++)); do
    local l="$WORK/cap$i.log"
    grep -q "packets dropped by kernel" "$l" || { cat "$l" >&2; die "$name: no tcpdump statistics for bc$i"; }
    sed "s/^/  bc$i: /" "$l" | grep -E "captured|received|dropped" >&2
    grep -q "^0 packets dropped by kernel" "$l" || die "$name: tcpdump on bc$i DROPPED PACKETS (lower RATE_* and retry)"
    if grep -q "dropped by interface" "$l"; then
      grep -q "^0 packets dropped by interface" "$l" || die "$name: bc$i: packets dropped by interface"
    fi
  done
  teardown

  local tmp="$OUT/.$name.tmp.pcap"
  rm -f "$tmp"
  mergecap -F pcap -w "$tmp" "$WORK"/cap*.pcap
  rm -f "$WORK"/cap*.pcap
  local gen_s=$((SECONDS - t0))
  SESSIONS_CONCURRENT=$SESSIONS "$PY" - "$tmp" "$OUT/$name.json" "$name" "$(recipe "$name")" "$((SESSIONS * rounds))" "$PATHS" "$snap" "$rate" \
    "$minpk" "$KERNEL" "$WORK" "$gen_s" "$traffic_s" <<'EOF'
import json, os, re, subprocess, sys, datetime
(cap, meta, name, recipe, sessions, paths, snap, rate, minpk, kernel, work, gen_s, traffic_s) = sys.argv[1:]
sessions, paths, minpk = int(sessions), int(paths), int(minpk)
# capinfos -T -r: table without header: file, packets, file size, data size, duration
out = subprocess.run(["capinfos", "-M", "-T", "-r", "-c", "-d", "-s", "-u", cap],
                     check=True, capture_output=True, text=True).stdout.strip().split("\t")
packets, file_bytes, data_bytes, duration = int(out[1]), int(out[2]), int(out[3]), float(out[4])
# subflows per session: SYNs without ACK, by server port
syn = subprocess.run(["tcpdump", "-r", cap, "-n", "-q", "tcp[13] & 0x12 == 0x02"],
                     check=True, capture_output=True, text=True).stdout.splitlines()
syns = {}
for line in syn:
    mm = re.search(r"> [0-9.]+\.(\d+):", line)
    if mm:
        syns[int(mm.group(1))] = syns.get(int(mm.group(1)), 0) + 1

ok = True
sess = []
for k in range(sessions):
    c = json.load(open(f"{work}/client{k}.json"))
    s = json.load(open(f"{work}/server{k}.json"))
    good = (c["sent"] == s["received"] == c["intended"] and s["sent"] == c["received"] == s["intended"]
            and not c["errors"] and not s["errors"])
    ok = ok and bool(good)
    sess.append({
        "server_port": 5301 + k,
        "client_local": c["local"],
        "client_to_server": c["sent"],
        "server_to_client": s["sent"],
        "complete": bool(good),
        "subflows_in_capture": syns.get(5301 + k, 0),
        "client_max_additional_subflows_seen": c.get("max_additional_subflows_seen"),
        "duration_s": max(c["duration_s"], s["duration_s"]),
    })
if packets < minpk:
    print(f"{name}: only {packets} packets (< {minpk})", file=sys.stderr)
    ok = False
ver = lambda *cmd: subprocess.run(list(cmd), capture_output=True, text=True).stdout.splitlines()[0]
m = {
    "name": name + ".pcap",
    "recipe": recipe,
    "packets": packets,
    "file_bytes": file_bytes,
    "captured_bytes": data_bytes,
    "capture_duration_s": duration,
    "snaplen": int(snap),
    "sessions": sessions,
    "concurrent_sessions": int(os.environ["SESSIONS_CONCURRENT"]),
    "paths": paths,
    "subflows_per_session": paths,
    "path_rate": rate,
    "capture_drops": 0,
    "sessions_detail": sess,
    "payload_bytes_total": sum(s["client_to_server"]["bytes"] + s["server_to_client"]["bytes"] for s in sess),
    "kernel": kernel,
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "generation_s": int(gen_s),
    "traffic_s": int(traffic_s),
    "how": ("bench/make-bench-captures.sh: namespaces mpbc/mpbs, veth paths 10.0.i.1<->10.0.i.2, "
            "tso/gso/gro/tx/rx offloads off, tbf per veth, client 'subflow' endpoints on paths 2..N, "
            "captures/tools/mptcp_app.py x sessions (rounds of concurrent_sessions), "
            "tcpdump -s SNAP -B 262144 per client veth, mergecap -F pcap"),
    "tools": ver("tcpdump", "--version") + "; " + ver("ip", "-V"),
}
tmpm = meta + ".tmp"
json.dump(m, open(tmpm, "w"), indent=1)
if not ok:
    print(f"{name}: check failed, see {tmpm}", file=sys.stderr)
    sys.exit(1)
print(f"{name}: {packets} packets, {file_bytes/1e6:.1f} MB, {sessions} sessions, "
      f"traffic {traffic_s}s, total {gen_s}s", file=sys.stderr)
EOF
  chmod 644 "$tmp" "$OUT/$name.json.tmp"
  rm -f "$OUT/$name.json"
  mv -f "$tmp" "$OUT/$name.pcap"
  mv -f "$OUT/$name.json.tmp" "$OUT/$name.json"
}

T0=$SECONDS
for n in "${need[@]}"; do
  # real traffic: a run whose checks fail (a stalled connection, a drop) is retried
  for ((try = 1; try <= TRIES; try++)); do
    set +e
    ( set -e; trap teardown EXIT; trap 'exit 130' INT TERM HUP; make_one "$n" )
    rc=$?
    set -e
    ((rc == 0 || rc == 130)) && break
    echo "make-bench-captures: $n failed (try $try of $TRIES)" >&2
  done
  ((rc == 0)) || exit "$rc"
done
log "made ${need[*]} in $((SECONDS - T0)) s -> $OUT"
