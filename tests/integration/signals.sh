#!/bin/sh
# signals.sh - asyncd serving in the foreground (src/asyncd.c): the
# "listening on" line with the real port of ":0", a graceful stop on
# SIGTERM that lets a request in flight finish (exit 0), a fast stop on a
# second SIGINT, SIGUSR1 reopening the logs, and EX_OSERR (71) naming the
# address when it cannot be bound.  Needs curl (SKIP without it).
#
# Environment: top_srcdir, top_builddir (automake); ASYNCD_WRAPPER as in
# config.sh.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_WRAPPER:=}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }

. "$top_srcdir/tests/integration/lib.sh"
it_init signals

# start CONF: starts asyncd in the background; sets $pid, $port (the
# first listener's, read from the log as the integration tests do) and
# $sport (the stats listener's, if CONF has one).
start() {
	: >"$tmp/err"
	# shellcheck disable=SC2086
	$ASYNCD_WRAPPER "$asyncd" -c "$1" 2>"$tmp/err" &
	pid=$!
	i=0
	until grep -q '\[info\] asyncd\[[0-9]*\]: asyncd .* started:' "$tmp/err"
	do
		kill -0 "$pid" 2>/dev/null || die "asyncd exited at startup"
		i=$((i + 1))
		[ "$i" -le 200 ] || die "no \"started\" line in 10 s"
		sleep 0.05
	done
	port=$(sed -n 's/.*\[info\] asyncd\[[0-9]*\]: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/err" | head -n 1)
	sport=$(sed -n 's/.*: stats pages on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
	    "$tmp/err" | head -n 1)
	[ -n "$port" ] || die "no \"listening on\" line"
	[ "$port" -ne 0 ] || die "listening on port 0: want the real port"
}

# waitlog TEXT WHAT: waits (10 s at most) for TEXT in asyncd's log.
waitlog() {
	i=0
	until grep -q "$1" "$tmp/err"; do
		i=$((i + 1))
		[ "$i" -le 200 ] || die "$2: no \"$1\" in the log after 10 s"
		sleep 0.05
	done
}

# in_flight PATH: waits (10 s at most) until the stats listener's
# /debug/tasks shows a GET PATH asleep in its handler's delay: the request
# is read and being served, which no fixed sleep can promise.
in_flight() {
	i=0
	until curl -sS --max-time 5 \
	    "http://127.0.0.1:$sport/debug/tasks?format=text" 2>/dev/null |
	    grep -q "  sleep  *GET $1\$"; do
		i=$((i + 1))
		[ "$i" -le 200 ] || die "no GET $1 being served after 10 s"
		sleep 0.05
	done
}

cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:0" ];
log = { access = "$tmp/access.log"; };
stats = { listen = "127.0.0.1:0"; };
apps = ( { module = "seed"; settings = { routes = (
	   { path = "/"; handler = "index"; delay = 0.5; },
	   { path = "/long"; handler = "index"; delay = 30.0; } ); }; } );
EOC

# Serves; SIGTERM during a 0.5 s request: the request completes, exit 0.
start "$tmp/a.conf"
body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/healthz") ||
    die "GET /healthz failed"
[ "$body" = ok ] || die "GET /healthz: \"$body\""
curl -sS --max-time 5 -o "$tmp/index" "http://127.0.0.1:$port/" &
curl_pid=$!
in_flight /
kill -TERM "$pid"
wait "$curl_pid" || die "the request in flight failed during the stop"
grep -q "Index" "$tmp/index" || die "request in flight: $(cat "$tmp/index")"
stopped 0 "graceful stop"
grep -q '\[info\] asyncd\[[0-9]*\]: SIGTERM: graceful stop' "$tmp/err" ||
    die "no graceful stop logged"
grep -q 'GET /healthz HTTP/1.1" 200' "$tmp/access.log" ||
    die "no access log line: $(cat "$tmp/access.log")"

# SIGUSR1 reopens the access log after it was moved away.
start "$tmp/a.conf"
mv "$tmp/access.log" "$tmp/access.log.1"
kill -USR1 "$pid"
i=0
until grep -q 'log files reopened' "$tmp/err"; do
	i=$((i + 1))
	[ "$i" -le 100 ] || die "SIGUSR1: no reopen logged"
	sleep 0.05
done
[ -f "$tmp/access.log" ] || die "SIGUSR1: access.log not recreated"
kill -TERM "$pid"
stopped 0 "stop after SIGUSR1"

# A second SIGINT while a request holds the graceful stop: fast stop, 0.
# The request sleeps 30 s, so only the fast stop ends it within the 10 s
# that stopped() waits, and curl gets no response.  The second SIGINT goes
# once the first one's graceful stop is logged: two SIGINTs pending at once
# would merge into one.
start "$tmp/a.conf"
curl -sS --max-time 20 -o /dev/null "http://127.0.0.1:$port/long" \
    2>/dev/null &
curl_pid=$!
in_flight /long
kill -INT "$pid"
waitlog 'SIGINT: graceful stop' "first SIGINT"
kill -INT "$pid"
stopped 0 "fast stop"
wait "$curl_pid"
st=$?
[ "$st" -ne 0 ] && [ "$st" -ne 28 ] ||
    die "fast stop: curl exit status $st, want the request cut off"
grep -q 'SIGINT again: fast stop' "$tmp/err" || die "no fast stop logged"

# The port is taken (by an asyncd listening on it): 71, naming it.
start "$tmp/a.conf"
first=$pid
printf 'listen = [ "127.0.0.1:%s" ];\n' "$port" >"$tmp/b.conf"
# shellcheck disable=SC2086
$ASYNCD_WRAPPER "$asyncd" -c "$tmp/b.conf" 2>"$tmp/err2"
st=$?
[ "$st" -eq 71 ] || die "bind conflict: exit status $st, want 71"
grep -q "cannot listen on 127.0.0.1:$port: Address already in use" \
    "$tmp/err2" || die "bind conflict: $(cat "$tmp/err2")"
pid=$first
kill -TERM "$pid"
stopped 0 "stop"

echo "ok: asyncd serves, stops gracefully and fast, reopens logs"
