#!/usr/bin/env python3
"""Writes the records target's seeds (tests/fuzz/corpus/records/) in fuzz_records.cpp's input format:
a selector byte (0 sockets, 1 events, 2 details and owners, 3 counters), then records laid out as
include/tcpsight/abi.h lays them out on x86-64. Run again after abi.h changes."""
import os
import socket
import struct

AF_INET, AF_INET6 = 2, 10
ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, TIME_WAIT, CLOSE, CLOSE_WAIT, LISTEN, NEW_SYN_RECV = 1, 2, 3, 4, 6, 7, 8, 10, 12


def addr(family, text):
    raw = socket.inet_pton(AF_INET if family == AF_INET else socket.AF_INET6, text)
    return raw.ljust(16, b"\0")


def sock(family, src, sport, dst, dport, state, syn_q=0, accept_q=0, backlog=0, tw_ms=0):
    return struct.pack("<16s16sHHBB2xIIIi", addr(family, src), addr(family, dst), sport, dport, family, state,
                       syn_q, accept_q, backlog, tw_ms)


def event(kind, family, src, sport, dst, dport, old, new, flags=0, reason=0, segs=0, tgid=0, comm=b""):
    e = struct.pack("<QQQQII16s16s16sHHBBBBBBH4x", 5_000_000_000, 0xC00C1E, 1_500_000, 9_000_000, 4026531840, tgid,
                    comm, addr(family, src), addr(family, dst), sport, dport, kind, family, old, new, flags, reason,
                    segs)
    assert len(e) == 104
    return bytes([8]) + e  # length byte: 104 - 8 + 8 % 16 = a whole record


def detail(cookie, family, src, sport, dst, dport, state, full=1):
    d = struct.pack("<QQQQQ16s16sHHBBBxIIIIIIIIIIIIiI", cookie, 1_000_000_000, 4096, 8192, 4200,
                    addr(family, src), addr(family, dst), sport, dport, family, state, full, 4026531840,
                    0, 0, 120, 40, 10, 7, 0, 0, 204, 1000, 0, 0, 0)
    assert len(d) == 136
    return d


def owner(cookie, tgid, fd, comm):
    return struct.pack("<QIIII16s", cookie, tgid, tgid, fd, 4026531840, comm)


def counters():
    transitions = [[0] * 16 for _ in range(16)]
    transitions[CLOSE][SYN_SENT] = 20
    transitions[SYN_SENT][ESTABLISHED] = 18
    transitions[SYN_SENT][CLOSE] = 2
    transitions[ESTABLISHED][FIN_WAIT1] = 10
    flat = [v for row in transitions for v in row]
    hist = [0] * 32
    hist[4] = 18
    c = struct.pack("<256Q16Q6Q32Q32Q4Q16QQ", *flat, *([0] * 16), 1, 3, 2, 10, 60, 0, *hist, *hist, 1, 0, 1, 0,
                    *([0] * 16), 0)
    assert len(c) == 2904
    return c


seeds = {
    "sockets_v4": bytes([0]) + sock(AF_INET, "127.0.0.1", 9977, "0.0.0.0", 0, LISTEN, 1, 5, 4)
    + sock(AF_INET, "127.0.0.1", 40000, "127.0.0.1", 9977, ESTABLISHED)
    + sock(AF_INET, "127.0.0.1", 40002, "127.0.0.1", 9977, TIME_WAIT, tw_ms=57_900)
    + sock(AF_INET, "127.0.0.1", 9977, "127.0.0.1", 40004, NEW_SYN_RECV),
    "sockets_v6": bytes([0]) + sock(AF_INET6, "::", 443, "::", 0, LISTEN, 0, 0, 4096)
    + sock(AF_INET6, "::ffff:10.0.0.1", 443, "::ffff:10.0.0.2", 50000, CLOSE_WAIT)
    + sock(AF_INET6, "2001:db8::1", 51000, "2001:db8::2", 443, SYN_SENT),
    "events": bytes([1]) + event(1, AF_INET, "127.0.0.1", 40000, "127.0.0.1", 9977, CLOSE, SYN_SENT, 1 | 2, tgid=42,
                                 comm=b"curl")
    + event(1, AF_INET, "127.0.0.1", 40000, "127.0.0.1", 9977, SYN_SENT, ESTABLISHED, 2)
    + event(2, AF_INET6, "2001:db8::1", 51000, "2001:db8::2", 443, ESTABLISHED, ESTABLISHED, segs=3)
    + event(4, AF_INET, "10.0.0.1", 80, "10.0.0.2", 50000, ESTABLISHED, ESTABLISHED, 32, reason=2)
    + event(1, AF_INET, "127.0.0.1", 40000, "127.0.0.1", 9977, FIN_WAIT1, CLOSE, 4 | 16 | 2),
    "details": bytes([2]) + struct.pack("<I", 2 * 136)
    + detail(7, AF_INET, "127.0.0.1", 9977, "0.0.0.0", 0, LISTEN)
    + detail(8, AF_INET6, "::1", 40000, "::1", 9977, ESTABLISHED)
    + owner(7, 100, 3, b"server") + owner(7, 101, 3, b"server") + owner(8, 200, 5, b"client"),
    "counters": bytes([3]) + counters() + counters(),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "records")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
