#!/usr/bin/env python3
"""notify-listener.py SOCKET OUT SECONDS — stands in for systemd's notification socket
(sd_notify(3)): binds a unix datagram socket at SOCKET and appends each line of each datagram to
OUT as "MONOTONIC-SECONDS LINE", until a datagram holds STOPPING=1 or SECONDS have passed; then
removes SOCKET. Used by tests/integration/test-systemd.sh."""
import os
import socket
import sys
import time


def main() -> int:
    path, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    end = time.monotonic() + limit
    with open(out, "a", buffering=1, encoding="utf-8") as log:
        log.write(f"{time.monotonic():.3f} LISTENING\n")
        while time.monotonic() < end:
            try:
                data = sock.recv(4096)
            except socket.timeout:
                continue
            for line in data.decode("utf-8", "replace").split("\n"):
                log.write(f"{time.monotonic():.3f} {line}\n")
            if b"STOPPING=1" in data:
                break
    os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
