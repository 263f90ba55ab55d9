# lib.sh - sourced by the shell tests of tests/integration (never run
# alone): a temporary directory, the one process a test starts, and die().
#
#	. "$top_srcdir/tests/integration/lib.sh"
#	it_init NAME		# $tmp: a new directory asyncd-NAME.XXXXXX
#	... pid=$! ...		# the process to kill on any exit
#	die "what failed"	# FAIL, then $tmp/err (the daemon's stderr)
#	stopped 0 "what"	# waits (10 s) for $pid to exit with 0
#
# On any exit (failure and signals included) the process in $pid is killed,
# and only it (STYLE.md §7: never by name; a process it forked dies with it
# or is its business), and $tmp is removed.

it_cleanup() {
	if [ -n "${pid:-}" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}

it_init() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncd-$1.XXXXXX") || exit 99
	pid=
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

die() {
	echo "FAIL: $*" >&2
	[ -f "$tmp/err" ] && sed 's/^/  log: /' "$tmp/err" >&2
	exit 1
}

# stopped STATUS WHAT: waits for asyncd (10 s at most) and checks its status.
stopped() {
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 200 ] || die "$2: still running after 10 s"
		sleep 0.05
	done
	wait "$pid"
	st=$?
	pid=
	[ "$st" -eq "$1" ] || die "$2: exit status $st, want $1"
}
