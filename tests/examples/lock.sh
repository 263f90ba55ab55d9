# Runs examples/lock and checks mutual exclusion from its output: each coro
# goes waiting -> holding -> releasing, and no coro holds the lock while the
# other does.  Then, since wake-ups are FIFO, the exact order is checked too.
. "${top_srcdir:-.}/tests/examples/common.sh"
ex_run lock
awk '
	function bad(why) {
		printf "line %d (%s): %s\n", NR, $0, why
		err = 1
		exit 1
	}
	{ c = $2; sub(/:$/, "", c) }
	/^coro [0-9]+: waiting for lock$/ {
		if (state[c] != "") bad("coro " c " waits twice")
		state[c] = "w"
		next
	}
	/^coro [0-9]+: holding the lock$/ {
		if (state[c] != "w") bad("coro " c " holds without waiting")
		if (holder != "") bad("coro " holder " holds the lock")
		holder = c
		state[c] = "h"
		next
	}
	/^coro [0-9]+: releasing the lock$/ {
		if (holder != c) bad("coro " c " releases without holding")
		holder = ""
		state[c] = "r"
		done++
		next
	}
	{ bad("unexpected line") }
	END {
		if (!err && done != 2) {
			print "not every coro released the lock"
			exit 1
		}
	}
' "$ex_out" || ex_fail "lock: mutual exclusion violated"
ex_compare lock
