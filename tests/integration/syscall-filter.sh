#!/bin/sh
# syscall-filter.sh - every system call asyncd makes is one the unit's
# SystemCallFilter= lets through (systemd/asyncd.service: @system-service
# less ~@privileged @resources), so that the filter cannot kill or fail a
# start, a request, a worker, a reload, a log reopening or a stop.  asyncd
# runs under strace -f through all of those with the seed app; the calls
# it made, by name, are checked against the unit's lines as
# `systemd-analyze syscall-filter` expands their groups.  SKIP (77) without
# strace, systemd-analyze or curl, or in a sanitizer build (`asyncd -V`):
# a sanitizer's runtime makes calls of its own (LeakSanitizer ptraces).
#
# Environment: top_srcdir, top_builddir, ASYNCD_MODULE_PATH (automake).
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
asyncd=$top_builddir/asyncd
unit=$top_builddir/systemd/asyncd.service
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
[ -f "$unit" ] || { echo "ERROR: $unit not built" >&2; exit 99; }
for t in strace systemd-analyze curl; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: no $t"; exit 77; }
done
"$asyncd" -V | grep -qx 'sanitizers: none' ||
    { echo "SKIP: a sanitizer build"; exit 77; }

. "$top_srcdir/tests/integration/lib.sh"
it_init scf

# expand NAME...: the system calls of each name, groups (@x) expanded.
expand() {
	for n in "$@"; do
		case $n in
		@*)
			systemd-analyze syscall-filter --no-pager "$n" \
			    >"$tmp/group" 2>&1 || die "syscall-filter $n"
			# Line 1 is the group's name; then "# comments",
			# names, and groups within.
			expand $(sed -e '1d' -e 's/^[[:space:]]*//' \
			    -e '/^#/d' -e '/^$/d' "$tmp/group")
			;;
		*)	echo "$n" ;;
		esac
	done
}

allow=$(sed -n 's/^SystemCallFilter=\([^~].*\)$/\1/p' "$unit")
deny=$(sed -n 's/^SystemCallFilter=~\(.*\)$/\1/p' "$unit")
[ -n "$allow" ] || die "no SystemCallFilter= allow list in $unit"
# Word splitting on purpose: the lines are lists of names.
# shellcheck disable=SC2086
expand $allow | sort -u >"$tmp/allow"
# shellcheck disable=SC2086
expand $deny | sort -u >"$tmp/deny"
comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/ok"
[ -s "$tmp/ok" ] || die "the unit's filter allows nothing"

cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:0" ];
workers = 2;
log = { access = "$tmp/access.log"; };
apps = ( { module = "seed"; settings = { routes = (
	   { path = "/"; handler = "index"; delay = 0.01; } ); }; } );
EOC

# waitlog TEXT: waits (10 s at most) for a log line holding TEXT.
waitlog() {
	i=0
	while ! grep -qF -- "$1" "$tmp/err"; do
		kill -0 "$pid" 2>/dev/null || die "asyncd exited waiting for \"$1\""
		i=$((i + 1))
		[ "$i" -le 200 ] || die "no \"$1\" in the log after 10 s"
		sleep 0.05
	done
}

strace -f -qq -o "$tmp/trace" "$asyncd" -c "$tmp/a.conf" 2>"$tmp/err" &
pid=$!
waitlog "listening on 127.0.0.1:"
waitlog " started: 2 workers"
mpid=$(sed -n 's/.* asyncd\[\([0-9]*\)\]: listening on .*/\1/p' "$tmp/err")
port=$(sed -n 's/.*: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/err")
[ -n "$mpid" ] && [ -n "$port" ] || die "no master pid or port in the log"
for path in / /stats /metrics /healthz; do
	curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$port$path" ||
	    die "GET $path"
done
kill -HUP "$mpid"
waitlog "reloaded: generation"
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$port/" ||
    die "GET / after the reload"
kill -USR1 "$mpid"
waitlog "SIGUSR1: log files reopened"
kill -TERM "$mpid"
wait "$pid"
st=$?
pid=
[ "$st" -eq 0 ] || die "exit status $st after SIGTERM, want 0"

# "PID name(args...) = ..." lines; the exit and signal lines have none.
sed -n 's/^[0-9][0-9]*  *\([a-z_0-9][a-z_0-9]*\)(.*/\1/p' "$tmp/trace" |
    sort -u >"$tmp/used"
[ -s "$tmp/used" ] || die "strace recorded no call"
comm -23 "$tmp/used" "$tmp/ok" >"$tmp/outside"
if [ -s "$tmp/outside" ]; then
	echo "FAIL: asyncd calls what the unit's SystemCallFilter= refuses:" \
	    "$(tr '\n' ' ' <"$tmp/outside")" >&2
	exit 1
fi
echo "ok: $(wc -l <"$tmp/used") system calls, all in the unit's filter"
