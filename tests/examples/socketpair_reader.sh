# Runs examples/socketpair_reader: the reader callback must print what the
# call_soon callback sent, then stop the loop (the run would hang if it did
# not remove itself and stop).
. "${top_srcdir:-.}/tests/examples/common.sh"
ex_run socketpair_reader
ex_compare socketpair_reader
