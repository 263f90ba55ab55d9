#!/bin/sh
# metrics.sh - the /metrics page (stats.c) under traffic, read by a real
# parser: python3-prometheus-client's, plus promtool's naming rules
# (metrics.py), plus promtool itself when installed ($PROMTOOL or on PATH:
# Debian's prometheus package, which bootstrap does not install, since it
# starts a Prometheus server).  Requests by method and status class, a
# 400 parse error, a header timeout; then a reload and a kill -9 of a
# worker: no counter goes back, and reloads and restarts count them.  Then
# the stats listener: /metrics there, 404 on the public listener.
#
# Needs python3 with prometheus_client (SKIP without, FAIL under CI=true).
# Environment: top_srcdir, top_builddir (automake); ASYNCD_WRAPPER as in
# config.sh.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_WRAPPER:=}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }
py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import prometheus_client.parser' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	[ "${CI:-}" = true ] &&
	    { echo "FAIL: no python3-prometheus-client under CI" >&2; exit 1; }
	echo "SKIP: no python3 with prometheus_client"
	exit 77
fi
promtool=${PROMTOOL:-$(command -v promtool 2>/dev/null)}
m() { "$py" "$top_srcdir/tests/integration/metrics.py" "$@"; }

. "$top_srcdir/tests/integration/lib.sh"
it_init metrics

# waitlog PATTERN WHAT: until the error log has PATTERN (10 s at most).
waitlog() {
	i=0
	until grep -q "$1" "$tmp/err"; do
		i=$((i + 1))
		[ "$i" -le 200 ] || die "$2: no \"$1\" in the log after 10 s"
		sleep 0.05
	done
}

# start CONF: asyncd in the background; sets $pid, $port and, with a stats
# listener, $sport.
start() {
	: >"$tmp/err"
	# shellcheck disable=SC2086
	$ASYNCD_WRAPPER "$asyncd" -c "$1" 2>"$tmp/err" &
	pid=$!
	waitlog 'started:' "start"
	port=$(sed -n 's/.*: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
	    "$tmp/err" | head -n 1)
	sport=$(sed -n 's/.*: stats pages on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
	    "$tmp/err" | head -n 1)
}

# scrape URL OUT: the page, parsed and linted (and by promtool if there).
scrape() {
	m scrape "$1" "$2" >"$tmp/lint" 2>&1 ||
	    die "$1: $(cat "$tmp/lint")"
	if [ -n "$promtool" ]; then
		"$promtool" check metrics <"$2" >"$tmp/promtool" 2>&1 ||
		    die "promtool check metrics: $(cat "$tmp/promtool")"
		[ ! -s "$tmp/promtool" ] ||
		    die "promtool check metrics: $(cat "$tmp/promtool")"
	fi
}

# sum OUT SERIES: the sum of the series matching SERIES, a regular
# expression of a series with its labels in alphabetical order, as
# metrics.py writes them.
sum() {
	grep "^$2" "$1.series" | sed 's/.* //' |
	    awk '{ s += $1 } END { printf "%d\n", s }'
}

# await URL OUT SERIES MIN: scrapes until SUM(SERIES) >= MIN (the workers'
# counters reach the master with each heartbeat).
await() {
	i=0
	while :; do
		scrape "$1" "$2"
		[ "$(sum "$2" "$3")" -ge "$4" ] && return 0
		i=$((i + 1))
		[ "$i" -le 100 ] || die "$3 below $4 after 10 s: $(sum "$2" "$3")"
		sleep 0.1
	done
}

cat >"$tmp/a.conf" <<EOC
listen = [ "127.0.0.1:0" ];
workers = 2;
timeouts = { header = 0.5; heartbeat = 0.4; };
EOC
start "$tmp/a.conf"
base=http://127.0.0.1:$port

# Traffic: 5 GET 2xx, 3 GET 404, a HEAD, a 400 parse error, a header
# timeout (408).
for i in 1 2 3 4 5; do
	[ "$(m get "$base/healthz")" = 200 ] || die "GET /healthz"
done
for i in 1 2 3; do
	[ "$(m get "$base/nope")" = 404 ] || die "GET /nope"
done
st=$(m raw "$port" 'HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$st" = "HTTP/1.1 200 OK" ] || die "HEAD: $st"
st=$(m raw "$port" 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')
case $st in "HTTP/1.1 400"*) ;; *) die "bad header: $st" ;; esac
st=$(m raw "$port" 'GET / HTTP/1.1\r\nHost: x\r\n')
case $st in "HTTP/1.1 408"*) ;; *) die "slow head: $st" ;; esac

await "$base/metrics" "$tmp/m1" 'asyncd_http_timeouts_total{kind="header",worker="[0-9]*"}' 1
await "$base/metrics" "$tmp/m1" 'asyncd_http_requests_total{code="2xx",method="GET",worker="[0-9]*"}' 5
s=$(sum "$tmp/m1" 'asyncd_http_requests_total{code="4xx",method="GET",worker="[0-9]*"}')
[ "$s" -ge 3 ] || die "GET 4xx: $s, want 3 or more"
s=$(sum "$tmp/m1" 'asyncd_http_requests_total{code="2xx",method="HEAD",worker="[0-9]*"}')
[ "$s" -eq 1 ] || die "HEAD 2xx: $s, want 1"
s=$(sum "$tmp/m1" 'asyncd_http_parse_errors_total{kind="malformed",worker="[0-9]*"}')
[ "$s" -eq 1 ] || die "parse errors: $s, want 1"
s=$(sum "$tmp/m1" 'asyncd_http_request_duration_seconds_count')
[ "$s" -ge 9 ] || die "histogram count: $s, want 9 or more"
s=$(sum "$tmp/m1" 'asyncd_http_connections_accepted_total')
[ "$s" -ge 11 ] || die "accepted: $s, want 11 or more"
s=$(sum "$tmp/m1" 'asyncd_http_sent_bytes_total')
[ "$s" -gt 0 ] || die "no bytes sent counted"
s=$(sum "$tmp/m1" 'asyncd_http_received_bytes_total')
[ "$s" -gt 0 ] || die "no bytes received counted"
grep -q '^asyncd_build_info{version="[^"]*"} 1$' "$tmp/m1" ||
    die "no asyncd_build_info"
grep -q '^asyncd_workers 2$' "$tmp/m1" || die "asyncd_workers is not 2"
grep -q 'pid=' "$tmp/m1" && die "a series labelled by pid"

# A reload: the old workers' counts stay, reloads{ok} is 1.
kill -HUP "$pid"
waitlog 'reloaded: generation 2' "reload"
await "$base/metrics" "$tmp/m2" 'asyncd_reloads_total{result="ok"}' 1
m mono "$tmp/m1" "$tmp/m2" >"$tmp/mono" || die "after reload: $(cat "$tmp/mono")"

# A worker killed: its counts stay, restarts{signal} is 1.
wpid=$(m pids "$base/stats" | cut -d' ' -f1)
[ -n "$wpid" ] && [ "$wpid" -gt 0 ] || die "no worker pid in /stats"
kill -KILL "$wpid"
waitlog "pid $wpid) killed by signal 9" "kill -9"
waitlog "replacing pid $wpid" "respawn"
await "$base/metrics" "$tmp/m3" 'asyncd_worker_restarts_total{cause="signal"}' 1
m mono "$tmp/m2" "$tmp/m3" >"$tmp/mono" || die "after kill -9: $(cat "$tmp/mono")"
m mono "$tmp/m1" "$tmp/m3" >"$tmp/mono" || die "after both: $(cat "$tmp/mono")"
s=$(sum "$tmp/m3" 'asyncd_http_requests_total{code="2xx",method="GET",worker="[0-9]*"}')
[ "$s" -ge 5 ] || die "GET 2xx after the respawn: $s, want 5 or more"
kill -TERM "$pid"
wait "$pid"
pid=

# The stats listener: the pages there, only /healthz on the public one.
cat >"$tmp/b.conf" <<EOC
listen = [ "127.0.0.1:0" ];
stats = { listen = "127.0.0.1:0"; };
timeouts = { heartbeat = 0.4; };
EOC
start "$tmp/b.conf"
[ -n "$sport" ] || die "no \"stats pages on\" line"
[ "$(m get "http://127.0.0.1:$port/metrics")" = 404 ] ||
    die "public /metrics is not 404"
[ "$(m get "http://127.0.0.1:$port/stats")" = 404 ] ||
    die "public /stats is not 404"
[ "$(m get "http://127.0.0.1:$port/healthz")" = 200 ] ||
    die "public /healthz is not 200"
[ "$(m get "http://127.0.0.1:$sport/healthz")" = 200 ] ||
    die "stats /healthz is not 200"
await "http://127.0.0.1:$sport/metrics" "$tmp/s1" 'asyncd_http_requests_total{code="4xx",method="GET",worker="1"}' 2
[ "$(m get "http://127.0.0.1:$sport/stats")" = 200 ] ||
    die "stats /stats is not 200"
# It survives a reload, on the same port.
kill -HUP "$pid"
waitlog 'reloaded: generation 2' "reload with a stats listener"
scrape "http://127.0.0.1:$sport/metrics" "$tmp/s2"
grep -q '^asyncd_reloads_total{result="ok"} 1$' "$tmp/s2" ||
    die "stats listener after reload: no reload counted"
kill -TERM "$pid"
wait "$pid" || die "exit status $? after the stop"
pid=

echo "ok: /metrics parses and lints${promtool:+ (and promtool agrees)}, counters survive reload and kill -9, stats listener"
