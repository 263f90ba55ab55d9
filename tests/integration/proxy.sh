#!/bin/sh
# proxy.sh - the PROXY protocol on a listen entry with proxy_protocol, and
# X-Forwarded-For from trusted_proxies, against the real asyncd: raw
# sockets (python3) send v1 and v2 headers, whole, byte by byte and with
# the request in the same segment, and the access log (combined) must show
# the address the header carried; a connection without a valid header is
# closed without a byte of response and counted as parse error kind
# "proxy"; a header that never ends is closed at the header timeout.
# X-Forwarded-For counts only from a trusted peer (the socket's, or the
# one a PROXY header gave): the right-most untrusted address wins, across
# several field lines; an untrusted peer's is ignored.
#
# Needs python3 (SKIP without, FAIL under CI=true).
# Environment: top_srcdir, top_builddir (automake); ASYNCD_WRAPPER as in
# config.sh.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_WRAPPER:=}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
if ! command -v python3 >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "FAIL: no python3 under CI" >&2; exit 1; }
	echo "SKIP: no python3"
	exit 77
fi

. "$top_srcdir/tests/integration/lib.sh"
it_init proxy

# waitlog PATTERN WHAT: until the error log has PATTERN (10 s at most).
waitlog() {
	i=0
	until grep -q "$1" "$tmp/err"; do
		i=$((i + 1))
		[ "$i" -le 200 ] || die "$2: no \"$1\" in the log after 10 s"
		sleep 0.05
	done
}

# Two listeners on one address need two ports: the PROXY one's is picked
# here (free now; the kernel gives ephemeral ports in turn, not at once
# again), the plain one's by the kernel.
pport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    die "no free port"
cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:$pport proxy_protocol", "127.0.0.1:0" ];
trusted_proxies = [ "127.0.0.1", "10.0.0.0/8", "2001:db8:ffff::/48" ];
timeouts = { header = 1.0; heartbeat = 1.0; };
log = { access = "$tmp/access.log"; flush = 0; level = "info"; };
EOC
"$asyncd" -t -c "$tmp/a.conf" >/dev/null 2>&1 || die "asyncd -t refused it"
"$asyncd" -T -c "$tmp/a.conf" 2>/dev/null >"$tmp/dump"
grep -q "^listen = \[ \"127.0.0.1:$pport proxy_protocol\", \"127.0.0.1:0\" \];$" \
    "$tmp/dump" || die "asyncd -T: $(grep '^listen' "$tmp/dump")"
grep -q '^trusted_proxies = \[ "127.0.0.1/32", "10.0.0.0/8", "2001:db8:ffff::/48" \];$' \
    "$tmp/dump" || die "asyncd -T: $(grep '^trusted' "$tmp/dump")"

# shellcheck disable=SC2086
$ASYNCD_WRAPPER "$asyncd" -c "$tmp/a.conf" 2>"$tmp/err" &
pid=$!
waitlog 'started:' "start"
grep -q "listening on 127.0.0.1:$pport (PROXY protocol)$" "$tmp/err" ||
    die "no \"listening on 127.0.0.1:$pport (PROXY protocol)\""
port=$(sed -n 's/.*: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
    "$tmp/err" | head -n 1)
[ -n "$port" ] || die "no plain listener"

python3 - "$pport" "$port" "$tmp/access.log" >"$tmp/py" 2>&1 <<'EOP'
import socket, struct, sys, time

pport, port, alog = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
SIG = b"\r\n\r\n\x00\r\nQUIT\n"

def get(extra=b"", close=True):
    return (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + extra +
            (b"Connection: close\r\n" if close else b"") + b"\r\n")

def v2(cmd, fam, body):
    return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body

def a4(src, dst, sp, dp):
    return (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack("!HH", sp, dp))

def a6(src, dst, sp, dp):
    return (socket.inet_pton(socket.AF_INET6, src) +
            socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!HH", sp, dp))

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def conn(p):
    s = socket.create_connection(("127.0.0.1", p), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def drain(s):
    """All the server sends until it closes: (bytes, reset)."""
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            return out, True
        if not b:
            return out, False
        out += b

def send_pieces(s, pieces):
    for p in pieces:
        s.sendall(p)
        # A segment each (partial reads).  The byte-by-byte cases send 50
        # pieces inside the 1 s header timeout: 5 ms each keeps them well
        # inside it on a loaded machine (20 ms came within a tick of it).
        time.sleep(0.005)

nlines = 0
def expect_log(addr, what):
    """The next access log line is addr's."""
    global nlines
    deadline = time.time() + 10
    while True:
        with open(alog) as f:
            lines = f.read().splitlines()
        if len(lines) > nlines:
            break
        if time.time() > deadline:
            fail(what + ": no access log line")
        time.sleep(0.02)
    line = lines[nlines]
    nlines += 1
    if line.split(" ")[0] != addr:
        fail("%s: logged %r, want %s" % (what, line, addr))

def request(p, pieces, addr, what):
    s = conn(p)
    send_pieces(s, pieces)
    out, _ = drain(s)
    s.close()
    if not out.startswith(b"HTTP/1.1 200 "):
        fail("%s: %r" % (what, out[:60]))
    expect_log(addr, what)

def refused(pieces, what):
    """Closed without a byte of response, and nothing logged."""
    s = conn(pport)
    send_pieces(s, pieces)
    out, _ = drain(s)
    s.close()
    if out:
        fail("%s: answered %r" % (what, out[:60]))

# v1, whole, with the request in the same segment.
h = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 %d\r\n" % pport
request(pport, [h + get()], "192.0.2.7", "v1 TCP4")
# v1 TCP6, byte by byte, the request's first bytes with the header's last.
h = b"PROXY TCP6 2001:db8::7 2001:db8::1 1234 80\r\n" + get()
request(pport, [h[i:i + 1] for i in range(50)] + [h[50:]], "2001:db8::7",
        "v1 TCP6 byte by byte")
# v2 INET with a TLV, whole with its request.
h = v2(0x21, 0x11, a4("192.0.2.8", "198.51.100.1", 1, 80) +
       b"\x01\x00\x02h2")
request(pport, [h + get()], "192.0.2.8", "v2 INET")
# v2 INET6 in three pieces, the last with the request.
h = v2(0x21, 0x21, a6("2001:db8::9", "2001:db8::1", 2, 80))
request(pport, [h[:5], h[5:20], h[20:] + get()], "2001:db8::9",
        "v2 INET6 in pieces")
# v2 LOCAL and v1 UNKNOWN (a proxy's health checks): the socket's peer.
request(pport, [v2(0x20, 0x00, b"") + get()], "127.0.0.1", "v2 LOCAL")
request(pport, [b"PROXY UNKNOWN\r\n" + get()], "127.0.0.1", "v1 UNKNOWN")

# Keep-alive: the header once, two requests, the connection parked
# between them: both are the client's.
s = conn(pport)
s.sendall(b"PROXY TCP4 192.0.2.10 198.51.100.1 5 80\r\n" + get(close=False))
r = s.recv(65536)
if not r.startswith(b"HTTP/1.1 200 "):
    fail("keep-alive first: %r" % r[:60])
expect_log("192.0.2.10", "keep-alive first")
time.sleep(0.2)
s.sendall(get())
out, _ = drain(s)
s.close()
if not out.startswith(b"HTTP/1.1 200 "):
    fail("keep-alive second: %r" % out[:60])
expect_log("192.0.2.10", "keep-alive second")

# No valid header: closed unanswered.
refused([get()], "plain HTTP")
refused([b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n" + get()], "v1 bad port")
refused([v2(0x21, 0x11, a4("1.2.3.4", "5.6.7.8", 1, 2) + b"\x01\x00\x09h2") +
         get()], "v2 TLV overrun")
refused([v2(0x21, 0x31, bytes(216))], "v2 AF_UNIX")
# A header that never ends: closed at the header timeout (1 s).
t0 = time.time()
refused([b"PROXY TCP4 1.2.3"], "a partial header")
if time.time() - t0 < 0.5:
    fail("a partial header closed after %.2f s, before the timeout" %
         (time.time() - t0))

# X-Forwarded-For: the plain listener's peer 127.0.0.1 is trusted.
xff = b"X-Forwarded-For: 198.51.100.1, 203.0.113.9, 10.1.1.1\r\n"
request(port, [get(xff)], "203.0.113.9", "XFF from a trusted peer")
request(port, [get(b"X-Forwarded-For: 198.51.100.1\r\n"
                   b"x-forwarded-for: 203.0.113.10, 10.1.1.1\r\n"
                   b"X-Forwarded-For: 10.2.2.2\r\n")],
        "203.0.113.10", "XFF over three lines")
request(port, [get(b"X-Forwarded-For: 203.0.113.11, nonsense, 10.1.1.1\r\n")],
        "10.1.1.1", "XFF with a malformed element")
# The peer a PROXY header gave decides trust: untrusted, XFF is ignored.
request(pport, [b"PROXY TCP4 192.0.2.50 198.51.100.1 5 80\r\n" + get(xff)],
        "192.0.2.50", "XFF from an untrusted proxied peer")
request(pport, [b"PROXY TCP4 10.9.9.9 198.51.100.1 5 80\r\n" + get(xff)],
        "203.0.113.9", "XFF from a trusted proxied peer")
request(pport, [v2(0x21, 0x21, a6("2001:db8:ffff::3", "2001:db8::1", 5, 80)) +
                get(b"X-Forwarded-For: 2001:db8:1::5\r\n")],
        "2001:db8:1::5", "XFF from a trusted IPv6 proxied peer")
with open(alog) as f:
    if len(f.read().splitlines()) != nlines:
        fail("more access log lines than requests answered")
print("ok")
EOP
[ $? -eq 0 ] || die "$(cat "$tmp/py")"

# The refusals are counted: plain HTTP, bad port, TLV overrun, AF_UNIX.
i=0
until python3 - "$port" >"$tmp/n" 2>&1 <<'EOP'
import sys, urllib.request
page = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1],
                              timeout=10).read().decode()
n = sum(int(l.rsplit(" ", 1)[1]) for l in page.splitlines()
        if l.startswith("asyncd_http_parse_errors_total{") and
        'kind="proxy"' in l)
print(n)
sys.exit(0 if n == 4 else 1)
EOP
do
	i=$((i + 1))
	[ "$i" -le 200 ] || die "parse errors of kind proxy: $(cat "$tmp/n"), want 4"
	sleep 0.1
done
grep -q "no valid PROXY protocol header from 127.0.0.1: closed" "$tmp/err" ||
    die "no log line for a refused header"

kill -TERM "$pid"
wait "$pid" || die "exit status $? after the stop"
pid=
echo "ok: PROXY v1 and v2 set the client's address, bad headers are closed" \
    "unanswered, X-Forwarded-For only from trusted peers"
