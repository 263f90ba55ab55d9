# Runs examples/factorial and compares its output with examples/factorial.expected.
. "${top_srcdir:-.}/tests/examples/common.sh"
ex_run factorial
ex_compare factorial
