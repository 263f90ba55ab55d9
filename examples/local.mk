# examples: C twins of the seed's Python examples (one file each, the Python
# quoted at its top).  `make` builds them, `make run-examples` runs them at
# the seed's speed, `make check` runs each through tests/examples/NAME.sh and
# compares its output with examples/NAME.expected.
EXAMPLES = \
	examples/producer_consumer \
	examples/hello \
	examples/future_callback \
	examples/factorial \
	examples/lock
noinst_PROGRAMS += $(EXAMPLES)

examples_producer_consumer_SOURCES = examples/producer_consumer.c examples/example.h
examples_producer_consumer_CPPFLAGS = $(RT_CPPFLAGS)
examples_producer_consumer_LDADD = $(RT_LIBS)

examples_hello_SOURCES = examples/hello.c examples/example.h
examples_hello_CPPFLAGS = $(RT_CPPFLAGS)
examples_hello_LDADD = $(RT_LIBS)

examples_future_callback_SOURCES = examples/future_callback.c examples/example.h
examples_future_callback_CPPFLAGS = $(RT_CPPFLAGS)
examples_future_callback_LDADD = $(RT_LIBS)

examples_factorial_SOURCES = examples/factorial.c examples/example.h
examples_factorial_CPPFLAGS = $(RT_CPPFLAGS)
examples_factorial_LDADD = $(RT_LIBS)

examples_lock_SOURCES = examples/lock.c examples/example.h
examples_lock_CPPFLAGS = $(RT_CPPFLAGS)
examples_lock_LDADD = $(RT_LIBS)

EXAMPLE_TESTS = \
	tests/examples/producer_consumer.sh \
	tests/examples/hello.sh \
	tests/examples/future_callback.sh \
	tests/examples/factorial.sh \
	tests/examples/lock.sh
TESTS += $(EXAMPLE_TESTS)
EXTRA_DIST += \
	$(EXAMPLE_TESTS) \
	tests/examples/common.sh \
	examples/producer_consumer.expected \
	examples/hello.expected \
	examples/future_callback.expected \
	examples/factorial.expected \
	examples/lock.expected

# Runs every example once (they are the seed's asyncio programs in C).
run-examples: $(EXAMPLES)
	@set -e; for e in $(EXAMPLES); do \
		echo "==> $$e"; ./$$e; \
	done
.PHONY: run-examples
