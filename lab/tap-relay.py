#!/usr/bin/env python3
"""Userspace L2 relay between two TAP devices that adds one-way delay and loss.

Why this exists: the lab kernel has no sch_netem, so link delay and loss are
emulated here instead. Frames read from TAP A are written to TAP B after the
A->B delay (and vice versa), unless dropped by the per-direction loss.

Lifecycle:
  1. Started inside a (relay) network namespace; it creates both TAP devices
     there (non-persistent, so they vanish when this process exits, even on
     SIGKILL).
  2. Writes the pid file, then prints one line to stdout:
       ready tap_a=NAME tap_b=NAME pid=PID control=PATH|-
  3. The caller moves the devices with `ip link set NAME netns NS`; the file
     descriptors keep working after the move.
  4. SIGTERM or SIGINT: stops, drops frames still queued, removes the pid file
     and control socket, exits 0.

Runtime control (--control PATH): a unix *stream* socket (stream rather than
datagram because Node's net module speaks unix stream sockets but not unix
datagrams). A client connects, sends one JSON object terminated by a newline,
and receives one JSON line back, after which the relay closes the connection.
Request keys (all optional; an empty object just reads the state):
  delay_ms, loss_pct                  both directions
  a_to_b_delay_ms, b_to_a_delay_ms    one direction (wins over delay_ms)
  a_to_b_loss_pct, b_to_a_loss_pct    one direction (wins over loss_pct)
  reset_stats                         true zeroes the counters
  wake_compensation                   true/false, see below
Reply: {"ok": true, "a_to_b": {...settings and counters...}, "b_to_a": {...},
"wake_compensation": bool} or {"ok": false, "error": "..."}; a refused request
changes nothing. A new setting applies to frames read after
the reply is sent; frames already queued keep the due time they were given.
From a shell: tap-relay.py --control PATH --send '{"delay_ms": 0}'

Timing: one thread, select() with a timeout computed from the earliest due
frame (select takes microseconds, unlike poll/epoll which round up to whole
milliseconds), monotonic nanosecond clock, kernel timer slack set to 1 ns.
A frame's due time is max(read time + delay, due time of the previous frame
in the same direction), so lowering the delay never reorders frames.

Wake-up compensation: a sleeping process wakes some tens of microseconds after
its timer (more in a VM). So the relay sleeps until `due - early` and sends
every frame with `due <= now + early`, where `early` (per direction) tracks
the median of how late timer-held frames are handed to the kernel: a sign-step
quantile tracker (+2 us when a frame went out late, -2 us when early), which
the occasional multi-millisecond stall cannot drag away. Frames then leave
around their due time instead of always after it. Switch it off with
--no-wake-compensation or {"wake_compensation": false}.

Status counters include the lateness (handed-to-kernel time minus due time)
of forwarded frames: mean and max over all, median and p90 over the last 2048.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import errno
import fcntl
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
PR_SET_TIMERSLACK = 29
MAX_FRAME_BYTES = 65536
MAX_CONTROL_REQUEST_BYTES = 65536
DEFAULT_QUEUE_LIMIT = 10000
LATENESS_SAMPLES_KEPT = 2048
EARLY_STEP_NS = 2_000
EARLY_MAX_NS = 500_000


def open_tap(name: str) -> int:
    """Create a non-persistent TAP device and return its non-blocking fd."""
    if not 0 < len(name.encode()) <= 15:
        raise ValueError(f"interface name must be 1..15 bytes: {name!r}")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        ifreq = struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
        fcntl.ioctl(fd, TUNSETIFF, ifreq)
    except OSError:
        os.close(fd)
        raise
    return fd


def reduce_timer_slack() -> None:
    """Ask for 1 ns timer slack; the default 50 us would add wake-up jitter."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # best effort: fidelity is a bit worse, behaviour is the same


def use_realtime_priority(priority: int) -> None:
    """SCHED_FIFO so that other busy processes on a small machine cannot delay
    a due frame by a scheduler tick. Safe because the relay never spins: it
    always blocks in select() between frames."""
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))


def new_direction(name: str, delay_ms: float, loss_pct: float) -> dict:
    direction = {
        "name": name,
        "delay_ns": 0,
        "loss_pct": 0.0,
        "queue": collections.deque(),  # (due_ns, frame), due_ns non-decreasing
        "last_due_ns": 0,
        "early_ns": 0,  # wake-up compensation, see the module docstring
        "held_count": 0,  # frames at the queue head that wait for a timer
    }
    set_delay(direction, delay_ms)
    set_loss(direction, loss_pct)
    reset_counters(direction)
    return direction


def reset_counters(direction: dict) -> None:
    direction.update(
        received=0,
        forwarded=0,
        dropped_loss=0,
        dropped_queue_full=0,
        write_errors=0,
        lateness_sum_ns=0,
        lateness_max_ns=None,
        # Recent samples only, for the median/p90 in status replies.
        lateness_recent=collections.deque(maxlen=LATENESS_SAMPLES_KEPT),
    )


def delay_ns_from_ms(delay_ms: object) -> int:
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, (int, float)) or not 0 <= delay_ms <= 60_000:
        raise ValueError(f"delay_ms must be a number in 0..60000: {delay_ms!r}")
    return int(round(delay_ms * 1_000_000))


def checked_loss_pct(loss_pct: object) -> float:
    if isinstance(loss_pct, bool) or not isinstance(loss_pct, (int, float)) or not 0 <= loss_pct <= 100:
        raise ValueError(f"loss_pct must be a number in 0..100: {loss_pct!r}")
    return float(loss_pct)


def set_delay(direction: dict, delay_ms: float) -> None:
    direction["delay_ns"] = delay_ns_from_ms(delay_ms)


def set_loss(direction: dict, loss_pct: float) -> None:
    direction["loss_pct"] = checked_loss_pct(loss_pct)


def describe_direction(direction: dict) -> dict:
    forwarded = direction["forwarded"]
    mean_lateness_us = direction["lateness_sum_ns"] / forwarded / 1000 if forwarded else 0.0
    recent = sorted(direction["lateness_recent"])
    median_ns = recent[len(recent) // 2] if recent else 0
    p90_ns = recent[int(len(recent) * 0.9)] if recent else 0
    return {
        "delay_ms": direction["delay_ns"] / 1_000_000,
        "loss_pct": direction["loss_pct"],
        "queued": len(direction["queue"]),
        "received": direction["received"],
        "forwarded": forwarded,
        "dropped_loss": direction["dropped_loss"],
        "dropped_queue_full": direction["dropped_queue_full"],
        "write_errors": direction["write_errors"],
        "wake_early_us": round(direction["early_ns"] / 1000, 1),
        "mean_lateness_us": round(mean_lateness_us, 1),
        "median_lateness_us": round(median_ns / 1000, 1),
        "p90_lateness_us": round(p90_ns / 1000, 1),
        "max_lateness_us": round((direction["lateness_max_ns"] or 0) / 1000, 1),
    }


def enqueue_frame(direction: dict, frame: bytes, now_ns: int, rng: random.Random, queue_limit: int) -> None:
    direction["received"] += 1
    loss_pct = direction["loss_pct"]
    if loss_pct > 0 and (loss_pct >= 100 or rng.random() * 100 < loss_pct):
        direction["dropped_loss"] += 1
        return
    if len(direction["queue"]) >= queue_limit:
        direction["dropped_queue_full"] += 1
        return
    # max() keeps order within the direction when the delay is lowered at runtime.
    due_ns = max(now_ns + direction["delay_ns"], direction["last_due_ns"])
    direction["last_due_ns"] = due_ns
    direction["queue"].append((due_ns, frame))


def drain_tap(fd: int, direction: dict, rng: random.Random, queue_limit: int) -> None:
    """Read every frame currently available; timestamp each as it is read."""
    while True:
        try:
            frame = os.read(fd, MAX_FRAME_BYTES)
        except BlockingIOError:
            return
        except OSError as error:
            # EIO/EBADFD can show up briefly while the device is moved or down.
            if error.errno in (errno.EIO, errno.EBADFD, errno.EINTR):
                return
            raise
        if not frame:
            return
        enqueue_frame(direction, frame, time.monotonic_ns(), rng, queue_limit)


def send_due_frames(direction: dict, out_fd: int, timing: dict) -> None:
    queue = direction["queue"]
    while queue and queue[0][0] <= time.monotonic_ns() + direction["early_ns"]:
        due_ns, frame = queue.popleft()
        # Lateness is taken when the frame is handed to the kernel: the write
        # itself runs the far end's receive path (and e.g. an ICMP echo reply),
        # so its end is later than the moment the frame "arrives".
        lateness_ns = time.monotonic_ns() - due_ns
        # Only frames that were queued and not yet due when the relay last went
        # to sleep say something about wake-up latency; a frame already due
        # when it was read (delay ~0) would only ever push `early` up.
        held_by_timer = direction["held_count"] > 0
        if held_by_timer:
            direction["held_count"] -= 1
        try:
            os.write(out_fd, frame)
        except OSError:
            # The peer device may be down (EIO) or its queue full: count it as a
            # drop; a real link would lose the frame too.
            direction["write_errors"] += 1
            continue
        if held_by_timer and timing["compensate"]:
            track_lateness(direction, lateness_ns)
        direction["forwarded"] += 1
        direction["lateness_sum_ns"] += lateness_ns
        direction["lateness_recent"].append(lateness_ns)
        if direction["lateness_max_ns"] is None or lateness_ns > direction["lateness_max_ns"]:
            direction["lateness_max_ns"] = lateness_ns


def mark_held_frames(directions: list) -> None:
    """Called just before sleeping: every frame still queued now waits for a timer."""
    for direction in directions:
        direction["held_count"] = len(direction["queue"])


def next_timeout_seconds(directions: list, now_ns: int) -> float | None:
    wake_times = [d["queue"][0][0] - d["early_ns"] for d in directions if d["queue"]]
    if not wake_times:
        return None
    return max(0, min(wake_times) - now_ns) / 1e9


def calibrate_wake_latency(samples: int = 15, sleep_ns: int = 1_000_000) -> int:
    """Median oversleep of a short select(): the tracker's starting point (~20 ms)."""
    oversleeps = []
    for _ in range(samples):
        start_ns = time.monotonic_ns()
        select.select([], [], [], sleep_ns / 1e9)
        oversleeps.append(time.monotonic_ns() - start_ns - sleep_ns)
    oversleeps.sort()
    return min(max(oversleeps[len(oversleeps) // 2], 0), EARLY_MAX_NS)


def track_lateness(direction: dict, lateness_ns: int) -> None:
    """Sign-step quantile tracker: converges to the median natural lateness.
    Per direction, because the two differ (a request often wakes an idle CPU,
    its reply finds it busy)."""
    step = EARLY_STEP_NS if lateness_ns > 0 else -EARLY_STEP_NS
    direction["early_ns"] = min(max(direction["early_ns"] + step, 0), EARLY_MAX_NS)


def set_wake_compensation(timing: dict, directions: list, enabled: bool) -> None:
    if enabled == timing["compensate"]:
        return
    for direction in directions:
        direction["early_ns"] = timing["calibrated_early_ns"] if enabled else 0
    timing["compensate"] = enabled


def apply_control_request(request: dict, a_to_b: dict, b_to_a: dict, timing: dict) -> None:
    """Validate everything first so that a bad request changes nothing."""
    if not isinstance(request, dict):
        raise ValueError("request must be a JSON object")
    known = {
        "delay_ms", "loss_pct", "a_to_b_delay_ms", "b_to_a_delay_ms",
        "a_to_b_loss_pct", "b_to_a_loss_pct", "reset_stats", "wake_compensation",
    }
    unknown = set(request) - known
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    updates = []  # (direction, key, validated value)
    for direction, prefix in ((a_to_b, "a_to_b_"), (b_to_a, "b_to_a_")):
        delay = request.get(prefix + "delay_ms", request.get("delay_ms"))
        loss = request.get(prefix + "loss_pct", request.get("loss_pct"))
        if delay is not None:
            updates.append((direction, "delay_ns", delay_ns_from_ms(delay)))
        if loss is not None:
            updates.append((direction, "loss_pct", checked_loss_pct(loss)))
    compensation = request.get("wake_compensation")
    if compensation is not None and not isinstance(compensation, bool):
        raise ValueError(f"wake_compensation must be true or false: {compensation!r}")
    for direction, key, value in updates:
        direction[key] = value
    if compensation is not None:
        set_wake_compensation(timing, [a_to_b, b_to_a], compensation)
    if request.get("reset_stats") is True:
        reset_counters(a_to_b)
        reset_counters(b_to_a)


def describe_relay(a_to_b: dict, b_to_a: dict, timing: dict) -> dict:
    return {
        "a_to_b": describe_direction(a_to_b),
        "b_to_a": describe_direction(b_to_a),
        "wake_compensation": timing["compensate"],
    }


def answer_control_request(raw: bytes, a_to_b: dict, b_to_a: dict, timing: dict) -> bytes:
    try:
        text = raw.decode("utf-8").strip()
        apply_control_request(json.loads(text) if text else {}, a_to_b, b_to_a, timing)
        reply = {"ok": True, **describe_relay(a_to_b, b_to_a, timing)}
    except (ValueError, UnicodeDecodeError) as error:
        reply = {"ok": False, "error": str(error)}
    return (json.dumps(reply) + "\n").encode()


def open_control_socket(path: str) -> socket.socket:
    if os.path.exists(path):
        os.unlink(path)  # a stale socket from a killed relay
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(8)
    listener.setblocking(False)
    return listener


def handle_control_readable(conn: socket.socket, buffers: dict, a_to_b: dict, b_to_a: dict, timing: dict) -> None:
    """Read from one control connection; answer once a full line arrived."""
    try:
        chunk = conn.recv(4096)
    except BlockingIOError:
        return
    except OSError:
        chunk = b""
    buffer = buffers[conn] + chunk
    complete = b"\n" in buffer or not chunk or len(buffer) > MAX_CONTROL_REQUEST_BYTES
    if not complete:
        buffers[conn] = buffer
        return
    del buffers[conn]
    if buffer.strip() or chunk:
        try:
            # The reply is a few hundred bytes and always fits the socket buffer.
            conn.send(answer_control_request(buffer.split(b"\n", 1)[0], a_to_b, b_to_a, timing))
        except OSError:
            pass
    conn.close()


def send_control_request(path: str, request_text: str) -> int:
    """Client mode, for shells: print the relay's reply, exit 0 if ok."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(path)
        client.sendall(request_text.strip().encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = client.recv(4096)
            if not chunk:
                break
            reply += chunk
    sys.stdout.write(reply.decode())
    return 0 if json.loads(reply).get("ok") else 1


def install_signal_wakeup() -> tuple[int, dict]:
    """Signals set flags and write to a pipe so that select() returns at once."""
    flags = {"stop": False}
    read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

    def request_stop(_signum, _frame):
        flags["stop"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # keep running if the terminal goes
    return read_fd, flags


def run_relay(args: argparse.Namespace) -> int:
    reduce_timer_slack()
    if args.realtime_priority:
        use_realtime_priority(args.realtime_priority)
    wakeup_fd, flags = install_signal_wakeup()
    rng = random.Random(args.seed)
    a_to_b = new_direction("a_to_b", args.delay_ms, args.loss_pct)
    b_to_a = new_direction(
        "b_to_a",
        args.delay_ms if args.delay_b_to_a_ms is None else args.delay_b_to_a_ms,
        args.loss_pct if args.loss_b_to_a_pct is None else args.loss_b_to_a_pct,
    )
    # Calibrated once, before any frame flows: it blocks for ~20 ms.
    timing = {"compensate": False, "calibrated_early_ns": calibrate_wake_latency()}
    set_wake_compensation(timing, [a_to_b, b_to_a], args.wake_compensation)
    fd_a = open_tap(args.tap_a)
    fd_b = open_tap(args.tap_b)
    listener = open_control_socket(args.control) if args.control else None
    if args.pid_file:
        with open(args.pid_file, "w") as pid_file:
            pid_file.write(f"{os.getpid()}\n")
    print(f"ready tap_a={args.tap_a} tap_b={args.tap_b} pid={os.getpid()} control={args.control or '-'}", flush=True)

    control_buffers: dict = {}
    stdin_fd = sys.stdin.fileno() if args.exit_on_stdin_eof else None
    try:
        while not flags["stop"]:
            send_due_frames(a_to_b, fd_b, timing)
            send_due_frames(b_to_a, fd_a, timing)
            watched = [fd_a, fd_b, wakeup_fd, *control_buffers]
            if listener is not None:
                watched.append(listener)
            if stdin_fd is not None:
                watched.append(stdin_fd)
            mark_held_frames([a_to_b, b_to_a])
            timeout = next_timeout_seconds([a_to_b, b_to_a], time.monotonic_ns())
            readable, _, _ = select.select(watched, [], [], timeout)
            for ready in readable:
                if ready == fd_a:
                    drain_tap(fd_a, a_to_b, rng, args.queue_limit)
                elif ready == fd_b:
                    drain_tap(fd_b, b_to_a, rng, args.queue_limit)
                elif ready == wakeup_fd:
                    while True:
                        try:
                            if not os.read(wakeup_fd, 256):
                                break
                        except BlockingIOError:
                            break
                elif ready is listener:
                    accept_control_connections(listener, control_buffers)
                elif ready == stdin_fd:
                    if not os.read(stdin_fd, 4096):
                        flags["stop"] = True  # parent is gone: do not linger as an orphan
                else:
                    handle_control_readable(ready, control_buffers, a_to_b, b_to_a, timing)
    finally:
        for conn in control_buffers:
            conn.close()
        os.close(fd_a)
        os.close(fd_b)
        if listener is not None:
            listener.close()
            remove_quietly(args.control)
        if args.pid_file:
            remove_quietly(args.pid_file)
    print(f"stopped {json.dumps(describe_relay(a_to_b, b_to_a, timing))}", file=sys.stderr, flush=True)
    return 0


def accept_control_connections(listener: socket.socket, buffers: dict) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(False)
        buffers[conn] = b""


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Delay/loss relay between two TAP devices.")
    parser.add_argument("--tap-a", help="name of TAP device A (created)")
    parser.add_argument("--tap-b", help="name of TAP device B (created)")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay A->B (and B->A unless given)")
    parser.add_argument("--delay-b-to-a-ms", type=float, default=None)
    parser.add_argument("--loss-pct", type=float, default=0.0, help="random loss A->B (and B->A unless given)")
    parser.add_argument("--loss-b-to-a-pct", type=float, default=None)
    parser.add_argument("--control", help="path of the unix stream control socket")
    parser.add_argument("--pid-file")
    parser.add_argument("--seed", type=int, default=None, help="seed for the loss RNG")
    parser.add_argument("--queue-limit", type=int, default=DEFAULT_QUEUE_LIMIT, help="max frames queued per direction")
    parser.add_argument(
        "--no-wake-compensation", dest="wake_compensation", action="store_false",
        help="send frames only at or after their due time (see the module docstring)",
    )
    parser.add_argument(
        "--realtime-priority", type=int, default=0, metavar="1..99",
        help="run under SCHED_FIFO with this priority (0: normal scheduling)",
    )
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes (parent died)")
    parser.add_argument("--send", metavar="JSON", help="client mode: send JSON to --control and print the reply")
    args = parser.parse_args(argv)
    if args.send is not None:
        if not args.control:
            parser.error("--send needs --control")
        return args
    if not args.tap_a or not args.tap_b:
        parser.error("--tap-a and --tap-b are required")
    if args.tap_a == args.tap_b:
        parser.error("--tap-a and --tap-b must differ")
    if not 0 <= args.realtime_priority <= 99:
        parser.error("--realtime-priority must be 0..99")
    try:
        for delay_ms in (args.delay_ms, args.delay_b_to_a_ms or 0.0):
            delay_ns_from_ms(delay_ms)
        for loss_pct in (args.loss_pct, args.loss_b_to_a_pct or 0.0):
            checked_loss_pct(loss_pct)
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.send is not None:
        return send_control_request(args.control, args.send)
    try:
        return run_relay(args)
    except OSError as error:
        print(f"tap-relay: {error}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
