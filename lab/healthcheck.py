#!/usr/bin/env python3
"""ExaBGP health check for the anycast lab (site s2).

Run by ExaBGP as an API process (inside the site's network namespace). Every
--interval-ms it sends one SOA query for --qname to --query-address:53 over
UDP. After --rise consecutive answers it announces every --route to its
neighbour; after --fall consecutive failures it withdraws them. It only ever
queries the local VIP (the site's own server) and writes ExaBGP text-API
commands to stdout. It exits when ExaBGP closes its stdin.

  --route NEIGHBOUR=PREFIX   repeatable; e.g. 10.53.22.1=198.51.100.53/32
  --withdraw-file PATH       optional; read every interval: the address families
                             (lines "ipv4" / "ipv6") whose routes stay withdrawn
                             whatever the check says (npm run lab -- withdraw SITE
                             --family 6). A missing file withdraws nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import select
import socket
import struct
import sys
import time


def build_query(qname: str, query_id: int) -> bytes:
    header = struct.pack("!HHHHHH", query_id, 0, 1, 0, 0, 0)
    labels = b"".join(bytes([len(label)]) + label.encode() for label in qname.strip(".").split(".") if label)
    return header + labels + b"\x00" + struct.pack("!HH", 6, 1)  # SOA, IN


def answers(address: str, qname: str, timeout_s: float) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    query_id = random.randrange(0, 65536)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.sendto(build_query(qname, query_id), (address, 53))
            deadline = time.monotonic() + timeout_s
            while True:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                reply, _ = sock.recvfrom(4096)
                if len(reply) < 12:
                    continue
                reply_id, flags = struct.unpack("!HH", reply[:4])
                if reply_id != query_id or not flags & 0x8000:
                    continue
                return flags & 0x000F == 0  # NOERROR
        except OSError:  # timeout, ICMP port unreachable (ECONNREFUSED), ...
            return False


def family_of(prefix: str) -> str:
    return "ipv6" if ":" in prefix else "ipv4"


def withdrawn_families(path: str | None) -> set[str]:
    if not path:
        return set()
    try:
        with open(path, encoding="ascii") as handle:
            return {line.strip() for line in handle if line.strip() in ("ipv4", "ipv6")}
    except OSError:  # no file: nothing withdrawn by hand
        return set()


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    sys.stderr.write(f"healthcheck: {line}\n")
    sys.stderr.flush()


def stdin_closed() -> bool:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    if not readable:
        return False
    return os.read(sys.stdin.fileno(), 4096) == b""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--query-address", required=True)
    parser.add_argument("--qname", default="example")
    parser.add_argument("--interval-ms", type=int, default=500)
    parser.add_argument("--timeout-ms", type=int, default=300)
    parser.add_argument("--fall", type=int, default=2)
    parser.add_argument("--rise", type=int, default=1)
    parser.add_argument("--community", required=True)
    parser.add_argument("--route", action="append", default=[], required=True)
    parser.add_argument("--withdraw-file", default=None)
    args = parser.parse_args()
    routes = [tuple(item.split("=", 1)) for item in args.route]

    healthy = False
    announced: set[tuple[str, str]] = set()
    successes = failures = 0
    while True:
        if stdin_closed():
            return 0
        started = time.monotonic()
        if answers(args.query_address, args.qname, args.timeout_ms / 1000):
            successes, failures = successes + 1, 0
        else:
            successes, failures = 0, failures + 1
        if not healthy and successes >= args.rise:
            healthy = True
        elif healthy and failures >= args.fall:
            healthy = False
        withdrawn = withdrawn_families(args.withdraw_file)
        for route in routes:
            neighbour, prefix = route
            wanted = healthy and family_of(prefix) not in withdrawn
            if wanted and route not in announced:
                emit(f"neighbor {neighbour} announce route {prefix} next-hop self community [{args.community}]")
                announced.add(route)
            elif not wanted and route in announced:
                emit(f"neighbor {neighbour} withdraw route {prefix} next-hop self")
                announced.discard(route)
        time.sleep(max(0.0, args.interval_ms / 1000 - (time.monotonic() - started)))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(0)
