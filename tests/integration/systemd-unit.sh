#!/bin/sh
# systemd-unit.sh - systemd/asyncd.service as make generated it: no
# @variable@ left, absolute paths, the settings the master relies on
# (DESIGN.md §3), a TimeoutStopSec above the default timeouts.shutdown, and
# `systemd-analyze verify` silent on it.  verify wants each Exec*= binary to
# exist and each Documentation=man: page to be found, so it runs on a copy
# whose asyncd is the one just built, with MANPATH at man/.  The static
# checks always run; verify SKIPs (77) without systemd-analyze.
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
    'LogsDirectory=asyncd'; do
	grep -qxF "$want" "$unit" || fail "no line \"$want\" in $unit"
done
grep -q '^ExecStartPre=/.*/asyncd -t -c /.*/asyncd\.conf$' "$unit" ||
    fail "no ExecStartPre= running asyncd -t"
grep -q '^ExecStart=/.*/asyncd -c /.*/asyncd\.conf$' "$unit" ||
    fail "no ExecStart= running asyncd -c"

# TimeoutStopSec must leave the graceful stop its timeouts.shutdown.
: >"$tmp/empty.conf"
shutdown=$("$asyncd" -T -c "$tmp/empty.conf" 2>/dev/null |
    sed -n 's/^[[:space:]]*shutdown = \([0-9.]*\);$/\1/p')
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
if [ -z "$shutdown" ] || [ -z "$stop" ]; then
	fail "cannot read timeouts.shutdown (\"$shutdown\") or" \
	    "TimeoutStopSec (\"$stop\", seconds)"
elif ! awk -v a="$stop" -v b="$shutdown" 'BEGIN { exit !(a > b + 5) }'
then
	fail "TimeoutStopSec=$stop is not above timeouts.shutdown = $shutdown"
fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
	[ "$fails" -eq 0 ] || exit 1
	echo "SKIP: no systemd-analyze (the static checks passed)"
	exit 77
fi

abs=$(cd "$top_builddir" && pwd)/asyncd
sed -e "s|^\(Exec[A-Za-z]*=[-@:+!]*\)/[^ ]*/asyncd |\1$abs |" "$unit" \
    >"$tmp/asyncd.service"
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$top_srcdir/man/asyncd.8" "$tmp/man/man8/"
cp "$top_srcdir/man/asyncd.conf.5" "$tmp/man/man5/"
# verify prints problems and still exits 0 for some (an unknown setting):
# anything it says about our unit is a failure.
MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
    "$tmp/asyncd.service" >"$tmp/out" 2>&1
status=$?
if [ "$status" -ne 0 ] || grep -q 'asyncd' "$tmp/out"; then
	fail "systemd-analyze verify (exit status $status):"
	sed "s|$tmp/||g" "$tmp/out" >&2
elif [ -s "$tmp/out" ]; then
	echo "systemd-analyze verify, about other units:"
	cat "$tmp/out"
fi

[ "$fails" -eq 0 ] || exit 1
echo "ok: systemd/asyncd.service ($(systemd-analyze --version | head -n 1))"
