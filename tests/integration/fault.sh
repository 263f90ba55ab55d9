#!/bin/sh
# fault.sh - the master under failing system calls (fault.c, preloaded
# into asyncd only), as src/daemon/master.c documents:
#   - at startup, a failing fork or socketpair for the first worker: exit
#     1 (the breaker), the failing call named in the log; a failing fork
#     of the apps check before it: exit 71 (EX_OSERR, asyncd(8));
#   - at a respawn (a worker killed), a failing fork, then a failing
#     socketpair: logged, retried after the backoff, the master lives and
#     keeps serving with a new worker;
#   - a failing dup2 in the upgrade's child (SIGUSR2): "upgrade failed",
#     this master keeps serving.
# Needs curl (SKIP without it).  Skipped under $ASYNCD_WRAPPER (valgrind).
#
# Environment: top_srcdir, top_builddir (automake).
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
asyncd=$top_builddir/asyncd
fault=$top_builddir/tests/integration/.libs/libfault.so
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
[ -f "$fault" ] || { echo "ERROR: $fault not built" >&2; exit 99; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }
if [ -n "${ASYNCD_WRAPPER:-}" ]; then
	echo "SKIP: LD_PRELOAD under $ASYNCD_WRAPPER"
	exit 77
fi
# A sanitizer build: the preloaded object (built with the same flags, so
# linked to libasan) comes before libasan in the list, which ASan refuses
# unless told that this order is meant.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

. "$top_srcdir/tests/integration/lib.sh"
it_init fault

cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:0" ];
workers = 1;
log = { level = "debug"; };
apps = ( { module = "seed"; settings = { routes = (
	   { path = "/"; handler = "index"; delay = 0.0; } ); }; } );
EOC

# run VAR=VALUE: starts asyncd with the fault named in the background;
# sets $pid.
run() {
	: >"$tmp/err"
	env LD_PRELOAD="$fault" "$1" "$asyncd" -c "$tmp/a.conf" \
	    2>"$tmp/err" &
	pid=$!
}

# waitlog TEXT WHAT: waits (10 s at most) for TEXT in asyncd's log.
waitlog() {
	i=0
	until grep -q "$1" "$tmp/err"; do
		kill -0 "$pid" 2>/dev/null || die "$2: asyncd exited"
		i=$((i + 1))
		[ "$i" -le 200 ] || die "$2: no \"$1\" in the log after 10 s"
		sleep 0.05
	done
}

# started WHAT: waits for the "started" line; sets $port.
started() {
	waitlog '\[info\] asyncd\[[0-9]*\]: asyncd .* started:' "$1"
	port=$(sed -n 's/.*\[info\] asyncd\[[0-9]*\]: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/err" | head -n 1)
	[ -n "$port" ] || die "$1: no \"listening on\" line"
}

# serves WHAT: GET / answers.
serves() {
	curl -sS --max-time 5 -o "$tmp/body" "http://127.0.0.1:$port/" ||
	    die "$1: GET / failed"
	grep -q Index "$tmp/body" || die "$1: GET /: $(cat "$tmp/body")"
}

# worker_pid: the one worker's pid, from the master's debug line.
worker_pid() {
	sed -n 's/.*worker 1 started (pid \([0-9][0-9]*\), .*/\1/p' \
	    "$tmp/err" | tail -n 1
}

# respawn_survives VAR=VALUE WHAT TEXT: the first worker starts, is killed;
# its replacement's CALL fails (TEXT logged), and a later one serves.
respawn_survives() {
	run "$1"
	started "$2"
	serves "$2: before"
	w=$(worker_pid)
	[ -n "$w" ] || die "$2: no \"worker 1 started\" line"
	kill -KILL "$w"
	waitlog "$3" "$2"
	# The retry, after the backoff: a new worker, ready.
	waitlog "worker 1 (pid [0-9]*) ready, replacing pid $w" "$2"
	kill -0 "$pid" 2>/dev/null || die "$2: the master died"
	serves "$2: after"
	kill -TERM "$pid"
	stopped 0 "$2: SIGTERM"
}

# At startup: the apps check's fork (fork 1, main.c) failing is exit 71
# (EX_OSERR); the first worker's fork (fork 2) or its channel's socketpair
# failing trips the breaker: exit 1, with the call and the breaker named.
run FAULT_FORK=1
stopped 71 "the apps check's fork failing"
grep -q "fork: Resource temporarily unavailable" "$tmp/err" ||
    die "the apps check's fork failing: the log does not say so"
run FAULT_FORK=2
stopped 1 "the first worker's fork failing"
grep -q "\[error\] asyncd\[[0-9]*\]: fork: Resource temporarily unavailable" \
    "$tmp/err" || die "the first worker's fork failing: not said"
grep -q "cannot start the workers: stopping (the breaker tripped" \
    "$tmp/err" || die "the first worker's fork failing: no breaker line"
run FAULT_SOCKETPAIR=1
stopped 1 "the first worker's socketpair failing"
grep -q "socketpair: Too many open files" "$tmp/err" ||
    die "the first worker's socketpair failing: not said"

# At a respawn: fork 3 (the replacement's), socketpair 2.
respawn_survives FAULT_FORK=3 "fork failing at a respawn" \
    "fork: Resource temporarily unavailable"
respawn_survives FAULT_SOCKETPAIR=2 "socketpair failing at a respawn" \
    "socketpair: Too many open files"

# In the upgrade's child: its first dup2 fails; this master serves on.
# Which dup2 is first depends on the build (in the --enable-valgrind one
# it is the exec path's, and the child exits 127): either failure is
# logged as the upgrade's, and the old master must serve on.
run FAULT_DUP2=1
started "dup2 failing in the upgrade's child"
kill -USR2 "$pid"
waitlog "upgrade failed: .*\(cannot pass the sockets\|could not be run\)" \
    "dup2 failing"
serves "dup2 failing in the upgrade's child"
kill -TERM "$pid"
stopped 0 "dup2 failing: SIGTERM"
echo "PASS: fault.sh"
