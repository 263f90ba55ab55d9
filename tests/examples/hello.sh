# Runs examples/hello at the seed's speed: its two 1-second sleeps overlap.
# The order of the lines proves it (ex_compare: both "Hello world!" before
# either "Hello again!"; sleeps one after the other would interleave them),
# so no upper bound on the time, which a loaded machine or valgrind
# stretches; the lower one says the sleeps lasted.
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
exit 0
