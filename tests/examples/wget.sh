# Runs examples/wget against two ports of the local fixture (and one of
# them twice): every host prints its "wget" line before any header arrives
# (the tasks run concurrently), then its header lines in order, up to the
# blank line.
. "${top_srcdir:-.}/tests/examples/common.sh"
. "${top_srcdir:-.}/tests/examples/fixture.sh"
fx_start
a=127.0.0.1:$fx_port1
b=127.0.0.1:$fx_port2
io_run wget "$a" "$b" "$a"
[ "$ex_status" -eq 0 ] || ex_fail "wget exited with status $ex_status"
cat "$ex_out"

# The three "wget HOST..." lines come first, in order.
printf 'wget %s...\n' "$a" "$b" "$a" >"$ex_tmp/want-starts"
head -n 3 "$ex_out" | diff -u "$ex_tmp/want-starts" - ||
    ex_fail "wget: the tasks did not all start before the first answer"

# Each host's headers, in order; $a's twice, interleaved in any way.
for h in "$a" "$b"; do
	n=1
	[ "$h" = "$a" ] && n=2
	: >"$ex_tmp/want"
	i=0
	while [ "$i" -lt "$n" ]; do
		printf '%s header > %s\n' \
		    "$h" "HTTP/1.1 200 OK" \
		    "$h" "Server: asyncd-fixture" \
		    "$h" "Content-Type: text/plain" \
		    "$h" "Content-Length: 6" \
		    "$h" "Connection: close" >>"$ex_tmp/want"
		i=$((i + 1))
	done
	grep -F "$h header > " "$ex_out" | sort >"$ex_tmp/got"
	sort "$ex_tmp/want" | diff -u - "$ex_tmp/got" ||
	    ex_fail "wget: wrong header lines for $h"
	grep -F "$h header > " "$ex_out" | grep -n 'HTTP/1.1 200 OK' |
	    cut -d: -f1 | tr '\n' ' ' | grep -q '^1 ' ||
	    ex_fail "wget: $h's status line is not its first line"
done
[ "$(wc -l <"$ex_out")" -eq 18 ] || ex_fail "wget: unexpected lines"

# A host that is not there: the others still answer, the status is 1.
io_run wget "$a" "127.0.0.1:bad"
[ "$ex_status" -eq 1 ] || ex_fail "wget with a bad host exited $ex_status"
grep -q "^$a header > HTTP/1.1 200 OK\$" "$ex_out" ||
    ex_fail "wget: a failing host stopped the others"
exit 0
