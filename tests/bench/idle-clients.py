#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Holds N idle keep-alive connections open to a proxy, for tests/bench/bench-idle.sh.

    idle-clients.py HOST PORT PATH N

Opens N connections, sends one GET on each and reads its whole answer (ten at
a time: a larger burst would have the proxy open as many upstream connections,
whose memory would count as the idle ones'), prints "ready N" and then
leaves them idle until its standard input closes. Then it prints how many the
server had closed meanwhile ("closed K") and resets them all, so that no
TIME_WAIT is left behind to run the next scenario out of local ports.
"""

import socket
import struct
import sys

WINDOW = 10


def read_answer(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("idle-clients: the server closed a connection mid-answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status:
        raise SystemExit(f"idle-clients: answered {status.decode(errors='replace')}")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("idle-clients: the server closed a connection mid-body")
        body += chunk


def main():
    host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    held = []
    for start in range(0, count, WINDOW):
        batch = []
        for _ in range(start, min(count, start + WINDOW)):
            sock = socket.create_connection((host, port))
            # closed with a reset: no TIME_WAIT left holding the local port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(request)
            batch.append(sock)
        for sock in batch:
            read_answer(sock)
        held += batch
    print(f"ready {len(held)}", flush=True)
    sys.stdin.read()
    closed = 0
    for sock in held:
        sock.setblocking(False)
        try:
            if sock.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        sock.close()
    print(f"closed {closed}", flush=True)


if __name__ == "__main__":
    main()
