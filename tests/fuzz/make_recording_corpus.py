#!/usr/bin/env python3
"""Writes the recording target's chunk-content seeds (tests/fuzz/corpus/recording/chunk_*): the byte 1,
then the uncompressed blocks of one chunk as docs/recording-format.md lays them out, which
fuzz_recording.cpp compresses into a file before replaying it. The target's other seeds (rec_*) are
real recordings, kept as they are. Run again after abi.h or the format changes."""
import os
import struct

HEADER, COUNTERS, SNAPSHOT, EVENTS, LOSS, KERNEL_COUNTERS, OWNERS, END, NETNS_SNAPSHOT, NAMESPACES, NETNS_COUNTERS = range(1, 12)
CHUNK_CONTENT_MODE = bytes([1])
NETNS = 4026531840
T0 = 5_000_000_000  # CLOCK_MONOTONIC of the first block
AF_INET = 2
CLOSE, SYN_SENT, ESTABLISHED, LISTEN = 7, 2, 1, 10
LOOPBACK = bytes([127, 0, 0, 1]).ljust(16, b"\0")


def block(kind, mono_ns, payload, version=1):
    return struct.pack("<HHIQ", kind, version, len(payload), mono_ns) + payload


def array(netns, size, records, started_ns, shuffled=False):
    data = b"".join(records)
    if shuffled:  # a column per byte: byte j of record i at j * count + i
        data = bytes(records[i][j] for j in range(size) for i in range(len(records)))
    return struct.pack("<IIIIQ", netns, size, len(records), 0, started_ns) + data


def counters(opens):
    values = [0] * (2904 // 8)
    values[CLOSE * 16 + SYN_SENT] = opens       # transitions[CLOSE][SYN_SENT]
    values[SYN_SENT * 16 + ESTABLISHED] = opens  # transitions[SYN_SENT][ESTABLISHED]
    values[2208 // 8] = 2 * opens                # events_seen
    c = struct.pack("<363Q", *values)
    return struct.pack("<IIQ", len(c), 0, 0) + c


def event(ts_ns, cookie, old, new, sport, dport, flags=0, tgid=0, comm=b""):
    e = struct.pack("<QQQQII16s16s16sHHBBBBBBH4x", ts_ns, cookie, 20_000, 0, NETNS, tgid, comm, LOOPBACK, LOOPBACK,
                    sport, dport, 1, AF_INET, old, new, flags, 0, 0)
    assert len(e) == 104
    return e


def sock(sport, dport, state, backlog=0):
    return struct.pack("<16s16sHHBB2xIIIi", LOOPBACK, LOOPBACK, sport, dport, AF_INET, state, 0, 0, backlog, 0)


def owner(cookie, tgid, fd, comm):
    return struct.pack("<QIIII16s", cookie, tgid, tgid, fd, NETNS, comm)


def netns_counters(inode, opens):
    values = [0] * (2360 // 8)
    values[CLOSE * 16 + SYN_SENT] = opens  # transitions[CLOSE][SYN_SENT]
    return struct.pack("<II", inode, 0) + struct.pack("<295Q", *values)


header = block(HEADER, T0, b"{}")
connection = [event(T0 + 1000, 7, CLOSE, SYN_SENT, 40000, 8080, 1 | 2, 42, b"curl"),
              event(T0 + 2000, 7, SYN_SENT, ESTABLISHED, 40000, 8080, 2)]

seeds = {
    "chunk_header": header,
    "chunk_counters": header + block(COUNTERS, T0, counters(1)) + block(COUNTERS, T0 + 100_000_000, counters(3)),
    "chunk_events": header + block(EVENTS, T0 + 50_000_000, array(NETNS, 104, connection, T0 + 1000, True))
    + block(END, T0 + 60_000_000, b'{"reason":"duration"}'),
    "chunk_every_block": header + block(COUNTERS, T0, counters(1))
    + block(SNAPSHOT, T0, array(NETNS, 56, [sock(8080, 0, LISTEN, 128), sock(40000, 8080, ESTABLISHED)], T0))
    + block(KERNEL_COUNTERS, T0, b"Tcp.ActiveOpens 1\nTcpExt.ListenOverflows 0\nsysctl.ip_local_port_range 32768 60999\n")
    + block(EVENTS, T0 + 50_000_000, array(NETNS, 104, connection, T0 + 1000, True))
    + block(LOSS, T0 + 100_000_000, struct.pack("<QQQ", 1, 0, 0))
    + block(OWNERS, T0 + 200_000_000, array(0, 40, [owner(7, 42, 3, b"curl")], T0 + 150_000_000))
    + block(END, T0 + 1_000_000_000, b'{"reason":"size","next_file":"x.tsr.1"}'),
    "chunk_namespaces": block(HEADER, T0, b'{"netns":0,"namespaces":"all"}') + block(COUNTERS, T0, counters(2))
    + block(NETNS_COUNTERS, T0, array(0, 2368, [netns_counters(NETNS, 1), netns_counters(NETNS + 1, 1)], 0))
    + block(NETNS_SNAPSHOT, T0, array(NETNS + 1, 56, [sock(8080, 0, LISTEN, 128)], T0))
    + block(NAMESPACES, T0 + 1000, b'{"watch":{"seen":2,"entered":2,"failed":0,"unreadable":0},"namespaces":['
            b'{"netns":4026531840,"name":"host","kind":"host","host":true,"snapshot_age_s":0.5,'
            b'"kernel":{"Tcp.ActiveOpens":1},"port_range":[32768,60999],"max_time_wait":4096},'
            b'{"netns":4026531841,"name":"web","kind":"podman","container_id":"abc","snapshot_age_s":0}]}')
    + block(END, T0 + 1_000_000_000, b'{"reason":"signal"}'),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "recording")
os.makedirs(out, exist_ok=True)
for name, content in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(CHUNK_CONTENT_MODE + content)
