# examples/io.mk: the C twins of the seed's I/O examples (issue 3 §6):
# add_reader on a socketpair, signal handlers, wget over raw streams, and
# the multi-URL fetch over the HTTP client.  Built by `make`; each is
# checked by tests/examples/NAME.sh.  They are not in $(EXAMPLES) (`make
# run-examples`): signals waits for a signal, wget and fetch need hosts.
noinst_PROGRAMS += \
	examples/socketpair_reader \
	examples/signals \
	examples/wget \
	examples/fetch

examples_socketpair_reader_SOURCES = examples/socketpair_reader.c examples/example.h
examples_socketpair_reader_CPPFLAGS = $(RT_CPPFLAGS)
examples_socketpair_reader_LDADD = $(RT_LIBS)

examples_signals_SOURCES = examples/signals.c examples/example.h
examples_signals_CPPFLAGS = $(RT_CPPFLAGS)
examples_signals_LDADD = $(RT_LIBS)

examples_wget_SOURCES = examples/wget.c examples/example.h
examples_wget_CPPFLAGS = $(RT_CPPFLAGS)
examples_wget_LDADD = $(RT_LIBS)

examples_fetch_SOURCES = examples/fetch.c examples/example.h
examples_fetch_CPPFLAGS = $(HTTP_CPPFLAGS)
examples_fetch_LDADD = $(HTTP_CLIENT_LIBS)

# The server wget.sh and fetch.sh talk to: fixed answers, no Date field,
# nothing to install.  fetch.sh also tries python3's http.server when
# python3 is there.
check_PROGRAMS += tests/examples/http-fixture
tests_examples_http_fixture_SOURCES = tests/examples/http-fixture.c
tests_examples_http_fixture_CPPFLAGS = $(RT_CPPFLAGS)
tests_examples_http_fixture_LDADD = $(RT_LIBS)

IO_EXAMPLE_TESTS = \
	tests/examples/socketpair_reader.sh \
	tests/examples/signals.sh \
	tests/examples/wget.sh \
	tests/examples/fetch.sh
TESTS += $(IO_EXAMPLE_TESTS)
EXTRA_DIST += \
	$(IO_EXAMPLE_TESTS) \
	tests/examples/fixture.sh \
	examples/socketpair_reader.expected
