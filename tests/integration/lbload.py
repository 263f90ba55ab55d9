#!/usr/bin/env python3
"""lbload.py - a steady keep-alive load that counts every outcome, for
tests/integration/haproxy.sh and bench/lb-rolling (never run alone).

    lbload.py HOST PORT PATH [--source ADDR] [--conns N] [--max SECONDS]
        [--interval SECONDS] [--header "NAME: VALUE"] [--progress FILE]

N threads (4), each with one keep-alive connection (a new one only after
the server closed it or an error), send GET PATH with the --header fields
(any number) back to back (or with a pause of --interval after each
answer) until SIGTERM or SIGINT, or --max seconds (120).  Every response is
counted by status, every failure (refused, reset, closed without a
response, a timeout of 10 s) as an error with its kind.  --source binds the client's
side to ADDR (another loopback address than the proxy's, so that the
access log tells the client from the proxy).  --progress FILE holds the
number of answers so far, rewritten every 0.1 s, so that the caller can
see the load flowing.  At the end, one line on stdout:

    requests N ok N non2xx N errors N seconds S

(ok: 2xx; requests = ok + non2xx + errors), then one line per status and
per error kind, and the first 20 failures with their time.  The exit
status is 0 whatever was counted; 2 on bad arguments.
"""

import argparse
import http.client
import os
import signal
import sys
import threading
import time

stop = threading.Event()
lock = threading.Lock()
counts = {}  # "200", "503", "error ConnectionResetError", ...
answers = 0  # responses and errors
failures = []  # (time since start, what) for the first 20
t0 = time.monotonic()


def count(key, failed):
    global answers
    with lock:
        counts[key] = counts.get(key, 0) + 1
        answers += 1
        if failed and len(failures) < 20:
            failures.append((time.monotonic() - t0, key))


def client(host, port, path, source, interval, headers):
    src = (source, 0) if source else None
    conn = None
    while not stop.is_set():
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=10,
                source_address=src)
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            st = r.status
            count(str(st), not 200 <= st < 300)
            if r.will_close:
                conn.close()
                conn = None
        except Exception as e:  # every failure counts: nothing escapes
            count("error " + type(e).__name__, True)
            conn.close()
            conn = None
        if interval:
            stop.wait(interval)
    if conn is not None:
        conn.close()


def progress(path):
    tmp = path + ".tmp"
    while not stop.wait(0.1):
        with open(tmp, "w") as f:
            f.write("%d\n" % answers)
        os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--source")
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--max", type=float, default=120)
    ap.add_argument("--interval", type=float, default=0)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--progress")
    a = ap.parse_args()
    headers = dict(h.split(": ", 1) for h in a.header)

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=client, args=(a.host, a.port,
        a.path, a.source, a.interval, headers)) for _ in range(a.conns)]
    if a.progress:
        threads.append(threading.Thread(target=progress,
            args=(a.progress,)))
    for t in threads:
        t.start()
    stop.wait(a.max)
    stop.set()
    for t in threads:
        t.join()

    ok = sum(n for k, n in counts.items() if k.isdigit() and
        200 <= int(k) < 300)
    errors = sum(n for k, n in counts.items() if k.startswith("error "))
    total = sum(counts.values())
    print("requests %d ok %d non2xx %d errors %d seconds %.1f" % (total,
        ok, total - ok - errors, errors, time.monotonic() - t0))
    for k in sorted(counts):
        print("  %s: %d" % (k, counts[k]))
    for t, what in failures:
        print("  at %.3f s: %s" % (t, what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
