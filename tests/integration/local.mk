# tests/integration: the real asyncd binary on a loopback ephemeral port,
# driven with raw sockets (STYLE.md §7).  test-http.c starts and stops the
# server itself; it finds the binary through $ASYNCD, and must not run
# before the binary is built, hence the extra dependency.
check_PROGRAMS += tests/integration/test-http
TESTS += tests/integration/test-http
tests_integration_test_http_CPPFLAGS = $(AM_CPPFLAGS)
tests_integration_test_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_http_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_integration_test_http_DEPENDENCIES = asyncd$(EXEEXT)
AM_TESTS_ENVIRONMENT += \
	ASYNCD='$(abs_top_builddir)/asyncd$(EXEEXT)'; export ASYNCD;
