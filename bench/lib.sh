# bench/lib.sh - what the benchmark scripts share, sourced by them (never
# run alone): starting and stopping one server pinned to a CPU, its CPU
# time from /proc, and a wrk run with the server's CPU time per request.
#
# The script sets, before sourcing: BENCH_NAME (for messages), DIR (its
# temp dir, removed at exit), PORT, DURATION (seconds per wrk run), SCPU
# and CCPU (the server's and the clients' CPUs).  SERVER holds the running
# server's pid; every process started is killed on exit (trap).

SERVER=

log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The server and its children (asyncd's worker), by pid.
pid_tree() { echo "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); }

stop_server() {
	local p pids
	[ -n "$SERVER" ] || return 0
	pids=$(pid_tree "$SERVER")
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	wait "$SERVER" 2>/dev/null
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	SERVER=
}
cleanup() { stop_server; rm -rf "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# "utime stime" in clock ticks, summed over pid_tree.
cputicks() {
	local p st rest f u=0 s=0
	for p in $(pid_tree "$1"); do
		st=$(cat /proc/"$p"/stat 2>/dev/null) || continue
		rest=${st##*) }
		read -ra f <<<"$rest"
		u=$((u + f[11]))
		s=$((s + f[12]))
	done
	echo "$u $s"
}

calc() { awk "BEGIN { printf \"%s\", $* }" </dev/null; }

# Waits until something answers on PORT (the server is up), 10 s at most.
wait_port() {
	local i
	for i in $(seq 200); do
		(exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && return 0
		kill -0 "$SERVER" 2>/dev/null || die "the server exited at start"
		sleep 0.05
	done
	die "nothing listens on $PORT after 10 s"
}

# start_asyncd BINARY CONF [env...]: one worker, pinned.
start_asyncd() {
	local bin=$1 conf=$2
	shift 2
	env "$@" taskset -c "$SCPU" "$bin" -c "$conf" 2>>"$DIR/server.log" &
	SERVER=$!
	wait_port
}


# run NAME URL [wrk args...]: wrk for DURATION on CPU 0; sets REQS, RPS,
# CPU_US (server CPU per request, µs) and KERN (its kernel share, %).
run() {
	local name=$1 url=$2 t0 t1 u s out
	shift 2
	t0=$(cputicks "$SERVER")
	# The URL before the options: "-- ARGS" (a script's) must come last.
	out=$(timeout $((DURATION + 30)) taskset -c "$CCPU" wrk -t1 -c64 \
	    -d"${DURATION}s" "$url" "$@") || die "$name: wrk failed: $out"
	t1=$(cputicks "$SERVER")
	REQS=$(awk '/requests in/ { print $1 }' <<<"$out")
	RPS=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
	if grep -q "Non-2xx" <<<"$out"; then
		die "$name: errors: $(grep Non-2xx <<<"$out")"
	fi
	read -r u s <<<"$(calc "${t1% *} - ${t0% *}") $(calc "${t1#* } - ${t0#* }")"
	CPU_US=$(calc "($u + $s) * 1000000 / $(getconf CLK_TCK) / $REQS")
	KERN=$(calc "(($u + $s) > 0 ? 100 * $s / ($u + $s) : 0)")
	printf '  %-28s %9.0f req/s  %6.2f us CPU/req  (kernel %4.1f%%)\n' \
	    "$name" "$RPS" "$CPU_US" "$KERN"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
