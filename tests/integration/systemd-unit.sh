#!/bin/sh
# systemd-unit.sh - systemd/asyncd.service as make generated it: no
# @variable@ left, absolute paths, the settings the master relies on
# (DESIGN.md §3), a TimeoutStopSec above the default timeouts.shutdown, and
# `systemd-analyze verify` silent on it.  verify wants each Exec*= binary to
# exist and each Documentation=man: page to be found, so it runs on a copy
# whose asyncd is the one just built, with MANPATH at man/, beside
# systemd/asyncd.socket.  `systemd-analyze security --offline=yes` must
# rate the unit's exposure 2.0 at most.  The static checks always run;
# the rest SKIPs (77) without systemd-analyze.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
unit=$top_builddir/systemd/asyncd.service
asyncd=$top_builddir/asyncd
[ -f "$unit" ] || { echo "ERROR: $unit not built" >&2; exit 99; }
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncd-unit.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

if grep -n '@[A-Za-z_]*@' "$unit" >&2; then
	fail "unsubstituted variables in $unit"
fi
bad=$(grep '^Exec[A-Za-z]*=' "$unit" | grep -v '^Exec[A-Za-z]*=[-@:+!]*/')
[ -z "$bad" ] || fail "not an absolute path: $bad"

# The master speaks Type=notify by hand and stops its workers itself.
for want in 'Type=notify' 'NotifyAccess=main' 'KillMode=mixed' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
    'WatchdogSec=30' 'LimitNOFILE=65536' 'CapabilityBoundingSet=' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'RuntimeDirectory=asyncd' \
    'LogsDirectory=asyncd' 'DynamicUser=yes' \
    'SystemCallFilter=@system-service' 'ProtectProc=invisible'; do
	grep -qxF "$want" "$unit" || fail "no line \"$want\" in $unit"
done
grep -q '^ExecStartPre=/.*/asyncd -t -c /.*/asyncd\.conf$' "$unit" ||
    fail "no ExecStartPre= running asyncd -t"
grep -q '^ExecStart=/.*/asyncd -c /.*/asyncd\.conf$' "$unit" ||
    fail "no ExecStart= running asyncd -c"

# DynamicUser=yes: asyncd does not start as root, so the shipped
# asyncd.conf must not ask it to change its identity.
for key in user group; do
	grep -qx "$key = \"\";" "$top_srcdir/conf/asyncd.conf" ||
	    fail "conf/asyncd.conf: $key is not \"\" (the unit has DynamicUser=yes)"
done

# TimeoutStopSec must leave the graceful stop its timeouts.drain and
# timeouts.shutdown (and the master's 1 s before SIGKILL).
: >"$tmp/empty.conf"
shutdown=$("$asyncd" -T -c "$tmp/empty.conf" 2>/dev/null |
    sed -n 's/^[[:space:]]*shutdown = \([0-9.]*\);$/\1/p')
drain=$("$asyncd" -T -c "$tmp/empty.conf" 2>/dev/null |
    sed -n 's/^[[:space:]]*drain = \([0-9.]*\);$/\1/p')
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
if [ -z "$shutdown" ] || [ -z "$drain" ] || [ -z "$stop" ]; then
	fail "cannot read timeouts.shutdown (\"$shutdown\"), timeouts.drain" \
	    "(\"$drain\") or TimeoutStopSec (\"$stop\", seconds)"
elif ! awk -v a="$stop" -v b="$shutdown" -v d="$drain" \
    'BEGIN { exit !(a > d + b + 1 + 5) }'
then
	fail "TimeoutStopSec=$stop is not above timeouts.drain = $drain +" \
	    "timeouts.shutdown = $shutdown + 1"
fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
	[ "$fails" -eq 0 ] || exit 1
	echo "SKIP: no systemd-analyze (the static checks passed)"
	exit 77
fi

abs=$(cd "$top_builddir" && pwd)/asyncd
sed -e "s|^\(Exec[A-Za-z]*=[-@:+!]*\)/[^ ]*/asyncd |\1$abs |" "$unit" \
    >"$tmp/asyncd.service"
cp "$top_srcdir/systemd/asyncd.socket" "$tmp/asyncd.socket"
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$top_srcdir/man/asyncd.8" "$tmp/man/man8/"
cp "$top_srcdir/man/asyncd.conf.5" "$tmp/man/man5/"
# verify prints problems and still exits 0 for some (an unknown setting):
# anything it says about our unit is a failure.
MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
    "$tmp/asyncd.service" "$tmp/asyncd.socket" >"$tmp/out" 2>&1
status=$?
if [ "$status" -ne 0 ] || grep -q 'asyncd' "$tmp/out"; then
	fail "systemd-analyze verify (exit status $status):"
	sed "s|$tmp/||g" "$tmp/out" >&2
elif [ -s "$tmp/out" ]; then
	echo "systemd-analyze verify, about other units:"
	cat "$tmp/out"
fi

# The exposure, 0.0 (locked down) to 10.0 (root, no sandbox): the last
# line reads "-> Overall exposure level for asyncd.service: 1.2 OK".
SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=yes --no-pager \
    "$tmp/asyncd.service" >"$tmp/sec" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for asyncd\.service: \([0-9][0-9]*\.[0-9]\).*/\1/p' "$tmp/sec")
if [ -z "$exposure" ]; then
	fail "systemd-analyze security: no exposure level:"
	cat "$tmp/sec" >&2
elif ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
	fail "systemd-analyze security: exposure $exposure, want 2.0 at most:"
	grep '✗' "$tmp/sec" >&2
fi

[ "$fails" -eq 0 ] || exit 1
echo "ok: systemd/asyncd.service, exposure $exposure, and asyncd.socket ($(systemd-analyze --version | head -n 1))"
