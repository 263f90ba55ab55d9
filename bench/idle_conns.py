#!/usr/bin/env python3
"""idle_conns.py - open N keep-alive connections that each make one request
and then sit idle, for bench/http's resident-memory-per-connection figure.

    python3 bench/idle_conns.py HOST PORT N [--path PATH] [--parallel K]
        [--timeout SECONDS] [--hold SECONDS]

Connects N sockets (at most K connecting or waiting for their response at a
time, so that a burst does not overflow the listen backlog and pay SYN
retransmits), sends one "GET PATH HTTP/1.1" on each and reads the whole
response (Content-Length or chunked).  When every connection has its
response (or failed), prints one line

    ready OK FAILED SECONDS

and keeps all the sockets open and silent for --hold seconds (or until
killed: bench/http reads the server's VmRSS, then sends SIGTERM).  Exits 1
with a "timeout ..." line if the setup takes longer than --timeout.  Only
the standard library (selectors); talks to HOST only.
"""
import argparse
import errno
import resource
import selectors
import socket
import sys
import time


def response_complete(buf):
    """True when buf holds one whole HTTP/1.1 response."""
    end = buf.find(b'\r\n\r\n')
    if end < 0:
        return False
    head = buf[:end].lower()
    body = buf[end + 4:]
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        name = name.strip()
        if name == b'content-length':
            return len(body) >= int(value.strip())
        if name == b'transfer-encoding' and b'chunked' in value:
            return body.endswith(b'0\r\n\r\n')
    return True     # no body (204/304) or none announced


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('host')
    ap.add_argument('port', type=int)
    ap.add_argument('n', type=int)
    ap.add_argument('--path', default='/hello/world')
    ap.add_argument('--parallel', type=int, default=256)
    ap.add_argument('--timeout', type=float, default=60.0)
    ap.add_argument('--hold', type=float, default=120.0)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < a.n + 16:
        sys.exit('idle_conns.py: RLIMIT_NOFILE %d is below %d connections'
                 % (hard, a.n))

    req = ('GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n'
           % (a.path, a.host, a.port)).encode('ascii')
    sel = selectors.DefaultSelector()
    idle = []           # the sockets that got their response: kept open
    bufs = {}
    started = ok = failed = busy = 0
    t0 = time.monotonic()
    deadline = t0 + a.timeout

    def fail(s):
        nonlocal failed, busy
        sel.unregister(s)
        s.close()
        bufs.pop(s, None)
        failed += 1
        busy -= 1

    while ok + failed < a.n:
        while busy < a.parallel and started < a.n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((a.host, a.port))
            started += 1
            busy += 1
            if err not in (0, errno.EINPROGRESS):
                s.close()
                failed += 1
                busy -= 1
                continue
            sel.register(s, selectors.EVENT_WRITE)
        now = time.monotonic()
        if now > deadline:
            print('timeout %d %d %.3f' % (ok, failed, now - t0), flush=True)
            return 1
        for key, ev in sel.select(timeout=min(1.0, deadline - now)):
            s = key.fileobj
            if ev & selectors.EVENT_WRITE:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    fail(s)
                    continue
                try:
                    s.send(req)     # a few dozen bytes: never partial
                except OSError:
                    fail(s)
                    continue
                bufs[s] = b''
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                fail(s)
                continue
            if not data:
                fail(s)
                continue
            bufs[s] += data
            if response_complete(bufs[s]):
                sel.unregister(s)
                del bufs[s]
                idle.append(s)
                ok += 1
                busy -= 1
    print('ready %d %d %.3f' % (ok, failed, time.monotonic() - t0),
          flush=True)
    time.sleep(a.hold)
    return 0


if __name__ == '__main__':
    sys.exit(main())
