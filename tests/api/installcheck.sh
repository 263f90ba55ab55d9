#!/bin/bash
# installcheck.sh - the installed asyncd as a developer meets it: the
# greet example from $(docdir) is copied out, built with nothing but
# pkg-config and the installed headers and library (its own Makefile),
# checked by the installed asyncd -t, and served three times: as a module
# loaded by the installed asyncd, and linked into its own program
# (asyncd_main) with libasyncd.so and with libasyncd.a.
# Each answers GET /greet/world, then stops cleanly on SIGTERM.
#
# Usage: installcheck.sh ASYNCD PKGCONFIGDIR EXAMPLEDIR (make installcheck)
set -u
asyncd=$1
pcdir=$2
example=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/installcheck.XXXXXX") || exit 99
pid=

cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "installcheck.sh: $*"
	[ -f "$tmp/log" ] && sed 's/^/  log: /' "$tmp/log"
	exit 1
}

cp -R "$example" "$tmp/greet" || fail "cannot copy $example"
export PKG_CONFIG_PATH=$pcdir
pkg-config --exists asyncd || fail "pkg-config does not find asyncd in $pcdir"
echo "installcheck.sh: pkg-config --cflags --libs asyncd:" \
    "$(pkg-config --cflags --libs asyncd)"
echo "installcheck.sh: pkg-config --static --libs asyncd:" \
    "$(pkg-config --static --libs asyncd)"
make -s -C "$tmp/greet" all static >"$tmp/make.log" 2>&1 || {
	cat "$tmp/make.log"
	fail "the example does not build"
}
# The static program must not need libasyncd.so.
if ldd "$tmp/greet/greetd-static" | grep -q libasyncd; then
	fail "greetd-static links libasyncd.so"
fi
sed 's/127\.0\.0\.1:8080/127.0.0.1:0/' "$tmp/greet/greet.conf" \
    >"$tmp/test.conf" || exit 99

ASYNCD_MODULE_PATH=$tmp/greet "$asyncd" -t -c "$tmp/test.conf" \
    >"$tmp/log" 2>&1 || fail "asyncd -t refuses the example's configuration"

# serve CMD...: starts it on test.conf, GETs /greet/world, stops it.
serve() {
	local port= i body status

	"$@" -c "$tmp/test.conf" >"$tmp/log" 2>&1 &
	pid=$!
	# Poll for the event (the "listening on" line), bounded: 10 s.
	for i in $(seq 200); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		    "$tmp/log" | head -n1)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || fail "$* exited at start"
		sleep 0.05
	done
	[ -n "$port" ] || fail "$* did not listen within 10 s"
	exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to $port"
	printf 'GET /greet/world HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&3
	body=$(timeout 10 cat <&3)
	exec 3<&-
	case "$body" in
	"HTTP/1.1 200 OK"*"hello, world"*) ;;
	*) fail "$*: GET /greet/world: $body" ;;
	esac
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	pid=
	[ "$status" -eq 0 ] || fail "$* exited $status on SIGTERM"
	echo "installcheck.sh: $1 served GET /greet/world"
}

serve env ASYNCD_MODULE_PATH="$tmp/greet" "$asyncd"
serve "$tmp/greet/greetd"
serve "$tmp/greet/greetd-static"
exit 0
