# Runs examples/fetch on several URLs of the local fixture at once
# (Content-Length, chunked, an error status, a second port), then checks
# the "URL: STATUS, N bytes" lines, which come in argument order.  With
# python3 installed, also fetches a file from `python3 -m http.server`: a
# server we did not write.
. "${top_srcdir:-.}/tests/examples/common.sh"
. "${top_srcdir:-.}/tests/examples/fixture.sh"
fx_start
u=http://127.0.0.1:$fx_port1
v=http://127.0.0.1:$fx_port2
io_run fetch "$u/" "$u/bytes/1234" "$u/chunked/5000" "$u/status/404" \
    "$v/bytes/0" "$v/chunked/70000"
[ "$ex_status" -eq 0 ] || ex_fail "fetch exited with status $ex_status"
cat >"$ex_tmp/want" <<WANT
$u/: 200, 6 bytes
$u/bytes/1234: 200, 1234 bytes
$u/chunked/5000: 200, 5000 bytes
$u/status/404: 404, 0 bytes
$v/bytes/0: 200, 0 bytes
$v/chunked/70000: 200, 70000 bytes
WANT
diff -u "$ex_tmp/want" "$ex_out" || ex_fail "fetch: wrong output"

# Failures are reported per URL and make the exit status 1.
io_run fetch "$u/bytes/10" "https://127.0.0.1/" "$u/bytes/2000000"
[ "$ex_status" -eq 1 ] || ex_fail "fetch with bad URLs exited $ex_status"
cat >"$ex_tmp/want" <<WANT
$u/bytes/10: 200, 10 bytes
https://127.0.0.1/: error: Protocol not supported
$u/bytes/2000000: error: File too large
WANT
diff -u "$ex_tmp/want" "$ex_out" || ex_fail "fetch: wrong error output"

if ! command -v python3 >/dev/null 2>&1; then
	echo "fetch: python3 not found, skipping the http.server check"
	exit 0
fi
mkdir "$ex_tmp/www" && head -c 3000 /dev/zero >"$ex_tmp/www/file" ||
    exit 99
(cd "$ex_tmp/www" && exec python3 -u -m http.server --bind 127.0.0.1 0) \
    >"$ex_tmp/py.out" 2>&1 &
py_pid=$!
trap 'kill "$py_pid" 2>/dev/null; wait "$py_pid" 2>/dev/null; fx_cleanup' EXIT
i=0
until py_port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\).*/\1/p' \
    "$ex_tmp/py.out") && [ -n "$py_port" ]; do
	kill -0 "$py_pid" 2>/dev/null || {
		cat "$ex_tmp/py.out" >&2
		echo "ERROR: python3 -m http.server exited" >&2
		exit 99
	}
	i=$((i + 1))
	[ "$i" -le 200 ] || { echo "ERROR: http.server silent" >&2; exit 99; }
	sleep 0.05
done
p=http://127.0.0.1:$py_port
io_run fetch "$p/file" "$p/missing"
[ "$ex_status" -eq 0 ] || ex_fail "fetch from http.server exited $ex_status"
grep -q "^$p/file: 200, 3000 bytes\$" "$ex_out" &&
    grep -q "^$p/missing: 404, [0-9]* bytes\$" "$ex_out" ||
    { cat "$ex_out"; ex_fail "fetch: wrong answer from http.server"; }
exit 0
