# fixture.sh - sourced after common.sh by the check scripts of the network
# examples (wget.sh, fetch.sh): starts tests/examples/http-fixture on two
# ephemeral ports of 127.0.0.1 ($fx_port1, $fx_port2) and makes sure it is
# stopped however the script ends.

fx_pid=
fx_cleanup() {
	if [ -n "$fx_pid" ]; then
		kill "$fx_pid" 2>/dev/null
		wait "$fx_pid" 2>/dev/null
	fi
	rm -rf "$ex_tmp"
}
# Replaces common.sh's trap, which only removed $ex_tmp.
trap fx_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# fx_start: the fixture lives 60 s at most, even if this trap never runs.
fx_start() {
	fx_prog=$top_builddir/tests/examples/http-fixture
	[ -x "$fx_prog" ] || { echo "ERROR: $fx_prog not built" >&2; exit 99; }
	"$fx_prog" 60 >"$ex_tmp/fixture.out" 2>"$ex_tmp/fixture.err" &
	fx_pid=$!
	fx_i=0
	while [ ! -s "$ex_tmp/fixture.out" ]; do
		kill -0 "$fx_pid" 2>/dev/null || {
			cat "$ex_tmp/fixture.err" >&2
			echo "ERROR: http-fixture exited" >&2
			exit 99
		}
		fx_i=$((fx_i + 1))
		[ "$fx_i" -le 100 ] || { echo "ERROR: http-fixture silent" >&2; exit 99; }
		sleep 0.05
	done
	read -r fx_port1 fx_port2 <"$ex_tmp/fixture.out"
	[ -n "$fx_port2" ] || { echo "ERROR: no fixture ports" >&2; exit 99; }
}

# io_run NAME ARGS...: runs examples/NAME with arguments; stdout lands in
# $ex_out, the exit status in $ex_status (not checked here).
io_run() {
	ex_prog=$top_builddir/examples/$1
	shift
	[ -x "$ex_prog" ] || { echo "ERROR: $ex_prog not built" >&2; exit 99; }
	# shellcheck disable=SC2086
	$EXAMPLE_WRAPPER "$ex_prog" "$@" >"$ex_out"
	ex_status=$?
}
