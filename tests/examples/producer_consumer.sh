# Runs examples/producer_consumer and compares its output with examples/producer_consumer.expected.
. "${top_srcdir:-.}/tests/examples/common.sh"
ex_run producer_consumer
ex_compare producer_consumer
