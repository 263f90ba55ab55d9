#!/bin/sh
# upgrade.sh - the binary upgrade (SIGUSR2, master.c "Binary upgrade"):
#   - under a steady request loop, USR2 puts a new master in service on
#     the same sockets (the ephemeral port kept), the old one exits 0, no
#     request fails; the pid file and systemd's MAINPID follow, and the new
#     master says nothing to systemd before the old one has named it;
#   - a second upgrade, from the master that took over;
#   - every failure leaves the old master serving, its workers untouched
#     and the reason logged: no such file, not executable, a configuration
#     error, workers that fail, a new master that never says READY;
#   - a stop during an upgrade stops the new master too.
# asyncd is run through a symbolic link in $tmp, so that what USR2 runs
# can be changed under it as a package upgrade would.  Needs curl and
# python3 (SKIP without).
#
# Environment: top_srcdir, top_builddir (automake).
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }

# The program itself, not libtool's wrapper script (which would run it
# with its own path as argv[0], out of our reach).
if [ -x "$top_builddir/.libs/asyncd" ]; then
	real=$(cd "$top_builddir/.libs" && pwd)/asyncd
	LD_LIBRARY_PATH=$(cd "$top_builddir/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
else
	real=$(cd "$top_builddir" && pwd)/asyncd
fi
[ -x "$real" ] || { echo "ERROR: $real not built" >&2; exit 99; }

. "$top_srcdir/tests/integration/lib.sh"
it_init upgrade

# Besides $pid (lib.sh): the notify listener, the request loop, and any
# master that outlived the one we started.
extra=
all_cleanup() {
	for p in $extra; do
		kill -KILL "$p" 2>/dev/null
	done
	it_cleanup
}
trap all_cleanup EXIT

# dead PID: gone, or a zombie (an orphaned master's parent may not reap).
dead() {
	[ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

# wait_for WHAT CMD...: runs CMD until it succeeds, 20 s at most.
wait_for() {
	what=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ "$i" -le 400 ] || die "timed out: $what"
		sleep 0.05
	done
}

logged() {
	grep -q "$1" "$tmp/err"
}

# workers_of PID: the worker pids of master PID, sorted, on one line.
workers_of() {
	ps -o pid=,args= --ppid "$1" | awk '/asyncd: worker/ { print $1 }' |
	    sort -n | tr '\n' ' '
}

get() {
	code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$port/") || die "GET / failed ($1)"
	[ "$code" = 200 ] || die "GET /: $code ($1)"
}

# The notify socket: every datagram with its sender's pid, one per line.
cat >"$tmp/notify.py" <<'EOP'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = 0
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    out.write("%d %s\n" % (pid, msg.decode().replace("\n", "|")))
EOP
: >"$tmp/notify.log"
python3 "$tmp/notify.py" "$tmp/notify" "$tmp/notify.log" &
extra="$extra $!"
wait_for "the notify socket" test -S "$tmp/notify"

ln -s "$real" "$tmp/asyncd"
cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:0" ];
workers = 2;
pid_file = "$tmp/asyncd.pid";
stats = { listen = "off"; };
timeouts = { ready = 2.0; shutdown = 5.0; };
apps = ( { module = "seed"; settings = { routes = (
	   { path = "/"; handler = "index"; delay = 0.0; } ); }; } );
EOC
cp "$tmp/a.conf" "$tmp/good.conf"

: >"$tmp/err"
# A watchdog of 0.2 s: each master pings every 0.1 s, so one that spoke
# while not the main process would be heard.
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=200000 "$tmp/asyncd" -c "$tmp/a.conf" \
    2>>"$tmp/err" &
pid=$!
wait_for "the first start" logged "started: 2 workers (pid $pid)"
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/err" |
    head -n 1)
[ -n "$port" ] || die "no listening line"
wait_for "the pid file" test -s "$tmp/asyncd.pid"
[ "$(cat "$tmp/asyncd.pid")" = "$pid" ] || die "pid file: $(cat "$tmp/asyncd.pid")"
get "first start"

# A request loop for the whole upgrade, one connection a request: every
# answer's status, or "fail".  Bounded: 4000 requests or the stop file.
(
	n=0
	while [ ! -e "$tmp/stop" ] && [ "$n" -lt 4000 ]; do
		curl -s --max-time 5 -o /dev/null -w '%{http_code}\n' \
		    "http://127.0.0.1:$port/" || echo fail
		n=$((n + 1))
	done
) >"$tmp/codes" &
loop=$!
extra="$extra $loop"
wait_for "the request loop" test -s "$tmp/codes"

# 1. An upgrade under load.
old=$pid
kill -USR2 "$old"
wait_for "upgrade complete" logged "upgrade complete: .* the old master (pid $old) is leaving"
new=$(sed -n "s/.*asyncd\[\([0-9]*\)\]: upgrade complete.*the old master (pid $old).*/\1/p" "$tmp/err")
[ -n "$new" ] && [ "$new" != "$old" ] || die "no new master pid"
extra="$extra $new"
wait "$old"
st=$?
pid=$new
[ "$st" -eq 0 ] || die "the old master exited with $st"
logged "asyncd\[$new\]: listening on 127.0.0.1:$port\$" ||
    die "the new master did not keep port $port"
[ "$(cat "$tmp/asyncd.pid")" = "$new" ] || die "pid file after the upgrade: $(cat "$tmp/asyncd.pid")"
[ -n "$(workers_of "$new")" ] || die "the new master has no workers"

# systemd heard MAINPID from the old master, then the new one's READY,
# and nothing from the new one before that.
first_new=$(grep -n "^$new " "$tmp/notify.log" | head -n 1 | cut -d: -f1)
mainpid=$(grep -n "^$old MAINPID=$new|" "$tmp/notify.log" | head -n 1 | cut -d: -f1)
[ -n "$mainpid" ] || die "no MAINPID=$new from $old: $(cat "$tmp/notify.log")"
[ -n "$first_new" ] && [ "$first_new" -gt "$mainpid" ] ||
    die "the new master spoke before MAINPID: $(cat "$tmp/notify.log")"
grep -q "^$new READY=1" "$tmp/notify.log" || die "no READY=1 from $new"
wait_for "the new master's watchdog" grep -q "^$new WATCHDOG=1" "$tmp/notify.log"
last_old=$(grep -n "^$old " "$tmp/notify.log" | tail -n 1 | cut -d: -f1)
[ "$last_old" -eq "$mainpid" ] ||
    die "the old master spoke after MAINPID: $(cat "$tmp/notify.log")"

# 2. Again, from the master that took over (not our child).
kill -USR2 "$new"
wait_for "second upgrade" logged "upgrade complete: .* the old master (pid $new) is leaving"
newer=$(sed -n "s/.*asyncd\[\([0-9]*\)\]: upgrade complete.*the old master (pid $new).*/\1/p" "$tmp/err")
[ -n "$newer" ] || die "no newer master pid"
extra="$extra $newer"
wait_for "the second old master's exit" dead "$new"
pid=$newer
[ "$(cat "$tmp/asyncd.pid")" = "$newer" ] || die "pid file after the second upgrade: $(cat "$tmp/asyncd.pid"), want $newer"

# The loop ran across both upgrades (it answered before the first); let it
# reach 10 answers whatever the machine's speed (an upgrade takes ~0.5 s, a
# curl under load as much as 0.1 s), then stop it.
wait_for "10 answers to the request loop" sh -c \
    "[ \$(wc -l <'$tmp/codes') -ge 10 ]"
touch "$tmp/stop"
wait "$loop"
total=$(wc -l <"$tmp/codes")
bad=$(grep -vc '^200$' "$tmp/codes")
[ "$bad" -eq 0 ] || die "$bad of $total requests failed during the upgrades"
echo "# $total requests across two upgrades, none failed"

# 3. Failures: each leaves the serving master as it was.
before=$(workers_of "$pid")
# expect_failure WHAT PATTERN: USR2, then PATTERN in the log, logged when
# the failed new master has been reaped (or was never started).
expect_failure() {
	kill -USR2 "$pid"
	wait_for "$1: the failure" logged "$2"
	kill -0 "$pid" || die "$1: the master died"
	[ "$(workers_of "$pid")" = "$before" ] ||
	    die "$1: workers changed: $before -> $(workers_of "$pid")"
	[ "$(cat "$tmp/asyncd.pid")" = "$pid" ] || die "$1: pid file changed"
	get "after $1"
}

rm "$tmp/asyncd"
expect_failure "no binary" "upgrade failed: cannot execute $tmp/asyncd: No such file or directory"

printf '#!/bin/sh\nexit 0\n' >"$tmp/asyncd"
chmod 644 "$tmp/asyncd"
expect_failure "not executable" "upgrade failed: cannot execute $tmp/asyncd: Permission denied"
rm "$tmp/asyncd"

ln -s "$real" "$tmp/asyncd"
echo 'bogus_setting = 1;' >>"$tmp/a.conf"
expect_failure "bad configuration" "exited with status 78 (a configuration error"
cp "$tmp/good.conf" "$tmp/a.conf"

# Failing workers need asyncd-hooks (tests/integration/asyncd-hooks.c,
# $ASYNCD_HOOKS): asyncd itself has no way to make them fail.
rm "$tmp/asyncd"
if [ -n "${ASYNCD_HOOKS:-}" ] && [ -x "$ASYNCD_HOOKS" ]; then
	printf '#!/bin/sh\nASYNCD_TEST_WORKER_FAIL=1 exec "%s" "$@"\n' \
	    "$ASYNCD_HOOKS" >"$tmp/asyncd"
	chmod 755 "$tmp/asyncd"
	expect_failure "failing workers" "exited with status 1 (its workers failed to start)"
else
	echo "upgrade: no \$ASYNCD_HOOKS: the failing-workers case is skipped"
	printf '#!/bin/sh\nexit 0\n' >"$tmp/asyncd"
	chmod 755 "$tmp/asyncd"
fi

printf '#!/bin/sh\nexec sleep 60\n' >"$tmp/asyncd"
expect_failure "a silent new master" "upgrade: the new master (pid [0-9]*) was killed by signal 15"
logged "was not ready in 12 s: stopping it; this master keeps serving" ||
    die "the silent new master was not said to be late"

# After all that, an upgrade still works.
rm "$tmp/asyncd"
ln -s "$real" "$tmp/asyncd"
kill -USR2 "$pid"
wait_for "upgrade after failures" logged "the old master (pid $pid) is leaving"
last=$(sed -n "s/.*asyncd\[\([0-9]*\)\]: upgrade complete.*the old master (pid $pid).*/\1/p" "$tmp/err")
extra="$extra $last"
wait_for "its old master's exit" dead "$pid"
pid=$last
get "after the last upgrade"

# 4. A stop during an upgrade stops the new master too.
rm "$tmp/asyncd"
printf '#!/bin/sh\nexec sleep 60\n' >"$tmp/asyncd"
chmod 755 "$tmp/asyncd"
kill -USR2 "$pid"
wait_for "an upgrade under way" logged "asyncd\[$pid\]: SIGUSR2: upgrading: started"
up=$(sed -n "s/.*asyncd\[$pid\]: SIGUSR2: upgrading: started .* (pid \([0-9]*\))$/\1/p" "$tmp/err" | tail -n 1)
[ -n "$up" ] || die "no pid for the new master"
kill -TERM "$pid"
wait_for "the abandoned upgrade" logged "SIGTERM: abandoning the upgrade to pid $up"
wait_for "the stop" dead "$pid"
dead "$up" || die "the new master $up outlived the stop"
logged "asyncd\[$pid\]: stopped" || die "the master did not stop cleanly"
pid=
echo "# ok"
exit 0
