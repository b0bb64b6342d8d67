#!/usr/bin/env python3
"""Look at a capture with tshark/capinfos, check the facts the scenario
guarantees, and write <capture-stem>.meta.json beside it.

    write_meta.py --capture F --name N --description D --command C \
        --steps STEPS.txt --client-report C.json --server-report S.json \
        --client-addr A --server-addr A --port P --expect '{"subflows": 2}'

Expect keys (checked against what tshark sees / what the apps recorded):
  subflows N            TCP streams that start with an MPTCP SYN (MP_CAPABLE or MP_JOIN)
  min_subflows N        same, at least N
  subflows_with_data N  / min_subflows_with_data N: MPTCP subflows carrying payload
  mptcp_connections N   distinct mptcp.stream values
  fallback bool         SYN offered MP_CAPABLE but the SYN/ACK did not
  checksum bool         DSS options carry a checksum (from the option lengths)
  complete bool         client.sent == server.received and server.sent == client.received,
                        each equal to the full intended payload
  received_valid_prefix bool  what each side received is the beginning of the
                        peer's payload (nothing corrupted, maybe cut short)
  subtypes [names]      each of these MPTCP option subtypes occurs at least once
  any_subtype [names]   at least one of these subtypes occurs
  join_backup bool      some MP_JOIN SYN carries the backup (B) bit
  retransmissions bool  tshark flags TCP retransmissions
  ip_version 4|6        all TCP packets are of this IP version
  interfaces N          interfaces in the file (pcapng IDBs; 1 for pcap)
  linktypes [numbers]   LINKTYPE_* values of the file header / each pcapng IDB, in order
  file_format name      capinfos file type (pcap / pcapng)
  snaplen N             capture snapshot length
Exits 1 (after writing the meta file with "verified": false) if a check fails.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys

SUBTYPES = {0: "MP_CAPABLE", 1: "MP_JOIN", 2: "DSS", 3: "ADD_ADDR", 4: "REMOVE_ADDR",
            5: "MP_PRIO", 6: "MP_FAIL", 7: "MP_FASTCLOSE", 8: "MP_TCPRST", 15: "MP_EXPERIMENTAL"}
PREFS = ["-o", "mptcp.analyze_mappings:TRUE", "-o", "mptcp.intersubflows_retransmission:TRUE",
         "-o", "tcp.analyze_sequence_numbers:TRUE"]


def tshark_fields(cap, fields, flt=None):
    cmd = ["tshark", "-n", "-r", cap] + PREFS + ["-T", "fields", "-E", "separator=\t",
                                                  "-E", "occurrence=a", "-E", "aggregator=,"]
    if flt:
        cmd += ["-Y", flt]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        parts += [""] * (len(fields) - len(parts))
        rows.append(dict(zip(fields, parts)))
    return rows


def tshark_count(cap, flt):
    out = subprocess.run(["tshark", "-n", "-r", cap] + PREFS + ["-Y", flt, "-T", "fields", "-e", "frame.number"],
                         check=True, capture_output=True, text=True).stdout
    return len(out.split())


def capinfos(cap):
    out = subprocess.run(["capinfos", "-M", cap], check=True, capture_output=True, text=True).stdout
    info = {"interfaces": 1, "link_types": []}
    for line in out.splitlines():
        s = line.strip()
        m = re.match(r"File type:\s+(.*)", s)
        if m:
            ft = m.group(1)
            info["file_type"] = ft
            info["file_format"] = "pcapng" if "pcapng" in ft.lower() else "pcap"
        m = re.match(r"File encapsulation:\s+(.*)", s)
        if m:
            info["file_encapsulation"] = m.group(1)
        m = re.match(r"Number of packets:\s+(\d+)", s)
        if m:
            info["packets"] = int(m.group(1))
        m = re.match(r"Number of interfaces in file:\s+(\d+)", s)
        if m:
            info["interfaces"] = int(m.group(1))
        m = re.match(r"Encapsulation = (.*)", s)
        if m:
            info["link_types"].append(m.group(1))
        m = re.match(r"Packet size limit:\s+file hdr:\s+(\d+)", s)
        if m:
            info["snaplen"] = int(m.group(1))
        m = re.match(r"Capture length = (\d+)", s)
        if m and "snaplen" not in info:
            info["snaplen"] = int(m.group(1))
    if not info["link_types"] and "file_encapsulation" in info:
        info["link_types"] = [info["file_encapsulation"]]
    return info


def file_header(cap):
    """Link-layer header types (LINKTYPE_* numbers), snaplens and timestamp
    resolution read straight from the pcap / pcapng headers."""
    import struct
    data = open(cap, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        snaplen, linktype = struct.unpack_from(e + "II", data, 16)
        ns = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        return {"linktypes": [linktype], "snaplens": [snaplen], "ts_resolution": "ns" if ns else "us"}
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off, lts, snaps = 0, [], []
        while off + 12 <= len(data):
            btype, blen = struct.unpack_from(e + "II", data, off)
            if btype == 1:
                lt, _res, snap = struct.unpack_from(e + "HHI", data, off + 8)
                lts.append(lt)
                snaps.append(snap)
            if blen < 12:
                break
            off += blen
        return {"linktypes": lts, "snaplens": snaps}
    return {}


def parse_mptcp_options(hexopts):
    """Own parse of the raw TCP options: [(subtype, length, has_checksum)]."""
    out = []
    try:
        b = bytes.fromhex(hexopts.replace(":", ""))
    except ValueError:
        return out
    i = 0
    while i < len(b):
        kind = b[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(b) or b[i + 1] < 2:
            break
        ln = b[i + 1]
        if kind == 30 and ln >= 3 and i + 3 <= len(b):
            sub = b[i + 2] >> 4
            csum = False
            if sub == 2 and ln >= 4 and i + 4 <= len(b):
                fl = b[i + 3]
                exp = 4
                if fl & 0x01:
                    exp += 8 if fl & 0x02 else 4
                if fl & 0x04:
                    exp += (8 if fl & 0x08 else 4) + 4 + 2
                    csum = ln == exp + 2
            elif sub == 0:
                csum = ln == 24  # MP_CAPABLE with data-level length and checksum
            out.append((sub, ln, csum))
        i += ln
    return out


def observe(cap):
    obs = {}
    ci = capinfos(cap)
    obs.update({k: ci[k] for k in ("file_format", "packets", "interfaces", "snaplen") if k in ci})
    obs["link_type_names"] = ci["link_types"]
    obs.update(file_header(cap))
    obs["size_bytes"] = os.path.getsize(cap)
    fields = ["frame.number", "tcp.stream", "ip.version", "ipv6.version", "tcp.flags.syn", "tcp.flags.ack",
              "tcp.len", "tcp.options.mptcp.subtype", "tcp.options.mptcp.backup.flag",
              "tcp.options", "mptcp.stream", "tcp.options.mptcp.checksumreq.flags"]
    rows = tshark_fields(cap, fields, "tcp")
    sub_counts = collections.Counter()
    streams = set()
    mptcp_syn_streams = set()
    mpc_syn, mpc_synack = 0, 0
    join_backup = False
    data_streams = collections.Counter()
    mptcp_streams = set()
    mptcp_tcp_streams = set()
    ipver = set()
    dss_csum = 0
    csum_req = False
    raw_counts = collections.Counter()
    for r in rows:
        for (sb, _l, _c) in parse_mptcp_options(r["tcp.options"]):
            raw_counts[SUBTYPES.get(sb, str(sb))] += 1
        st = r["tcp.stream"]
        streams.add(st)
        if r["ip.version"]:
            ipver.add(int(r["ip.version"].split(",")[0]))
        elif r["ipv6.version"]:
            ipver.add(6)
        subs = [int(x) for x in r["tcp.options.mptcp.subtype"].split(",") if x != ""]
        for s in subs:
            sub_counts[SUBTYPES.get(s, str(s))] += 1
        syn = r["tcp.flags.syn"] in ("1", "True")
        ack = r["tcp.flags.ack"] in ("1", "True")
        if subs:
            mptcp_tcp_streams.add(st)
        if syn and not ack and (0 in subs or 1 in subs):
            mptcp_syn_streams.add(st)
            if 1 in subs and any(x in ("1", "True") for x in r["tcp.options.mptcp.backup.flag"].split(",")):
                join_backup = True
        if syn and not ack and 0 in subs:
            mpc_syn += 1
        if syn and ack and 0 in subs:
            mpc_synack += 1
        # tshark 4.0 shows the DSS checksum field only for some option
        # layouts, so count checksums from the option lengths ourselves
        if any(c for (_s, _l, c) in parse_mptcp_options(r["tcp.options"])):
            dss_csum += 1
        if any(x in ("1", "True") for x in r["tcp.options.mptcp.checksumreq.flags"].split(",")):
            csum_req = True
        if r["tcp.len"] and int(r["tcp.len"].split(",")[0]) > 0:
            data_streams[st] += 1
        if r["mptcp.stream"]:
            mptcp_streams.update(r["mptcp.stream"].split(","))
    obs["ip_versions"] = sorted(ipver)
    obs["tcp_streams"] = len(streams)
    obs["subflows"] = len(mptcp_syn_streams)
    obs["subflows_with_data"] = len([s for s in mptcp_syn_streams if data_streams[s] > 0])
    obs["data_packets_per_tcp_stream"] = {s: data_streams[s] for s in sorted(streams, key=lambda x: int(x))}
    obs["mptcp_connections"] = len(mptcp_streams)
    obs["subtypes"] = dict(sorted(sub_counts.items()))
    obs["subtypes_rawparse"] = dict(sorted(raw_counts.items()))
    obs["fallback"] = mpc_syn > 0 and mpc_synack == 0
    obs["checksum"] = dss_csum > 0
    obs["checksum_required_flag"] = csum_req
    obs["dss_with_checksum"] = dss_csum
    obs["join_backup"] = join_backup
    obs["retransmissions"] = tshark_count(cap, "tcp.analysis.retransmission or tcp.analysis.fast_retransmission")
    obs["reinjections"] = tshark_count(cap, "mptcp.reinjection_of")
    obs["tshark"] = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return obs


def side(report, addr, port=None):
    d = {"addr": addr}
    if port is not None:
        d["port"] = port
    d["sent"] = report["sent"]
    d["received"] = report["received"]
    d["intended_to_send"] = report["intended"]
    d["protocol"] = report["protocol"]
    for k in ("received_is_prefix_of_peer_payload", "received_all_of_peer_payload"):
        if k in report:
            d[k] = report[k]
    if report.get("errors"):
        d["errors"] = report["errors"]
    if report.get("mptcp_info"):
        d["mptcp_info"] = report["mptcp_info"]
    return d


def induced_events(cap, events):
    """Times of what the scenario did to the network (e.g. the moment a path was cut), as wall-clock epoch
    seconds and as seconds since the capture's first packet (the analyzer's capture.start)."""
    first = subprocess.run(["tshark", "-n", "-r", cap, "-c", "1", "-T", "fields", "-e", "frame.time_epoch"],
                           check=True, capture_output=True, text=True).stdout.strip()
    out = []
    for e in events:
        e = dict(e)
        e["captureSeconds"] = round(float(e["epoch"]) - float(first), 6)
        if "epochBefore" in e:
            e["captureSecondsBefore"] = round(float(e["epochBefore"]) - float(first), 6)
        out.append(e)
    return out


def main():
    p = argparse.ArgumentParser()
    for a in ("capture", "name", "description", "command", "steps", "client_report", "server_report",
              "client_addr", "server_addr", "expect", "kernel", "capture_point"):
        p.add_argument("--" + a.replace("_", "-"), required=a not in ("steps", "capture_point"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--notes", default="")
    p.add_argument("--environment", default="{}")
    p.add_argument("--induced", default="", help="JSON list of induced events, each with an 'epoch' (wall clock, "
                   "seconds); 'captureSeconds' (since the capture's first packet) is added")
    a = p.parse_args()

    cr = json.load(open(a.client_report))
    sr = json.load(open(a.server_report))
    expect = json.loads(a.expect)
    obs = observe(a.capture)

    c2s = cr["sent"] == sr["received"]
    s2c = sr["sent"] == cr["received"]
    complete = c2s and s2c and cr["sent"] == cr["intended"] and sr["sent"] == sr["intended"]
    obs["client_to_server_match"] = c2s
    obs["server_to_client_match"] = s2c
    obs["complete"] = complete
    obs["received_valid_prefix"] = bool(cr.get("received_is_prefix_of_peer_payload")) and \
        bool(sr.get("received_is_prefix_of_peer_payload"))

    failures = []
    for k, v in expect.items():
        if k == "complete":
            ok = complete == v
        elif k.startswith("min_"):
            ok = obs.get(k[4:], 0) >= v
        elif k == "subtypes":
            ok = all(obs["subtypes"].get(s, 0) > 0 for s in v)
        elif k == "absent_subtypes":
            ok = all(obs["subtypes"].get(s, 0) == 0 for s in v)
        elif k == "any_subtype":
            ok = any(obs["subtypes"].get(s, 0) > 0 for s in v)
        elif k == "retransmissions":
            ok = (obs["retransmissions"] > 0) == v
        elif k == "ip_version":
            ok = obs["ip_versions"] == [v]
        elif k in obs:
            ok = obs[k] == v
        else:
            ok = None  # a fact not checked by tshark (documentation only)
        if ok is False:
            failures.append(f"{k}: expected {v!r}, observed {obs.get(k[4:] if k.startswith('min_') else k, '?')!r}")

    meta = {
        "name": a.name,
        "description": a.description,
        "command": a.command,
        "kernel": a.kernel,
        "capture_point": a.capture_point or "",
        "environment": json.loads(a.environment),
        "client": side(cr, a.client_addr),
        "server": side(sr, a.server_addr, a.port),
        "expect": expect,
        "observed": obs,
        "verified": not failures,
    }
    if a.notes:
        meta["notes"] = a.notes
    if a.induced:
        meta["induced"] = induced_events(a.capture, json.loads(a.induced))
    if a.steps and os.path.exists(a.steps):
        meta["steps"] = [l.rstrip("\n") for l in open(a.steps) if l.strip()]
    stem = re.sub(r"\.pcap(ng)?$", "", a.capture)
    with open(stem + ".meta.json", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"{os.path.basename(a.capture)}: packets={obs.get('packets')} size={obs['size_bytes']} "
          f"subflows={obs['subflows']} (with data {obs['subflows_with_data']}) tcp_streams={obs['tcp_streams']} "
          f"subtypes={obs['subtypes']} retrans={obs['retransmissions']} complete={complete}")
    if failures:
        for fl in failures:
            print(f"  CHECK FAILED: {fl}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
