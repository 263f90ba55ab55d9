#!/bin/sh
# config.sh - the asyncd command line on configuration files: -t, -T, -h,
# -v, -V, --help, --version, and the exit statuses of sysexits.h (0, EX_USAGE 64, EX_CONFIG 78).
# Nothing here opens a socket.
#
# Environment (automake's TESTS exports top_srcdir and top_builddir):
#   ASYNCD_WRAPPER  a command to run asyncd under, such as
#                   "valgrind -q --error-exitcode=99 --leak-check=full".
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
: "${ASYNCD_WRAPPER:=}"
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncd-config.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# run ARGS...: runs asyncd; $status, $tmp/out and $tmp/err get the results.
run() {
	# $ASYNCD_WRAPPER is a command line: split on purpose.
	# shellcheck disable=SC2086
	$ASYNCD_WRAPPER "$asyncd" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

# expect STATUS WHAT: checks $status.
expect() {
	[ "$status" -eq "$1" ] ||
	    fail "$2: exit status $status, want $1 (stderr: $(cat "$tmp/err"))"
}

# contains FILE TEXT WHAT: FILE holds the fixed string TEXT.
contains() {
	grep -qF -- "$2" "$1" ||
	    fail "$3: no \"$2\" in $(basename "$1"): $(cat "$1")"
}

# -t on the shipped files.
for f in asyncd.conf asyncd-fast.conf; do
	run -t -c "$top_srcdir/conf/$f"
	expect 0 "-t $f"
	contains "$tmp/out" "configuration OK" "-t $f"
done

# -t on a bad file: 78 and FILE:LINE: what, on stderr.
printf 'workers = 1;\ntimeouts = {\n  keepalive = "fast";\n};\n' >"$tmp/bad.conf"
run -t -c "$tmp/bad.conf"
expect 78 "-t bad.conf"
contains "$tmp/err" "$tmp/bad.conf:3: timeouts.keepalive: must be a number between 0.001 and 86400, not \"fast\"" "-t bad.conf"
[ -s "$tmp/out" ] && fail "-t bad.conf wrote to stdout: $(cat "$tmp/out")"

# An unknown setting, a syntax error, a missing file: 78 too, also
# without -t (the server never starts).
printf 'listen = [ "127.0.0.1:0" ];\nmax_conections = 5;\n' >"$tmp/typo.conf"
run -c "$tmp/typo.conf"
expect 78 "typo.conf"
contains "$tmp/err" "$tmp/typo.conf:2: max_conections: unknown setting (did you mean \"max_connections\"?)" "typo.conf"
printf 'workers = 1;\nlimits = ;\n' >"$tmp/syntax.conf"
run -t -c "$tmp/syntax.conf"
expect 78 "syntax.conf"
contains "$tmp/err" "$tmp/syntax.conf:2: syntax error" "syntax.conf"
run -t -c "$tmp/missing.conf"
expect 78 "missing.conf"
contains "$tmp/err" "$tmp/missing.conf: No such file or directory" "missing.conf"

# -T: every setting, defaults filled in, as a file -t accepts.
printf 'workers = "auto";\napps = ( { module = "seed"; settings = {\n  routes = ( { path = "/"; handler = "index"; delay = 0.5; } ); }; } );\n' >"$tmp/small.conf"
run -T -c "$tmp/small.conf"
expect 0 "-T"
for s in 'listen = [ "127.0.0.1:8000" ];' 'workers = "auto";' \
    'max_connections = 10000;' 'request_line = 8192;' \
    'header_size = 16384;' 'header_count = 100;' 'body = 1048576;' \
    'header = 10.0;' 'body = 10.0;' 'keepalive = 75.0;' 'send = 10.0;' \
    'shutdown = 10.0;' 'drain = 0.0;' 'error = "stderr";' 'level = "info";' \
    'access = "off";' 'healthz = "/healthz";' 'module = "seed";' \
    'mount = "/";' 'name = "seed";' \
    'path = "/";' 'handler = "index";' 'delay = 0.5;' \
    'server_name = "asyncd";'; do
	contains "$tmp/out" "$s" "-T"
done
cp "$tmp/out" "$tmp/dumped.conf"
run -t -c "$tmp/dumped.conf"
expect 0 "-t on -T's output"
run -T -c "$tmp/dumped.conf"
# ... and dumps the same settings again (the first line names the file).
grep -v '^#' "$tmp/dumped.conf" >"$tmp/d1"
grep -v '^#' "$tmp/out" >"$tmp/d2"
cmp -s "$tmp/d1" "$tmp/d2" || fail "-T of -T's output differs"
run -T -c "$tmp/bad.conf"
expect 78 "-T bad.conf"

# listen options after the address (nginx's): backlog=N is kept by -T;
# an unknown option or a bad value is FILE:LINE and 78; the address part
# alone names a socket, so the same address twice is refused whatever
# its options.
printf 'listen = [ "127.0.0.1:8000 backlog=77", "[::1]:8000" ];
timeouts = { drain = 2.5; };
' >"$tmp/backlog.conf"
run -T -c "$tmp/backlog.conf"
expect 0 "-T backlog.conf"
contains "$tmp/out" 'listen = [ "127.0.0.1:8000 backlog=77", "[::1]:8000" ];' "-T backlog.conf"
contains "$tmp/out" 'drain = 2.5;' "-T backlog.conf"
for bad in 'backlog=0:backlog= must be a number between 1 and 65535' \
    'backlog=65536:backlog= must be a number between 1 and 65535' \
    'backlog=:backlog= must be a number between 1 and 65535' \
    'backlog:backlog= must be a number between 1 and 65535' \
    'backlog=1 backlog=2:option backlog given twice' \
    'backlogg=5:unknown option "backlogg" (known: backlog, proxy_protocol)' \
    'deferred:unknown option "deferred"'; do
	opt=${bad%%:*}
	printf 'workers = 1;\nlisten = [ "127.0.0.1:0",\n  "127.0.0.1:8001 %s" ];\n' \
	    "$opt" >"$tmp/badopt.conf"
	run -t -c "$tmp/badopt.conf"
	expect 78 "-t listen option $opt"
	contains "$tmp/err" "$tmp/badopt.conf:3: listen[1]: \"127.0.0.1:8001 $opt\": ${bad#*:}" "-t listen option $opt"
done
printf 'listen = [ "127.0.0.1:8001", "127.0.0.1:8001 backlog=5" ];\n' >"$tmp/twice.conf"
run -t -c "$tmp/twice.conf"
expect 78 "-t the same address with and without options"
contains "$tmp/err" '"127.0.0.1:8001" is listed twice' "-t twice.conf"
printf 'timeouts = {\n  drain = -1;\n};\n' >"$tmp/drain.conf"
run -t -c "$tmp/drain.conf"
expect 78 "-t drain = -1"
contains "$tmp/err" "$tmp/drain.conf:2: timeouts.drain: must be a number between 0 and 86400, not -1" "-t drain.conf"

# user and group do nothing unless asyncd starts as root (the unit's
# DynamicUser=yes): a warning says so.  A module that does not exist stops
# the start (78) before anything is bound.  As root, the check runs as
# nobody through setpriv (util-linux), if there.
printf 'user = "nobody";\napps = ( { module = "nosuchmodule"; } );\n' \
    >"$tmp/user.conf"
chmod 644 "$tmp/user.conf"
chmod 755 "$tmp"
asroot=
if [ "$(id -u)" -ne 0 ]; then
	run -c "$tmp/user.conf"
	asroot=no
elif command -v setpriv >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    $ASYNCD_WRAPPER "$asyncd" -c "$tmp/user.conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
	asroot=no
fi
if [ "$asroot" = no ]; then
	expect 78 "user = \"nobody\" without root"
	contains "$tmp/err" "user and group ignored: asyncd did not start as root" \
	    "user = \"nobody\" without root"
fi

# -h and --help, -v and --version, -V; bad options are EX_USAGE.
for o in -h --help; do
	run "$o"
	expect 0 "$o"
	contains "$tmp/out" "usage: asyncd [-c FILE] [-t] [-T] [-v] [-V] [-h]" "$o"
	for l in '-c ' '-t ' '-T ' '-v, --version' '-V ' '-h, --help' \
	    'asyncd(8)' 'asyncd.conf(5)'; do
		contains "$tmp/out" "$l" "$o lists $l"
	done
	[ -s "$tmp/err" ] && fail "$o wrote to stderr: $(cat "$tmp/err")"
done
for o in -v --version; do
	run "$o"
	expect 0 "$o"
	grep -q '^asyncd [0-9][0-9.]*$' "$tmp/out" || fail "$o: $(cat "$tmp/out")"
	contains "$tmp/out" "MIT License" "$o"
done
# -V: one "what: value" line each, the backend a real libev one.
run -V
expect 0 "-V"
grep -q '^asyncd [0-9][0-9.]*$' "$tmp/out" || fail "-V: $(cat "$tmp/out")"
grep -Eq '^context switch: (asm|ucontext) \([a-z0-9_]+\)$' "$tmp/out" ||
    fail "-V: no context switch line: $(cat "$tmp/out")"
grep -Eq '^sanitizers: (none|address|undefined|address, undefined)$' \
    "$tmp/out" || fail "-V: no sanitizers line: $(cat "$tmp/out")"
grep -Eq '^libev: [0-9]+\.[0-9]+ \(built with [0-9]+\.[0-9]+\), backend: (select|poll|epoll|kqueue|devpoll|port|linuxaio|io_uring) \(supported: [a-z_ ]+\)$' \
    "$tmp/out" || fail "-V: no libev backend line: $(cat "$tmp/out")"
contains "$tmp/out" "configuration file: /" "-V"
grep -q '^configure arguments: ' "$tmp/out" ||
    fail "-V: no configure arguments line: $(cat "$tmp/out")"
# What the build says, it is: config.h, beside the binary.
if [ -f "$top_builddir/config.h" ]; then
	for d in CONTEXT SANITIZERS; do
		v=$(sed -n "s/^#define ASYNCD_BUILD_$d \"\(.*\)\"$/\1/p" \
		    "$top_builddir/config.h")
		grep -qxF -e "context switch: $v" -e "sanitizers: $v" \
		    "$tmp/out" || fail "-V does not say ASYNCD_BUILD_$d \"$v\""
	done
fi
# The backend is asked of libev, not assumed: LIBEV_FLAGS=2 is poll.
(LIBEV_FLAGS=2; export LIBEV_FLAGS; run -V)
contains "$tmp/out" "backend: poll (" "-V with LIBEV_FLAGS=2 (poll)"
for o in -x --bogus --help=x; do
	run "$o"
	expect 64 "$o"
	contains "$tmp/err" "usage: asyncd" "$o"
	[ -s "$tmp/out" ] && fail "$o wrote to stdout: $(cat "$tmp/out")"
done
run -t -c "$tmp/bad.conf" extra
expect 64 "extra argument"

[ "$fails" -eq 0 ] || exit 1
echo "ok: asyncd -t, -T, -h, -v, -V, --help, --version"
