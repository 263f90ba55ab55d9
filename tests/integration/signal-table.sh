#!/bin/sh
# signal-table.sh - asyncd(8)'s SIGNALS table, signal by signal: every
# asynchronous signal of 1..31 (all but KILL, STOP and the synchronous
# faults SEGV, BUS, FPE, ILL, TRAP, SYS, ABRT) is sent to the master and
# to a worker of an asyncd serving with two workers; after each one it
# still serves (GET / is 200), the master lives, and either the signal's
# effect is seen (HUP: a new generation; USR1: the logs reopened; TERM or
# QUIT to a worker: it is replaced; USR2, WINCH: logged as ignored) or
# nothing changed (the same worker pids, none of them stopped).  Then
# SIGSTOP and SIGCONT of the master for three heartbeat timeouts: the
# workers serve meanwhile, and on resume the master restarts its heartbeat
# rather than SIGABRT every worker; a worker stopped for less than the
# timeout is left alone, one stopped for longer is still replaced.  The
# stop signals (TERM, INT, QUIT to the master) come last, each ending its
# own instance.  Needs curl and ps (SKIP without them).
#
# A signal with no log line of its own is confirmed by the marker sent
# after it: SIGUSR1, which every process logs (two pending signals of one
# kind would merge, so one at a time).  A signal left at its default
# disposition by mistake would kill or stop the process before it logs
# the marker.
#
# Environment: top_srcdir, top_builddir (automake); ASYNCD_WRAPPER as in
# config.sh; RT_TEST_TIMEOUT_MULTIPLIER (an integer, as
# .ci/run sets it) multiplies the deadlines.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_WRAPPER:=}" "${RT_TEST_TIMEOUT_MULTIPLIER:=1}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }
command -v ps >/dev/null 2>&1 || { echo "SKIP: no ps"; exit 77; }

. "$top_srcdir/tests/integration/lib.sh"
it_init signal-table

# Deadlines, in tenths of a second (polls are 0.1 s apart).
long=$((100 * RT_TEST_TIMEOUT_MULTIPLIER))	# 10 s

# now_ms: the monotonic-enough wall clock, in milliseconds.
now_ms() {
	date +%s%3N
}

# start CONF: starts asyncd in the background; sets $pid and $port.
start() {
	: >"$tmp/err"
	# shellcheck disable=SC2086
	$ASYNCD_WRAPPER "$asyncd" -c "$1" 2>"$tmp/err" &
	pid=$!
	i=0
	port=
	until grep -q ' started: ' "$tmp/err"; do
		kill -0 "$pid" 2>/dev/null || die "asyncd exited at startup"
		i=$((i + 1))
		[ "$i" -le "$long" ] || die "not started in 10 s"
		sleep 0.1
	done
	port=$(sed -n 's/.*\[info\] asyncd\[[0-9]*\]: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/err" | head -n 1)
	[ -n "$port" ] || die "no \"listening on\" line"
}

# stopped STATUS WHAT: waits for asyncd to exit and checks its status.
stopped() {
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le "$long" ] || die "$2: still running after 10 s"
		sleep 0.1
	done
	wait "$pid"
	st=$?
	pid=
	[ "$st" -eq "$1" ] || die "$2: exit status $st, want $1"
}

# serves WHAT: GET / answers 200.
serves() {
	code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$port/") || die "$1: GET / failed"
	[ "$code" = 200 ] || die "$1: GET / answered $code"
}

# state PID: its state letter (R, S, T, Z...), or "gone".
state() {
	s=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" \
	    2>/dev/null)
	echo "${s:-gone}"
}

# workers: "PID1 PID2", the master's children by worker number.
workers() {
	ps -o pid=,args= --ppid "$pid" 2>/dev/null | sort -k4n |
	    awk '$2 == "asyncd:" && $3 == "worker" { printf "%s%s", s, $1;
		s = " " }'
}

# workers_settle WHAT: waits until the master has exactly two workers,
# both running (not stopped, not zombies), and sets $w1 $w2 and $wpids.
workers_settle() {
	ws_what=$1
	i=0
	while :; do
		wpids=$(workers)
		# shellcheck disable=SC2086
		set -- $wpids
		if [ $# -eq 2 ]; then
			case "$(state "$1")$(state "$2")" in
			*[TtZXx]*|*gone*) ;;
			*)	w1=$1 w2=$2; return 0 ;;
			esac
		fi
		i=$((i + 1))
		[ "$i" -le "$long" ] || die "$ws_what: not two workers: $(ps -o \
		    pid=,stat=,args= --ppid "$pid")"
		sleep 0.1
	done
}

# count PATTERN: how many lines of the log match.
count() {
	grep -c -- "$1" "$tmp/err"
}

# wait_count PATTERN N WHAT: waits until at least N lines match.
wait_count() {
	i=0
	while [ "$(count "$1")" -lt "$2" ]; do
		kill -0 "$pid" 2>/dev/null || die "$3: the master died"
		i=$((i + 1))
		[ "$i" -le "$long" ] || die "$3: no \"$1\" (want $2) in 10 s"
		sleep 0.1
	done
}

# marker TARGET WHAT: SIGUSR1 to the master (TARGET=m) or to worker 1
# (TARGET=1), and waits for its log line: every signal sent before it was
# taken.
marker() {
	if [ "$1" = m ]; then
		re="asyncd\[$pid\]: SIGUSR1: log files reopened"
		to=$pid
	else
		re="asyncd\[$w1\]: worker 1: SIGUSR1: log files reopened"
		to=$w1
	fi
	n=$(($(count "$re") + 1))
	kill -USR1 "$to" 2>/dev/null || die "$2: pid $to is gone"
	wait_count "$re" "$n" "$2 (then SIGUSR1)"
}

# same_workers WHAT: the worker pids are still $wpids, all running.
same_workers() {
	now=$(workers)
	[ "$now" = "$wpids" ] || die "$1: workers $wpids became $now"
	for w in $wpids; do
		case "$(state "$w")" in
		[TtZXx]|gone) die "$1: worker $w is $(state "$w")" ;;
		esac
	done
}

cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:0" ];
workers = 2;
timeouts = { heartbeat = 0.5; shutdown = 2.0; };
log = { access = "$tmp/access.log"; };
apps = ( { module = "seed"; settings = { routes = (
	   { path = "/"; handler = "index"; } ); }; } );
EOC

start "$tmp/a.conf"
serves "at start"
workers_settle "at start"

# ---- to the master, 1..31 but the stop signals (at the end) ----
gen=1
# USR2 (12), the binary upgrade, replaces the master: upgrade.sh tests it.
for n in 1 10 13 14 16 17 18 20 21 22 23 24 25 26 27 28 29 30; do
	name=$(kill -l "$n")
	what="SIG$name to the master"
	case "$name" in
	HUP)
		gen=$((gen + 1))
		old=$wpids
		kill -HUP "$pid"
		wait_count "reloaded: generation $gen serving" 1 "$what"
		# The old generation leaves; two new workers serve.
		i=0
		while :; do
			workers_settle "$what"
			case " $old " in
			*" $w1 "*|*" $w2 "*) ;;
			*)	break ;;
			esac
			i=$((i + 1))
			[ "$i" -le "$long" ] || die "$what: old workers stay"
			sleep 0.1
		done ;;
	USR1)
		mv "$tmp/access.log" "$tmp/access.log.1" ||
		    die "cannot move access.log"
		marker m "$what"
		# The master then tells the workers, which open a new file.
		i=0
		until [ -e "$tmp/access.log" ]; do
			i=$((i + 1))
			[ "$i" -le "$long" ] || die "$what: no new access.log"
			sleep 0.1
		done
		same_workers "$what" ;;
	WINCH)
		# Logged as ignored: nginx's, sent by habit.
		n0=$(count "SIG$name: ignored")
		kill "-$n" "$pid"
		wait_count "SIG$name: ignored" $((n0 + 1)) "$what"
		same_workers "$what" ;;
	*)
		kill "-$n" "$pid" || die "$what: kill"
		marker m "$what"
		same_workers "$what" ;;
	esac
	serves "$what"
	[ "$(state "$pid")" != T ] || die "$what: the master is stopped"
done

# ---- to worker 1, 1..31 ----
for n in 1 2 3 10 12 13 14 15 16 17 18 20 21 22 23 24 25 26 27 28 29 30; do
	name=$(kill -l "$n")
	what="SIG$name to worker 1 (pid $w1)"
	case "$name" in
	TERM|QUIT)
		# A graceful stop of that worker: the master replaces it.
		old=$w1
		n0=$(count "ready, replacing pid $old\$")
		kill "-$n" "$old"
		wait_count "ready, replacing pid $old\$" $((n0 + 1)) "$what"
		i=0
		while [ "$(state "$old")" != gone ]; do
			i=$((i + 1))
			[ "$i" -le "$long" ] || die "$what: still there"
			sleep 0.1
		done
		workers_settle "$what"
		[ "$w1" != "$old" ] || die "$what: not replaced"
		# Gracefully: it exited, rather than died of the signal.
		grep -q "worker 1 (pid $old) exited with status 0" \
		    "$tmp/err" || die "$what: not a graceful exit" ;;
	USR1)
		mv "$tmp/access.log" "$tmp/access.log.2" ||
		    die "cannot move access.log"
		marker 1 "$what"
		# Its access log is a new file: what it serves lands there.
		i=0
		until [ -e "$tmp/access.log" ]; do
			i=$((i + 1))
			[ "$i" -le "$long" ] || die "$what: no new access.log"
			sleep 0.1
		done
		same_workers "$what" ;;
	*)
		kill "-$n" "$w1" || die "$what: kill"
		marker 1 "$what"
		same_workers "$what" ;;
	esac
	serves "$what"
	kill -0 "$pid" 2>/dev/null || die "$what: the master died"
done
grep -q 'did not answer' "$tmp/err" && die "a worker missed a heartbeat"

# ---- SIGSTOP of the master for three heartbeat timeouts ----
# The master is stopped with a PING to worker 1 unanswered: worker 1 is
# stopped for half the timeout first (the master PINGs every eighth of
# it), and continued once the master is stopped, so that its PONG waits
# unread in the channel for the whole pause.  On SIGCONT that PING is
# 1.5 s old by the master's clock, but the master was not looking.
wpids_before=$wpids
kill -STOP "$w1"
sleep 0.25
kill -STOP "$pid"
i=0
until [ "$(state "$pid")" = T ]; do
	i=$((i + 1))
	[ "$i" -le "$long" ] || die "SIGSTOP: the master is $(state "$pid")"
	sleep 0.1
done
kill -CONT "$w1"
# The workers serve on, without the master, for 1.5 s.
end=$(($(now_ms) + 1500))
k=0
while [ "$(now_ms)" -lt "$end" ]; do
	serves "while the master is stopped"
	k=$((k + 1))
	sleep 0.05
done
[ "$k" -ge 3 ] || die "only $k requests while the master was stopped"
kill -CONT "$pid"
wait_count "master was paused [0-9.]* s: heartbeats restart" 1 "SIGCONT"
# Three heartbeat timeouts after the resume: nobody was judged hung.
end=$(($(now_ms) + 1500 * RT_TEST_TIMEOUT_MULTIPLIER))
while [ "$(now_ms)" -lt "$end" ]; do
	grep -q 'did not answer' "$tmp/err" &&
	    die "after SIGCONT: the master took the pause for hung workers"
	same_workers "after SIGCONT"
	serves "after SIGCONT"
	sleep 0.1
done
[ "$wpids" = "$wpids_before" ] || die "after SIGCONT: workers changed"

# A worker stopped for a fifth of the timeout is left alone.
kill -STOP "$w2"
sleep 0.1
kill -CONT "$w2"
end=$(($(now_ms) + 1500 * RT_TEST_TIMEOUT_MULTIPLIER))
while [ "$(now_ms)" -lt "$end" ]; do
	grep -q 'did not answer' "$tmp/err" &&
	    die "a worker stopped for 0.1 s was taken for hung"
	sleep 0.1
done
same_workers "worker 2 stopped for 0.1 s"

# The heartbeat still works: a worker stopped for good is replaced.
old=$w2
kill -STOP "$old"
wait_count "worker 2 (pid $old) did not answer" 1 "worker 2 stopped"
wait_count "ready, replacing pid $old\$" 1 "worker 2 stopped"
workers_settle "worker 2 stopped"
if [ "$w2" = "$old" ] || [ "$w1" != "${wpids_before%% *}" ]; then
	die "worker 2 stopped: workers $wpids_before became $wpids"
fi
serves "worker 2 replaced"

# ---- the stop signals to the master, one instance each ----
kill -TERM "$pid"
stopped 0 "SIGTERM to the master"
grep -q 'SIGTERM: graceful stop' "$tmp/err" || die "SIGTERM: not logged"
for name in INT QUIT; do
	start "$tmp/a.conf"
	serves "before SIG$name"
	kill "-$name" "$pid"
	stopped 0 "SIG$name to the master"
	grep -q "SIG$name: graceful stop" "$tmp/err" ||
	    die "SIG$name: not logged"
done

echo "ok: every asynchronous signal to the master and to a worker, and" \
    "SIGSTOP/SIGCONT of the master"
