#!/bin/sh
# haproxy.sh - three asyncd instances behind haproxy, run on the shipped
# conf/haproxy.cfg, under a steady keep-alive load from first to last
# (lbload.py: 8 connections from 127.0.0.2 to haproxy, at most 200
# requests/s each, so as to leave CPU to the tests running beside it;
# haproxy talks to the instances from 127.0.0.3), while each instance in
# turn:
#   - restarts: SIGTERM (a graceful stop, which drains first when
#     ASYNCD_HAVE_DRAIN=1), its exit, a new start on the same port, until
#     haproxy's stats socket says UP again;
#   - upgrades its binary in place (only when ASYNCD_HAVE_UPGRADE=1):
#     SIGUSR2, until the pid file names a new master and the old one exits;
#   - reloads three times: SIGHUP, until its "reloaded:" line.
# Then: the client saw no failure and no status but 2xx; haproxy logged
# every request as a 2xx with the termination state "--"; the access logs
# hold at least as many lines of the load as the client got answers (a
# graceful stop, upgrade or reload loses none); every one shows the
# client's address 127.0.0.2 when the instances take the PROXY protocol
# (ASYNCD_HAVE_PROXY=1), haproxy's 127.0.0.3 when not, and never the
# X-Forwarded-For that the client sends (10.9.9.9: the client is no
# trusted proxy); haproxy saw no instance DOWN during the upgrades and
# reloads.  With the drain, the instances also left haproxy's rotation by
# their health check (a 503) before they exited, never by a refused
# connection, and haproxy retried no request during the restarts.
#
# What it catches, and what not.  haproxy retries, on another instance, a
# request whose connection was refused or closed before any response
# (conf/haproxy.cfg, retry-on): so an instance that vanishes between
# requests, even by SIGKILL (ASYNCD_LB_KILL=1), costs the client nothing;
# the test then fails on the access-log lines the killed workers had not
# written yet.  Without that retry-on (haproxy's default, conn-failure
# only) a graceful stop without drain costs the client about 11 requests
# in a run (the keep-alive race: an idle connection closed as haproxy
# sends on it), which haproxy does not even log; the client's count
# catches them.  It catches what haproxy cannot retry: a 5xx answered by
# an instance (a worker shutting down, /healthz or the app refusing), a
# connection closed after part of a response, a request left unanswered
# past haproxy's timeout server, an instance that does not come back
# (waiting for UP fails), an instance out of rotation when it should not
# be, and with the drain, a drain too short for haproxy's checks (1 s
# instead of 4: instances DOWN by refused connections, 213 retries).
# haproxy's stats (econ: refused connections, wredis: requests sent to
# another instance) and the retried requests per step are printed at the
# end.
#
# Three switches, all 1 by default, turn a feature off for an A/B run by
# hand (bench/lb-rolling measures with them): ASYNCD_HAVE_DRAIN=0 (no
# timeouts.drain), ASYNCD_HAVE_PROXY=0 (no proxy_protocol listeners, no
# send-proxy-v2), ASYNCD_HAVE_UPGRADE=0 (no SIGUSR2 step).
# Without haproxy (Debian's haproxy, which bootstrap and .ci/run install)
# the test FAILS, unless ASYNCD_SKIP_HAPROXY=1 (then SKIP).  $HAPROXY
# names another haproxy binary.  ASYNCD_LB_KILL=1 is the negative
# control: a SIGKILL, no graceful stop, instead of each restart's SIGTERM
# (see above for what the client sees then).  ASYNCD_LB_KEEP=1 keeps the
# temporary directory (logs, configurations) for a look after the run.
#
# Environment: top_srcdir, top_builddir (automake); ASYNCD_WRAPPER as in
# config.sh; RT_TEST_TIMEOUT_MULTIPLIER scales every wait.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_WRAPPER:=}"
: "${ASYNCD_HAVE_DRAIN:=1}" "${ASYNCD_HAVE_PROXY:=1}"
: "${ASYNCD_HAVE_UPGRADE:=1}" "${ASYNCD_LB_KILL:=0}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
# Debian's haproxy is in /usr/sbin, which a user's PATH may lack.
haproxy=${HAPROXY:-$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)}
if [ ! -x "$haproxy" ]; then
	[ "${ASYNCD_SKIP_HAPROXY:-0}" = 1 ] &&
	    { echo "SKIP: no haproxy (ASYNCD_SKIP_HAPROXY=1)"; exit 77; }
	echo "FAIL: no haproxy ($haproxy): apt-get install haproxy, or set" \
	    "ASYNCD_SKIP_HAPROXY=1 to skip this test" >&2
	exit 1
fi
py=$(command -v python3 2>/dev/null) ||
    { echo "FAIL: no python3 (bootstrap installs it)" >&2; exit 1; }
mult=${RT_TEST_TIMEOUT_MULTIPLIER:-1}
drain=4		# timeouts.drain: > inter * (fall + 1) = 3 s in conf/haproxy.cfg

. "$top_srcdir/tests/integration/lib.sh"
it_init haproxy

# Every process started here, killed on any exit: the instances' masters
# (an upgraded one is no child of ours: by pid), haproxy, the client.
# SIGTERM first, so that the masters take their workers along; SIGKILL
# for what is left after 3 s.
hapid=
loadpid=
pid1=
pid2=
pid3=
lb_cleanup() {
	# shellcheck disable=SC2086 # the empty ones vanish
	set -- $pid1 $pid2 $pid3 $hapid $loadpid
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	i=0
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null && [ "$i" -lt 60 ]; do
			i=$((i + 1))
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${ASYNCD_LB_KEEP:-0}" = 1 ]; then
		echo "kept: $tmp" >&2
		return
	fi
	it_cleanup
}
trap lb_cleanup EXIT

# lb_die WHAT: die with every log this test has, not only $tmp/err.
lb_die() {
	for f in "$tmp"/a?/err "$tmp/haproxy.log" "$tmp/load.out"; do
		[ -f "$f" ] || continue
		echo "--- $f (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
	die "$@"
}

# wait_until SECONDS WHAT CMD...: CMD every 0.05 s until it succeeds,
# SECONDS at most (scaled by RT_TEST_TIMEOUT_MULTIPLIER).
wait_until() {
	wu_n=$(($1 * 20 * mult))
	wu_what=$2
	shift 2
	wu_i=0
	until "$@"; do
		wu_i=$((wu_i + 1))
		[ "$wu_i" -le "$wu_n" ] ||
		    lb_die "$wu_what: not after $((wu_n / 20)) s"
		sleep 0.05
	done
}

alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
nlines() { grep -c "$1" "$2" 2>/dev/null; }
more_lines() { [ "$(nlines "$1" "$2")" -gt "$3" ]; }

# ---- the instances ---------------------------------------------------------

# conf I PORT: instance I's configuration, on PORT (0 at its first start).
conf() {
	pp=
	[ "$ASYNCD_HAVE_PROXY" = 1 ] && pp=" proxy_protocol"
	{
		printf 'listen = [ "127.0.0.1:%s%s" ];\n' "$2" "$pp"
		printf 'workers = 2;\n'
		printf 'pid_file = "%s";\n' "$tmp/a$1/pid"
		printf 'log = { access = "%s"; format = "combined"; };\n' \
		    "$tmp/a$1/access.log"
		printf 'stats = { listen = "off"; };\n'
		[ "$ASYNCD_HAVE_DRAIN" = 1 ] &&
		    printf 'timeouts = { drain = %s; };\n' "$drain"
		# haproxy's address: its X-Forwarded-For would be believed,
		# but with the PROXY protocol the peer is the client, whose
		# X-Forwarded-For (a lie here) must not be.
		[ "$ASYNCD_HAVE_PROXY" = 1 ] &&
		    printf 'trusted_proxies = [ "127.0.0.3/32" ];\n'
		printf 'apps = ( { module = "seed"; settings = { routes = (\n'
		printf '  { path = "/hello/{name}"; handler = "hello";'
		printf ' delay = 0.0; } ); }; } );\n'
	} >"$tmp/a$1/conf"
}

# start I: starts instance I on its configuration, until its "started:"
# line; sets pidI.
start() {
	st_n=$(nlines 'started:' "$tmp/a$1/err")
	# shellcheck disable=SC2086
	$ASYNCD_WRAPPER "$asyncd" -c "$tmp/a$1/conf" 2>>"$tmp/a$1/err" &
	eval "pid$1=\$!"
	wait_until 10 "instance $1 start" started "$1" "$st_n"
}

# started I N: instance I's log has more than N "started:" lines; dies if
# the instance exited.
started() {
	more_lines 'started:' "$tmp/a$1/err" "$2" && return 0
	alive "$(master "$1")" || lb_die "instance $1 exited at its start"
	return 1
}

master() { eval "echo \$pid$1"; }

# ---- haproxy -----------------------------------------------------------------

# hactl COMMAND: COMMAND on haproxy's stats socket; its answer on stdout.
hactl() {
	"$py" - "$tmp/haproxy.sock" "$1" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
EOP
}

# srvstat I FIELD: FIELD of `show stat` for server asyncdI ("status": UP,
# DOWN, "DOWN 1/2", NOLB...; econ, wretr, hrsp_5xx...).
srvstat() {
	hactl "show stat" | awk -F, -v sv="asyncd$1" -v f="$2" '
	    NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i; next }
	    $1 == "asyncd" && $2 == sv { print $c }'
}
is_up() { [ "$(srvstat "$1" status)" = UP ]; }
# downs: how many times haproxy took an instance out, all three summed.
downs() {
	echo $(($(srvstat 1 chkdown) + $(srvstat 2 chkdown) + \
	    $(srvstat 3 chkdown)))
}
all_up() { is_up 1 && is_up 2 && is_up 3; }

# ---- the load ----------------------------------------------------------------

answers() { cat "$tmp/progress" 2>/dev/null || echo 0; }
mark=0
# flowing WHAT: the client got answers since the last call (the load went
# on through WHAT).
flowing() {
	now=$(answers)
	[ "$now" -gt "$mark" ] || lb_die "$1: the load stopped ($now answers)"
	mark=$now
}
load_moves() { [ "$(answers)" -gt "$((mark + 20))" ]; }

# phase NAME: the time NAME starts, to tell which step haproxy retried in.
phase() { echo "$(date +%s.%N | cut -c1-14) $1" >>"$tmp/phases"; }

# ---- start -------------------------------------------------------------------

for i in 1 2 3; do
	mkdir "$tmp/a$i" || exit 99
	: >"$tmp/a$i/err"
	conf "$i" 0
	start "$i"
	port=$(sed -n 's/.*: listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
	    "$tmp/a$i/err" | head -n 1)
	[ -n "$port" ] || lb_die "instance $i: no listening line"
	eval "port$i=$port"
	# Restarts use the port it got.
	conf "$i" "$port"
done

# haproxy on the shipped file: its frontend and servers on our ports,
# logging to stdout in the foreground (in one thread: threads drop lines
# rather than wait for each other on that file), its stats socket here, its
# connections to the instances from 127.0.0.3, a log line that the checks
# below can read, and without send-proxy-v2 until the instances take it.
# A change to conf/haproxy.cfg that these edits miss fails here.
fport=$("$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
lf='lb %ci %b/%s %ST %ts %rc %Tt %Ts.%ms %{+Q}r'
sed -e 's|^\(	log \)/dev/log local0$|\1stdout format raw local0|' \
    -e 's|^global$|global\n	nbthread 1|' \
    -e "s|/run/haproxy/asyncd.sock|$tmp/haproxy.sock|" \
    -e "s|^\(	bind \)127.0.0.1:8080$|\1127.0.0.1:$fport|" \
    -e "s|^\(	server asyncd1 \)127.0.0.1:8001$|\1127.0.0.1:$port1|" \
    -e "s|^\(	server asyncd2 \)127.0.0.1:8002$|\1127.0.0.1:$port2|" \
    -e "s|^\(	server asyncd3 \)127.0.0.1:8003$|\1127.0.0.1:$port3|" \
    -e "s|^	option httplog\$|	log-format \"$lf\"|" \
    -e 's|^\(	balance roundrobin\)$|\1\n	source 127.0.0.3|' \
    "$top_srcdir/conf/haproxy.cfg" >"$tmp/haproxy.cfg"
[ "$ASYNCD_HAVE_PROXY" = 1 ] || sed -i 's/ send-proxy-v2$//' "$tmp/haproxy.cfg"
for want in 'log stdout format raw' "$tmp/haproxy.sock" \
    "bind 127.0.0.1:$fport" "asyncd1 127.0.0.1:$port1" \
    "asyncd2 127.0.0.1:$port2" "asyncd3 127.0.0.1:$port3" 'log-format "lb ' \
    'source 127.0.0.3' 'nbthread 1' 'option httpchk GET /healthz' \
    'retry-on'; do
	grep -qF "$want" "$tmp/haproxy.cfg" ||
	    lb_die "conf/haproxy.cfg: no \"$want\" after the test's edits"
done
"$haproxy" -c -q -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 ||
    lb_die "haproxy -c: $(cat "$tmp/haproxy.log")"
"$haproxy" -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
hapid=$!
ha_ready() {
	[ -S "$tmp/haproxy.sock" ] && return 0
	alive "$hapid" || lb_die "haproxy exited at its start"
	return 1
}
wait_until 10 "haproxy's stats socket" ha_ready
wait_until 10 "haproxy: every instance UP" all_up

"$py" "$top_srcdir/tests/integration/lbload.py" 127.0.0.1 "$fport" \
    /hello/lb --source 127.0.0.2 --conns 8 --interval 0.005 \
    --header "X-Forwarded-For: 10.9.9.9" \
    --max $((240 * mult)) \
    --progress "$tmp/progress" >"$tmp/load.out" 2>&1 &
loadpid=$!
wait_until 10 "the load through haproxy" load_moves
flowing "the start"
phase start

# ---- restarts ----------------------------------------------------------------

# While the instance drains, haproxy takes it out of rotation: the
# check's 503, within inter * fall, before the process exits.
out_of_rotation_first() {
	! is_up "$1" && return 0
	dead "$2" && lb_die "instance $1 exited before haproxy saw it DOWN"
	return 1
}

phase restarts
for i in 1 2 3; do
	p=$(master "$i")
	if [ "$ASYNCD_LB_KILL" = 1 ]; then
		kill -KILL "$p"
	else
		kill -TERM "$p"
		[ "$ASYNCD_HAVE_DRAIN" = 1 ] &&
		    wait_until $((drain + 5)) "instance $i out of rotation" \
		    out_of_rotation_first "$i" "$p"
	fi
	wait_until $((drain + 15)) "instance $i stop" dead "$p"
	wait "$p"
	st=$?
	[ "$ASYNCD_LB_KILL" = 1 ] || [ "$st" -eq 0 ] ||
	    lb_die "instance $i: exit status $st after SIGTERM"
	start "$i"
	wait_until 15 "instance $i UP after its restart" is_up "$i"
	flowing "the restart of instance $i"
done

# ---- upgrades ----------------------------------------------------------------

new_master() {
	q=$(cat "$tmp/a$1/pid" 2>/dev/null) || return 1
	[ -n "$q" ] && [ "$q" != "$2" ] && alive "$q"
}

# Upgrades and reloads never close the listening sockets: haproxy must
# not see an instance DOWN from here on (by a 503 of old workers that
# drain beside new ones, say).
downs0=$(downs)
if [ "$ASYNCD_HAVE_UPGRADE" = 1 ]; then
	phase upgrades
	for i in 1 2 3; do
		p=$(master "$i")
		kill -USR2 "$p"
		wait_until 20 "instance $i: a new master in the pid file" \
		    new_master "$i" "$p"
		wait_until $((drain + 15)) "instance $i: the old master's exit" \
		    dead "$p"
		wait "$p" 2>/dev/null
		eval "pid$i=$(cat "$tmp/a$i/pid")"
		wait_until 15 "instance $i UP after its upgrade" is_up "$i"
		flowing "the upgrade of instance $i"
	done
fi

# ---- reloads -----------------------------------------------------------------

phase reloads
for i in 1 2 3; do
	for r in 1 2 3; do
		n=$(nlines 'reloaded:' "$tmp/a$i/err")
		kill -HUP "$(master "$i")"
		wait_until 10 "instance $i: reload $r" more_lines 'reloaded:' \
		    "$tmp/a$i/err" "$n"
	done
	wait_until 15 "instance $i UP after its reloads" is_up "$i"
	flowing "the reloads of instance $i"
done

# ---- the end: stop all, then count -------------------------------------------

phase end
downs1=$(downs)
wait_until 10 "the load after the last step" load_moves
kill -TERM "$loadpid"
wait_until 20 "the client's end" dead "$loadpid"
wait "$loadpid"
loadpid=
hactl "show stat" >"$tmp/stat.csv"
hactl "show info" >"$tmp/info"
kill -TERM "$hapid"
wait_until 10 "haproxy's exit" dead "$hapid"
wait "$hapid" 2>/dev/null
hapid=
for i in 1 2 3; do
	p=$(master "$i")
	kill -TERM "$p"
	wait_until $((drain + 15)) "instance $i final stop" dead "$p"
	wait "$p" 2>/dev/null
	eval "pid$i="
done

summary=$(head -n 1 "$tmp/load.out")
# shellcheck disable=SC2086 # "requests N ok N non2xx N errors N ..."
set -- $summary
[ "$1" = requests ] || lb_die "the client: $(cat "$tmp/load.out")"
ok=$4 non2xx=$6 errors=$8
echo "client: $summary"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == "asyncd" && $2 != "BACKEND" {
	printf "haproxy: %s: econ %s eresp %s wretr %s wredis %s 5xx %s" \
	    " down %s\n", $2, $c["econ"], $c["eresp"], $c["wretr"],
	    $c["wredis"], $c["hrsp_5xx"], $c["chkdown"] }' "$tmp/stat.csv"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

[ "$((errors + non2xx))" -eq 0 ] ||
    fail "the client saw $errors failed requests and $non2xx non-2xx:" \
    "$(cat "$tmp/load.out")"
[ "$ok" -ge 500 ] || fail "only $ok requests in the whole run"

# haproxy's log: one "lb" line per request, each a 2xx ended normally
# ("--": no abort, no server error such as SC, SH, sC).
grep '^lb 127\.0\.0\.2 ' "$tmp/haproxy.log" | grep -F '"GET /hello/lb ' \
    >"$tmp/ha.req"
dropped=$(sed -n 's/^DroppedLogs: //p' "$tmp/info")
[ "$(wc -l <"$tmp/ha.req")" -ge "$ok" ] ||
    fail "haproxy logged $(wc -l <"$tmp/ha.req") requests (and dropped" \
    "${dropped:-?} lines), the client got $ok"
awk '$4 !~ /^2/ || $5 != "--"' "$tmp/ha.req" >"$tmp/ha.bad"
[ -s "$tmp/ha.bad" ] &&
    fail "haproxy logged $(wc -l <"$tmp/ha.bad") failed requests:" \
    "$(head -n 5 "$tmp/ha.bad")"
echo "haproxy: $(wc -l <"$tmp/ha.req") requests logged, ${dropped:-?}" \
    "log lines dropped, $(grep -c '^Server .* is DOWN' "$tmp/haproxy.log")" \
    "DOWN events"
# The requests haproxy retried, by the step they were accepted in.
awk 'NR == FNR { t[NR] = $1; p[NR] = $2; n = NR; next }
    $6 != "0" { w = "before the start"
	for (k = 1; k <= n; k++) if ($8 >= t[k]) w = p[k]
	r[w]++ }
    END { for (w in r) printf "haproxy: %d requests retried during %s\n",
	r[w], w }' "$tmp/phases" "$tmp/ha.req" | tee "$tmp/retried"
[ "$downs1" -eq "$downs0" ] ||
    fail "haproxy saw instances DOWN $((downs1 - downs0)) times during the" \
    "upgrades and reloads: $(grep '^Server .* is DOWN' "$tmp/haproxy.log")"
# With the drain, a stopping instance leaves the rotation through its
# health check (Layer7, 503), not through a refused connection.
if [ "$ASYNCD_HAVE_DRAIN" = 1 ]; then
	[ "$(grep -c '^Server .* is DOWN.*Layer7 wrong status, code: 503' \
	    "$tmp/haproxy.log")" -ge 3 ] ||
	    fail "drain: no DOWN by a 503 health check for each restart:" \
	    "$(grep '^Server .* is DOWN' "$tmp/haproxy.log")"
	grep '^Server .* is DOWN.*Layer4' "$tmp/haproxy.log" &&
	    fail "drain: an instance went DOWN by a refused connection"
	# ... so haproxy never had to retry a request there.
	grep ' during restarts$' "$tmp/retried" &&
	    fail "drain: haproxy retried requests during the restarts"
fi

# The access logs: who each instance saw.  The load's requests come from
# the client's address through the PROXY protocol, else from haproxy's
# 127.0.0.3; the health checks from haproxy's address either way.
cat "$tmp"/a?/access.log >"$tmp/access.all"
grep -F '"GET /hello/lb ' "$tmp/access.all" >"$tmp/access.load"
lines=$(wc -l <"$tmp/access.load")
[ "$lines" -ge "$ok" ] ||
    fail "the access logs have $lines lines of the load, the client got $ok"
want=127.0.0.3
[ "$ASYNCD_HAVE_PROXY" = 1 ] && want=127.0.0.2
other=$(awk -v a="$want" '$1 != a' "$tmp/access.load" | wc -l)
[ "$other" -eq 0 ] ||
    fail "$other access-log lines of the load not from $want:" \
    "$(awk -v a="$want" '$1 != a' "$tmp/access.load" | head -n 3)"
grep -F '"GET /healthz ' "$tmp/access.all" | awk '$1 != "127.0.0.3"' \
    >"$tmp/access.hc"
[ -s "$tmp/access.hc" ] &&
    fail "health checks not from haproxy's 127.0.0.3:" \
    "$(head -n 3 "$tmp/access.hc")"
for i in 1 2 3; do
	grep -F '"GET /hello/lb ' "$tmp/a$i/access.log" | grep -q ' 200 ' ||
	    fail "instance $i served none of the load"
done

[ "$fails" -eq 0 ] || exit 1
echo "ok: $ok requests through haproxy, 3 restarts," \
    "$([ "$ASYNCD_HAVE_UPGRADE" = 1 ] && echo "3 upgrades, ")9 reloads:" \
    "no failure (drain $ASYNCD_HAVE_DRAIN, proxy $ASYNCD_HAVE_PROXY," \
    "upgrade $ASYNCD_HAVE_UPGRADE)"
