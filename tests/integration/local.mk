# tests/integration: the real asyncd binary on a loopback ephemeral port,
# driven with raw sockets (STYLE.md §7).  test-http.c starts and stops the
# server itself; it finds the binary through $ASYNCD, and must not run
# before the binary is built, hence the extra dependency.  harness.h holds
# what it shares with test-daemon.c.
EXTRA_DIST += tests/integration/harness.h tests/integration/lib.sh
check_PROGRAMS += tests/integration/test-http
TESTS += tests/integration/test-http
tests_integration_test_http_CPPFLAGS = $(AM_CPPFLAGS)
tests_integration_test_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_http_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_integration_test_http_DEPENDENCIES = asyncd$(EXEEXT) \
	apps/seed/seed.la apps/echo/echo.la apps/gather/gather.la \
	tests/apps/testapp1.la \
	tests/apps/testapp2.la
AM_TESTS_ENVIRONMENT += \
	ASYNCD='$(abs_top_builddir)/asyncd$(EXEEXT)'; export ASYNCD; \
	ASYNCD_HOOKS='$(abs_top_builddir)/tests/integration/asyncd-hooks$(EXEEXT)'; \
	export ASYNCD_HOOKS; \
	ASYNCD_MODULE_PATH='$(abs_top_builddir)/apps/seed/.libs:$(abs_top_builddir)/apps/echo/.libs:$(abs_top_builddir)/apps/gather/.libs:$(abs_top_builddir)/tests/apps/.libs'; \
	export ASYNCD_MODULE_PATH;

# asyncd-hooks: asyncd plus the test seam that makes workers fail or hang
# at startup (ASYNCD_TEST_WORKER_FAIL, read by asyncd-hooks.c only), for
# test-daemon.c's breaker and reload tests and upgrade.sh; $ASYNCD_HOOKS.
check_PROGRAMS += tests/integration/asyncd-hooks
tests_integration_asyncd_hooks_SOURCES = tests/integration/asyncd-hooks.c
tests_integration_asyncd_hooks_CPPFLAGS = -I$(top_srcdir)/include
tests_integration_asyncd_hooks_LDADD = libasyncd.la

# test-daemon.c: the process model (master, workers, signals, reload,
# supervision, systemd notify), with the real binary found through $ASYNCD
# (exported above for every test); its load generator uses threads.
check_PROGRAMS += tests/integration/test-daemon
TESTS += tests/integration/test-daemon
tests_integration_test_daemon_CPPFLAGS = $(AM_CPPFLAGS)
tests_integration_test_daemon_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_daemon_LDADD = $(CMOCKA_LIBS) $(PTHREAD_LIBS)
EXTRA_tests_integration_test_daemon_DEPENDENCIES = asyncd$(EXEEXT) \
	tests/integration/asyncd-hooks$(EXEEXT) apps/seed/seed.la tests/apps/testapp1.la tests/apps/testapp2.la

# test-errlog.c: the error log to syslog (a datagram socket of its own) and
# the journal's prefixes (JOURNAL_STREAM naming the stderr it gives).
check_PROGRAMS += tests/integration/test-errlog
TESTS += tests/integration/test-errlog
tests_integration_test_errlog_CPPFLAGS = $(AM_CPPFLAGS)
tests_integration_test_errlog_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_errlog_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_integration_test_errlog_DEPENDENCIES = asyncd$(EXEEXT) \
	tests/apps/testapp1.la

# haproxy.sh: three instances behind haproxy on conf/haproxy.cfg, under a
# keep-alive load (lbload.py) through restarts, upgrades and reloads: no
# failed request.  Needs Debian's haproxy: FAILS without it, unless
# ASYNCD_SKIP_HAPROXY=1.  ASYNCD_HAVE_DRAIN, ASYNCD_HAVE_PROXY and
# ASYNCD_HAVE_UPGRADE switch on the parts that use the drain, the PROXY
# protocol and the binary upgrade.
TESTS += tests/integration/haproxy.sh
EXTRA_DIST += tests/integration/haproxy.sh tests/integration/lbload.py

# fault.sh: the master under failing fork, socketpair and dup2 calls,
# injected by libfault.so (fault.c, preloaded into asyncd only; built with
# the same flags, sanitizers included).  Not installed.
check_LTLIBRARIES += tests/integration/libfault.la
tests_integration_libfault_la_SOURCES = tests/integration/fault.c
tests_integration_libfault_la_LDFLAGS = -module -avoid-version -shared \
	-no-undefined -rpath $(abs_builddir)
tests_integration_libfault_la_LIBADD = -ldl
TESTS += tests/integration/fault.sh
EXTRA_DIST += tests/integration/fault.sh
