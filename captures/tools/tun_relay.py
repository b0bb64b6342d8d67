#!/usr/bin/env python3
"""Join two TUN devices that live in two network namespaces into one
point-to-point IP link (a "wire" whose captures have link type RAW IP).

    tun_relay.py NS_A DEV_A NS_B DEV_B [--ready FILE] [--delay-ab MS] [--delay-ba MS]

Both devices must already exist (ip -n NS tuntap add mode tun name DEV).
Every IP packet written by the kernel into DEV_A is handed to DEV_B and vice
versa.  Runs until killed (SIGTERM/SIGINT).

--delay-ab / --delay-ba hold each packet for a fixed one-way delay (in
milliseconds, fractions allowed) in the direction A->B / B->A: this kernel has
no netem, so latency is made here.  Packets keep their order within a
direction (a FIFO per direction: the delay is the same for every packet).
"""

import ctypes
import fcntl
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
                if delay[fd] > 0:
                    queue[fd].append((time.monotonic() + delay[fd], pkt))
                else:
                    send(peer[fd], pkt)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
