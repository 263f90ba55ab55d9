# common.sh - sourced by tests/examples/NAME.sh: runs one example and checks
# its output against $top_srcdir/examples/NAME.expected.
#
# Environment (automake's TESTS exports top_srcdir and top_builddir):
#   ASYNCD_EXAMPLE_SCALE  multiplies the examples' sleeps; default here 0.01,
#                         so a check takes milliseconds, not seconds.
#   EXAMPLE_WRAPPER       a command to run the example under, such as
#                         "valgrind -q --error-exitcode=1".
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_EXAMPLE_SCALE:=0.01}"
: "${EXAMPLE_WRAPPER:=}"
export ASYNCD_EXAMPLE_SCALE

ex_tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncd-example.XXXXXX") || exit 99
trap 'rm -rf "$ex_tmp"' EXIT
ex_out=$ex_tmp/stdout

ex_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# ex_run NAME: runs the example; its stdout lands in $ex_out.
ex_run() {
	ex_prog=$top_builddir/examples/$1
	[ -x "$ex_prog" ] || { echo "ERROR: $ex_prog not built" >&2; exit 99; }
	# $EXAMPLE_WRAPPER is a command line: split on purpose.
	# shellcheck disable=SC2086
	$EXAMPLE_WRAPPER "$ex_prog" >"$ex_out"
	ex_status=$?
	[ "$ex_status" -eq 0 ] || ex_fail "$1 exited with status $ex_status"
}

# ex_compare NAME: the output must equal examples/NAME.expected exactly.
ex_compare() {
	diff -u "$top_srcdir/examples/$1.expected" "$ex_out" ||
	    ex_fail "$1: output differs from examples/$1.expected"
}

# ex_now: seconds since the epoch, with nanoseconds (GNU date).
ex_now() {
	date +%s.%N
}
