# Runs examples/hello at the seed's speed: its two 1-second sleeps overlap,
# so the pair must finish in about 1 s, not 2.  The bounds are lenient for
# loaded CI machines; a wrapper such as valgrind only keeps the lower one.
ASYNCD_EXAMPLE_SCALE=1
. "${top_srcdir:-.}/tests/examples/common.sh"
t0=$(ex_now)
ex_run hello
t1=$(ex_now)
ex_compare hello
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
echo "hello: elapsed ${elapsed}s"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 0.9) }' ||
    ex_fail "hello took ${elapsed}s: the sleeps did not last 1 s"
if [ -z "$EXAMPLE_WRAPPER" ]; then
	awk -v e="$elapsed" 'BEGIN { exit !(e < 1.9) }' ||
	    ex_fail "hello took ${elapsed}s: the two sleeps did not overlap"
fi
exit 0
