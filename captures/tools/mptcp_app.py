#!/usr/bin/env python3
"""Tiny bidirectional traffic application for making MPTCP captures.

One server accepts exactly one connection; one client connects to it.  Both
sides send a deterministic pseudo-random payload (seeded per scenario) while
reading what the peer sends, then close.  Each side writes a JSON report with
the byte count and sha256 of everything it actually sent and received, so the
capture's metadata can state what the application saw.

    server: mptcp_app.py server --bind 10.0.1.2 --port 5201 --seed 7 \
                --bytes 280000 --ready /tmp/x.ready --report srv.json
    client: mptcp_app.py client --connect 10.0.1.2 --port 5201 --seed 7 \
                --bytes 300000 --report cli.json

Sockets are created with IPPROTO_MPTCP (262) unless --tcp is given (plain TCP,
used by the server of the fallback scenario).

Options for special scenarios:
  --mark-at N --mark-file F   create F once N bytes have been sent (handed to
                              the socket: may be long before they are on the wire)
  --mark-recv N --mark-file F create F once N bytes have been received (use this
                              to act in the middle of the transfer on the wire)
  --hold-file F               after the mark, pause sending until F exists
  --abort-after-recv N        (server) stop reading after N bytes, send the own
                              payload, wait, then close with unread data in the
                              receive queue (abortive close -> MP_FASTCLOSE)
  --linger0                   set SO_LINGER {1,0} before closing
  --burst N --pause S         send in bursts of N bytes with S seconds of silence
                              between them (an application-limited sender)
  --rcvbuf N                  SO_RCVBUF on the socket (set before connect/listen)
"""

import argparse
import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
SOL_MPTCP = 284
MPTCP_INFO = 1
TCP_IS_MPTCP = 43
CHUNK = 16384


def payload(seed: int, role: str, n: int) -> bytes:
    # Client and server payloads differ: the role is part of the seed.
    rng = random.Random(f"mptcpscope/{role}/{seed}")
    return rng.randbytes(n)


class Counter:
    def __init__(self):
        self.h = hashlib.sha256()
        self.n = 0

    def add(self, b: bytes):
        self.h.update(b)
        self.n += len(b)

    def as_dict(self):
        return {"bytes": self.n, "sha256": self.h.hexdigest()}


def mptcp_info(sock):
    """A few fields of struct mptcp_info (see include/uapi/linux/mptcp.h)."""
    out = {}
    try:
        out["tcp_is_mptcp"] = sock.getsockopt(socket.IPPROTO_TCP, TCP_IS_MPTCP)
    except OSError as e:
        out["tcp_is_mptcp_error"] = e.strerror
    try:
        raw = sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)
        if len(raw) >= 12:
            (subflows, add_addr_signal, add_addr_accepted, subflows_max,
             add_addr_signal_max, add_addr_accepted_max, _pad) = struct.unpack_from("<7B", raw, 0)
            flags, = struct.unpack_from("<I", raw, 8)
            out.update({
                "subflows": subflows,
                "add_addr_signal": add_addr_signal,
                "add_addr_accepted": add_addr_accepted,
                "subflows_max": subflows_max,
                "flags": flags,
                "fallback": bool(flags & 1),
                "remote_key_received": bool(flags & 2),
            })
    except OSError as e:
        out["mptcp_info_error"] = e.strerror
    return out


def new_socket(family, plain_tcp):
    proto = socket.IPPROTO_TCP if plain_tcp else IPPROTO_MPTCP
    return socket.socket(family, socket.SOCK_STREAM, proto)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sender(sock, data, sent, args, errors):
    try:
        off = 0
        marked = False
        while off < len(data):
            end = min(off + CHUNK, len(data))
            if args.burst:
                # never cross a burst boundary in one send()
                end = min(end, (off // args.burst + 1) * args.burst)
            if args.mark_at and not marked and off < args.mark_at < end:
                end = args.mark_at
            n = sock.send(data[off:end])
            sent.add(data[off:off + n])
            off += n
            if args.burst and off % args.burst == 0 and off < len(data):
                time.sleep(args.pause)
            if args.mark_at and not marked and off >= args.mark_at:
                marked = True
                if args.mark_file:
                    with open(args.mark_file, "w") as f:
                        f.write(str(off))
                if args.hold_file:
                    deadline = time.time() + 30
                    while not os.path.exists(args.hold_file) and time.time() < deadline:
                        time.sleep(0.01)
        if not args.no_shutdown:
            sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        errors.append(f"send: {e.__class__.__name__}: {e.strerror or e}")


def subflows_now(sock):
    try:
        return sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 8)[0]
    except OSError:
        return None


def receive(sock, received, limit=None, peak=None, args=None):
    marked = False
    while True:
        if args is not None and args.mark_recv and not marked and received.n >= args.mark_recv:
            marked = True
            with open(args.mark_file, "w") as f:
                f.write(str(received.n))
        if peak is not None:
            n = subflows_now(sock)
            if n is not None and n > peak[0]:
                peak[0] = n
        want = CHUNK if limit is None else min(CHUNK, limit - received.n)
        if want <= 0:
            return
        b = sock.recv(want)
        if not b:
            return
        received.add(b)
        if args is not None and args.progress and received.n // 25000 != (received.n - len(b)) // 25000:
            print(f"{time.time():.3f} received {received.n}", file=sys.stderr, flush=True)


def run_conn(sock, args, role, peer, local):
    data = payload(args.seed, role, args.bytes)
    sent, received = Counter(), Counter()
    errors = []
    info = {}
    peak = [0]  # most additional subflows (mptcpi_subflows) seen while receiving
    t0 = time.time()
    t = threading.Thread(target=sender, args=(sock, data, sent, args, errors))
    t.start()
    try:
        if args.abort_after_recv is not None:
            receive(sock, received, args.abort_after_recv, peak, args)
            t.join()
            time.sleep(args.abort_wait)
            info = mptcp_info(sock)
            if args.linger0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        else:
            receive(sock, received, None, peak, args)
            t.join()
            info = mptcp_info(sock)
            if args.linger0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
    except OSError as e:
        errors.append(f"recv: {e.__class__.__name__}: {e.strerror or e}")
        t.join()
        try:
            sock.close()
        except OSError:
            pass
    check = {}
    if args.peer_bytes:
        # the peer's payload is known (same seed, other role): is what arrived
        # exactly the beginning of it (or all of it)?
        theirs = payload(args.seed, "server" if role == "client" else "client", args.peer_bytes)
        got = received.n
        check = {
            "peer_payload": {"bytes": len(theirs), "sha256": hashlib.sha256(theirs).hexdigest()},
            "received_is_prefix_of_peer_payload": hashlib.sha256(theirs[:got]).hexdigest() == received.h.hexdigest(),
            "received_all_of_peer_payload": got == len(theirs) and hashlib.sha256(theirs).hexdigest() == received.h.hexdigest(),
        }
    report = {
        "role": role,
        "protocol": "tcp" if args.tcp else "mptcp",
        "local": local,
        "peer": peer,
        "intended": {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
        "sent": sent.as_dict(),
        "received": received.as_dict(),
        "errors": errors,
        **check,
        "mptcp_info": info,
        "max_additional_subflows_seen": peak[0],
        "duration_s": round(time.time() - t0, 3),
    }
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["server", "client"])
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--connect")
    p.add_argument("--port", type=int, default=5201)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--peer-bytes", type=int, default=0, help="size of the peer's payload, to check what arrived")
    p.add_argument("--ready", help="(server) file created once listening")
    p.add_argument("--tcp", action="store_true", help="plain TCP socket instead of IPPROTO_MPTCP")
    p.add_argument("--mark-at", type=int, default=0)
    p.add_argument("--mark-recv", type=int, default=0, help="create --mark-file once N bytes were received")
    p.add_argument("--mark-file")
    p.add_argument("--hold-file")
    p.add_argument("--abort-after-recv", type=int)
    p.add_argument("--abort-wait", type=float, default=0.5)
    p.add_argument("--linger0", action="store_true")
    p.add_argument("--no-shutdown", action="store_true", help="do not shutdown(SHUT_WR) after sending")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--progress", action="store_true", help="print receive progress to stderr")
    p.add_argument("--burst", type=int, default=0, help="send in bursts of N bytes")
    p.add_argument("--pause", type=float, default=0.3, help="seconds of silence between bursts")
    p.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF before connect/listen")
    args = p.parse_args()

    if args.mode == "server":
        fam = family_of(args.bind)
        ls = new_socket(fam, args.tcp)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if args.rcvbuf:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
        ls.bind((args.bind, args.port))
        ls.listen(1)
        ls.settimeout(args.timeout)
        if args.ready:
            with open(args.ready, "w") as f:
                f.write(str(os.getpid()))
        sock, peer = ls.accept()
        sock.settimeout(args.timeout)
        # keep the listener open: MP_JOIN SYNs for this connection are
        # handled by the listening socket
        rc = run_conn(sock, args, "server", list(peer[:2]), list(sock.getsockname()[:2]))
        ls.close()
        return rc
    else:
        if not args.connect:
            p.error("client needs --connect")
        fam = family_of(args.connect)
        sock = new_socket(fam, args.tcp)
        if args.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
        sock.settimeout(args.timeout)
        sock.connect((args.connect, args.port))
        return run_conn(sock, args, "client", [args.connect, args.port], list(sock.getsockname()[:2]))


if __name__ == "__main__":
    sys.exit(main())
