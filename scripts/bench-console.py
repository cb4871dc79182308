#!/usr/bin/env python3
"""Time ehttp-console from exec to its first drawn screen, on a real pty.

usage: bench-console.py BUILD_DIR DB RUNS

The clock starts just before fork() and stops when the terminal has
received the first screen with its data: the key bar ("Quit"), the
Overview's "as of" time (drawn with its sections) and the certificate
count, which the console fills in after a first frame ("100000 active").
(Not the Overview's last section: a database with many certificates the
site server cannot renew lists them first and pushes it off the screen.) Prints the median in ms; each
run's figure goes to stderr. The console is quit with F10 (killed if it
does not go within 5 s).
"""
import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time

MARKERS = (re.compile(rb"Quit"), re.compile(rb"as of [0-9]"),
           re.compile(rb"[0-9]+ active"))


def one_run(console, db):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.execve(console, [console, "--db", db, "--no-mouse"], env)
    os.close(slave)
    seen = b""
    ms = None
    deadline = t0 + 10
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        seen += data
        if all(m.search(seen) for m in MARKERS):
            ms = (time.monotonic() - t0) * 1000
            break
    os.write(master, b"\x1b[21~")  # F10
    end = time.monotonic() + 5
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                os.read(master, 65536)
            except OSError:
                pass
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(master)
    if ms is None:
        sys.exit("bench-console: no first screen within 10 s")
    return ms


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: bench-console.py BUILD_DIR DB RUNS")
    console = os.path.join(sys.argv[1], "ehttp-console")
    runs = int(sys.argv[3])
    one_run(console, sys.argv[2])  # warm the page cache, not counted
    times = sorted(one_run(console, sys.argv[2]) for _ in range(runs))
    for t in times:
        print("bench-console: %.1f ms" % t, file=sys.stderr)
    mid = len(times) // 2
    med = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    print("%.0f" % med)


if __name__ == "__main__":
    main()
