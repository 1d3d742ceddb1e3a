#!/usr/bin/env bash
# Makes tests/data/recording-v1.tsr and its .expected.json: 30 loopback connections (10 closed by
# the client, 10 by the server, 10 with a reset) recorded in a fresh namespace, and what the kernel
# counted meanwhile (nstat's Tcp and TcpExt deltas, ss's TIME_WAIT count at the end). The test that
# replays it (tests/unit/record_old_file_test.cpp) checks the replay against those kernel figures,
# so that files from this version stay readable. Run as root with a built tcpsight:
#   tests/data/make_recording.sh build-dev/tcpsight
set -euo pipefail
bin=$(realpath "$1")
cd "$(dirname "$0")"
ns=ts-make-recording-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip -n "$ns" link set lo up
counters() { ip netns exec "$ns" cat /proc/net/snmp | awk '/^Tcp:/ {if (!h) {split($0, k); h=1} else {for (i = 2; i <= NF; i++) print k[i], $i}}'; }
counters > /tmp/$ns.before
ip netns exec "$ns" "$bin" record -w recording-v1.tsr --duration 3 2>/dev/null &
rec=$!
sleep 1
ip netns exec "$ns" python3 - <<'PY'
import socket, struct
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(64); port = srv.getsockname()[1]
for mode in ("client", "server", "reset"):
    for _ in range(10):
        c = socket.create_connection(("127.0.0.1", port)); a, _ = srv.accept()
        if mode == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close(); a.close()
        elif mode == "client":
            c.close(); a.recv(1); a.close()
        else:
            a.close(); c.recv(1); c.close()
PY
wait "$rec"
counters > /tmp/$ns.after
tw=$(ip netns exec "$ns" ss -tanH state time-wait | wc -l)
python3 - "$tw" /tmp/$ns.before /tmp/$ns.after > recording-v1.expected.json <<'PY'
import json, sys
read = lambda p: {k: int(v) for k, v in (l.split() for l in open(p))}
b, a = read(sys.argv[2]), read(sys.argv[3])
print(json.dumps({"Tcp.ActiveOpens": a["ActiveOpens"] - b["ActiveOpens"],
                  "Tcp.PassiveOpens": a["PassiveOpens"] - b["PassiveOpens"],
                  "Tcp.EstabResets": a["EstabResets"] - b["EstabResets"],
                  "ss_time_wait_at_end": int(sys.argv[1])}, indent=1))
PY
rm -f /tmp/$ns.before /tmp/$ns.after
