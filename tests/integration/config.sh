#!/bin/sh
# config.sh - the asyncd command line on configuration files: -t, -T, -h,
# -v, and the exit statuses of sysexits.h (0, EX_USAGE 64, EX_CONFIG 78).
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
    'shutdown = 10.0;' 'error = "stderr";' 'level = "info";' \
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

# -h, -v; bad options are EX_USAGE.
run -h
expect 0 "-h"
contains "$tmp/out" "usage: asyncd [-c FILE] [-t] [-T] [-v] [-h]" "-h"
for o in -c -t -T -v -h; do
	contains "$tmp/out" "  $o " "-h lists $o"
done
run -v
expect 0 "-v"
grep -q '^asyncd [0-9][0-9.]*' "$tmp/out" || fail "-v: $(cat "$tmp/out")"
run -x
expect 64 "-x"
contains "$tmp/err" "usage: asyncd" "-x"
run -t -c "$tmp/bad.conf" extra
expect 64 "extra argument"

[ "$fails" -eq 0 ] || exit 1
echo "ok: asyncd -t, -T, -h, -v"
