#!/bin/sh
# socket-activation.sh - asyncd started by systemd-socket-activate, as
# asyncd.socket would start asyncd.service: it serves a request on the
# socket it was passed (LISTEN_FDS), and says so in its log, instead of
# binding the address again.  And systemd/asyncd.socket listens on exactly
# the default asyncd.conf's listen addresses, so that the two work
# together as shipped.  The port is a free loopback one: systemd-socket-
# activate takes no port 0, so a taken one is retried with another.
# SKIP (77) without systemd-socket-activate (the systemd package) or curl.
#
# Environment: top_srcdir, top_builddir (automake).
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }

. "$top_srcdir/tests/integration/lib.sh"
it_init sockact

# The shipped socket against the shipped configuration: the same
# addresses, in any order ("*" is 0.0.0.0 in a ListenStream=).
sed -n 's/^ListenStream=\(..*\)$/\1/p' "$top_srcdir/systemd/asyncd.socket" |
    sort >"$tmp/socket.addrs"
sed -n 's/^listen = \[\(.*\)\];$/\1/p' "$top_srcdir/conf/asyncd.conf" |
    tr ',' '\n' | sed -e 's/[" ]//g' -e 's/^\*:/0.0.0.0:/' -e '/^$/d' |
    sort >"$tmp/conf.addrs"
[ -s "$tmp/conf.addrs" ] || die "no listen = [ ... ]; line in conf/asyncd.conf"
cmp -s "$tmp/socket.addrs" "$tmp/conf.addrs" ||
    die "asyncd.socket's ListenStream= ($(tr '\n' ' ' <"$tmp/socket.addrs"))" \
	"differ from asyncd.conf's listen ($(tr '\n' ' ' <"$tmp/conf.addrs"))"

command -v systemd-socket-activate >/dev/null 2>&1 ||
    { echo "SKIP: no systemd-socket-activate"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }

# activate: systemd-socket-activate on a free port with a configuration
# listening there; sets $pid and $port once it listens.  It runs asyncd
# (exec, same pid: LISTEN_PID is right) at the first connection.
activate() {
	tries=0
	while :; do
		tries=$((tries + 1))
		[ "$tries" -le 20 ] || die "no free port in 20 tries"
		# 20000..59999, from the shell's pid and the try.
		port=$(( (($$ * 7919 + tries * 104729) % 40000) + 20000 ))
		printf 'listen = [ "127.0.0.1:%s" ];\n' "$port" >"$tmp/a.conf"
		: >"$tmp/err"
		systemd-socket-activate -l "127.0.0.1:$port" \
		    "$asyncd" -c "$tmp/a.conf" 2>"$tmp/err" &
		pid=$!
		i=0
		while ! grep -q "^Listening on 127\.0\.0\.1:$port as 3\.$" \
		    "$tmp/err"; do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null
				pid=
				grep -q 'in use' "$tmp/err" ||
				    die "systemd-socket-activate failed"
				continue 2
			fi
			i=$((i + 1))
			[ "$i" -le 200 ] || die "not listening after 10 s"
			sleep 0.05
		done
		return
	done
}

activate
# The first connection waits in the backlog while asyncd starts.
body=$(curl -sS --max-time 10 "http://127.0.0.1:$port/healthz") ||
    die "GET /healthz on the passed socket"
[ "$body" = ok ] || die "GET /healthz: \"$body\", want \"ok\""
grep -q "\\[info\\] asyncd\\[$pid\\]: 127\\.0\\.0\\.1:$port: socket from systemd (LISTEN_FDS)$" \
    "$tmp/err" || die "no \"socket from systemd\" line for 127.0.0.1:$port"
grep -q 'matches no listen address' "$tmp/err" &&
    die "the passed socket was closed as unused"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 200 ] || die "still running 10 s after SIGTERM"
	sleep 0.05
done
wait "$pid"
st=$?
pid=
[ "$st" -eq 0 ] || die "exit status $st after SIGTERM, want 0"

echo "ok: socket activation (127.0.0.1:$port)"
