#!/usr/bin/env python3
"""Join two TUN devices that live in two network namespaces into one
point-to-point IP link (a "wire" whose captures have link type RAW IP).

    tun_relay.py NS_A DEV_A NS_B DEV_B [--ready FILE]

Both devices must already exist (ip -n NS tuntap add mode tun name DEV).
Every IP packet written by the kernel into DEV_A is handed to DEV_B and vice
versa.  Runs until killed (SIGTERM/SIGINT).
"""

import ctypes
import fcntl
import os
import select
import signal
import struct
import sys

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


def main():
    args = sys.argv[1:]
    ready = None
    if "--ready" in args:
        i = args.index("--ready")
        ready = args[i + 1]
        del args[i:i + 2]
    ns_a, dev_a, ns_b, dev_b = args
    a = open_tun(ns_a, dev_a)
    b = open_tun(ns_b, dev_b)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if ready:
        with open(ready, "w") as f:
            f.write(str(os.getpid()))
    peer = {a: b, b: a}
    try:
        while True:
            r, _, _ = select.select([a, b], [], [])
            for fd in r:
                try:
                    pkt = os.read(fd, 65536)
                    os.write(peer[fd], pkt)
                except OSError:
                    pass  # peer not up yet, or queue full: drop like a wire
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
