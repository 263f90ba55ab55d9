# Runs examples/future_callback and compares its output with examples/future_callback.expected.
. "${top_srcdir:-.}/tests/examples/common.sh"
ex_run future_callback
ex_compare future_callback
