#!/usr/bin/env python3
"""Join two TUN devices that live in two network namespaces into one
point-to-point IP link (a "wire" whose captures have link type RAW IP).

    tun_relay.py NS_A DEV_A NS_B DEV_B [--ready FILE] [--delay-ab MS] [--delay-ba MS]
                 [--corrupt-ab N --corrupt-log FILE] [--seq-shift-ab N] [--split-ab N]

Both devices must already exist (ip -n NS tuntap add mode tun name DEV).
Every IP packet written by the kernel into DEV_A is handed to DEV_B and vice
versa.  Runs until killed (SIGTERM/SIGINT).

--delay-ab / --delay-ba hold each packet for a fixed one-way delay (in
milliseconds, fractions allowed) in the direction A->B / B->A: this kernel has
no netem, so latency is made here.  Packets keep their order within a
direction (a FIFO per direction: the delay is the same for every packet).

--corrupt-ab N flips one payload byte (payload offset 100, XOR 0xff) of the
first N IPv4 TCP segments A->B carrying at least 1000 payload bytes, and
recomputes the TCP checksum, as a payload-rewriting middlebox would; each
rewrite is logged as one JSON line to --corrupt-log.

--seq-shift-ab N adds N to the sequence number of every IPv4 TCP packet A->B
and takes it off the acknowledgment (and SACK blocks) of every packet B->A,
as a sequence-number-randomising firewall does.  --split-ab N splits each of
the first N A->B segments carrying at least 1000 payload bytes into two
(halves; FIN and PSH stay on the second).  Both fix the checksums; what they
did is logged to --corrupt-log as well.
"""

import ctypes
import fcntl
import json
import os
import select
import signal
import struct
import sys
import time
from collections import deque

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def setns(name):
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns({name}): {os.strerror(e)}")
    finally:
        os.close(fd)


def open_tun(ns, dev):
    setns(ns)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def tcp_checksum(pkt, ihl, tcp_len):
    """The TCP checksum of an IPv4 packet (its checksum field taken as zero)."""
    seg = bytearray(pkt[ihl:ihl + tcp_len])
    seg[16:18] = b"\0\0"
    data = pkt[12:20] + struct.pack("!BBH", 0, 6, tcp_len) + bytes(seg)
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_checksum(b, ihl):
    hdr = bytes(b[:10]) + b"\0\0" + bytes(b[12:ihl])
    total = sum(struct.unpack("!%dH" % (ihl // 2), hdr))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_fields(pkt):
    """(ihl, total, doff) of an IPv4 TCP packet, or None."""
    if len(pkt) < 40 or pkt[0] >> 4 != 4 or pkt[9] != 6:
        return None
    ihl = (pkt[0] & 15) * 4
    total = struct.unpack_from("!H", pkt, 2)[0]
    doff = (pkt[ihl + 12] >> 4) * 4
    if len(pkt) < total:
        return None
    return ihl, total, doff


def big_segment(pkt):
    """(ihl, total, doff, payload length) of an IPv4 TCP segment carrying at least 1000 payload bytes, or None."""
    f = tcp_fields(pkt)
    if not f or f[1] - f[0] - f[2] < 1000:
        return None
    return f + (f[1] - f[0] - f[2],)


CORRUPT_AT = 100


def corrupt(pkt):
    """Flips one payload byte of a big IPv4 TCP segment and fixes its checksum; None when not eligible."""
    f = big_segment(pkt)
    if not f:
        return None
    ihl, total, doff, payload = f
    b = bytearray(pkt)
    at = ihl + doff + CORRUPT_AT
    old = b[at]
    b[at] = old ^ 0xFF
    struct.pack_into("!H", b, ihl + 16, tcp_checksum(b, ihl, total - ihl))
    sport, dport, seq = struct.unpack_from("!HHI", b, ihl)
    info = {"src": "%d.%d.%d.%d" % tuple(b[12:16]), "sport": sport, "dst": "%d.%d.%d.%d" % tuple(b[16:20]),
            "dport": dport, "seq": seq, "payload_length": payload, "payload_offset": CORRUPT_AT,
            "old": old, "new": b[at]}
    return bytes(b), info


def shift_seq(pkt, delta, sender_side):
    """Adds delta to the sequence number (sender_side) or takes it off the ACK and SACK edges."""
    f = tcp_fields(pkt)
    if not f:
        return pkt
    ihl, total, doff = f
    b = bytearray(pkt)
    if sender_side:
        seq = struct.unpack_from("!I", b, ihl + 4)[0]
        struct.pack_into("!I", b, ihl + 4, (seq + delta) & 0xFFFFFFFF)
    else:
        if b[ihl + 13] & 0x10:
            ack = struct.unpack_from("!I", b, ihl + 8)[0]
            struct.pack_into("!I", b, ihl + 8, (ack - delta) & 0xFFFFFFFF)
        off, end = ihl + 20, ihl + doff
        while off < end:
            kind = b[off]
            if kind == 0:
                break
            if kind == 1:
                off += 1
                continue
            ln = b[off + 1]
            if ln < 2:
                break
            if kind == 5:
                for e in range(off + 2, off + ln, 4):
                    v = struct.unpack_from("!I", b, e)[0]
                    struct.pack_into("!I", b, e, (v - delta) & 0xFFFFFFFF)
            off += ln
    struct.pack_into("!H", b, ihl + 16, tcp_checksum(b, ihl, total - ihl))
    return bytes(b)


def split(pkt):
    """Two packets carrying the two halves of a big segment's payload, or None when not eligible."""
    f = big_segment(pkt)
    if not f:
        return None
    ihl, total, doff, payload = f
    half = payload // 2
    head = bytearray(pkt[:ihl + doff])
    body = pkt[ihl + doff:total]
    seq = struct.unpack_from("!I", head, ihl + 4)[0]
    out = []
    for i, (chunk, s) in enumerate(((body[:half], seq), (body[half:], (seq + half) & 0xFFFFFFFF))):
        b = bytearray(head) + chunk
        struct.pack_into("!H", b, 2, len(b))
        struct.pack_into("!I", b, ihl + 4, s)
        if i == 0:
            b[ihl + 13] &= ~0x09 & 0xFF  # FIN and PSH only on the last piece
        struct.pack_into("!H", b, 10, ip_checksum(b, ihl))
        struct.pack_into("!H", b, ihl + 16, tcp_checksum(b, ihl, len(b) - ihl))
        out.append(bytes(b))
    return out, {"split_seq": seq, "payload_length": payload, "first": half, "second": payload - half}


def take_flag(args, name, default=None):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return default


def main():
    args = sys.argv[1:]
    ready = take_flag(args, "--ready")
    delay_ab = float(take_flag(args, "--delay-ab", "0")) / 1000.0
    delay_ba = float(take_flag(args, "--delay-ba", "0")) / 1000.0
    corrupt_left = int(take_flag(args, "--corrupt-ab", "0"))
    corrupt_log = take_flag(args, "--corrupt-log")
    seq_shift = int(take_flag(args, "--seq-shift-ab", "0"))
    split_left = int(take_flag(args, "--split-ab", "0"))
    ns_a, dev_a, ns_b, dev_b = args
    a = open_tun(ns_a, dev_a)
    b = open_tun(ns_b, dev_b)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if ready:
        with open(ready, "w") as f:
            f.write(str(os.getpid()))
    peer = {a: b, b: a}
    delay = {a: delay_ab, b: delay_ba}
    # Per source fd: FIFO of (due time, packet) for a delayed direction.
    queue = {a: deque(), b: deque()}

    def log(info):
        if corrupt_log:
            with open(corrupt_log, "a") as f:
                f.write(json.dumps(info) + "\n")

    def send(dst, pkt):
        try:
            os.write(dst, pkt)
        except OSError:
            pass  # peer not up yet, or queue full: drop like a wire

    try:
        while True:
            now = time.monotonic()
            for src, q in queue.items():
                while q and q[0][0] <= now:
                    send(peer[src], q.popleft()[1])
            dues = [q[0][0] for q in queue.values() if q]
            timeout = max(0.0, min(dues) - now) if dues else None
            r, _, _ = select.select([a, b], [], [], timeout)
            for fd in r:
                try:
                    pkt = os.read(fd, 65536)
                except OSError:
                    continue
                if fd == a and corrupt_left > 0:
                    done = corrupt(pkt)
                    if done:
                        pkt = done[0]
                        corrupt_left -= 1
                        log(done[1])
                if seq_shift:
                    pkt = shift_seq(pkt, seq_shift, fd == a)
                pkts = [pkt]
                if fd == a and split_left > 0:
                    done = split(pkt)
                    if done:
                        pkts = done[0]
                        split_left -= 1
                        log(done[1])
                for pkt in pkts:
                    if delay[fd] > 0:
                        queue[fd].append((time.monotonic() + delay[fd], pkt))
                    else:
                        send(peer[fd], pkt)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
