# src/daemon/chan.mk: the daemon's protocol pieces, each free of the
# configuration and the HTTP layer: the master<->worker channel, the
# systemd notify protocol and the pid file.  They only need the runtime
# (chan.c watches its fd from the loop).  To be folded into
# src/daemon/local.mk with daemon.h.
DAEMONPROTO_CPPFLAGS = $(RT_CPPFLAGS) -I$(top_srcdir)/src/daemon

noinst_LTLIBRARIES += src/daemon/libdaemonproto.la
src_daemon_libdaemonproto_la_CPPFLAGS = $(DAEMONPROTO_CPPFLAGS)
src_daemon_libdaemonproto_la_SOURCES = \
	src/daemon/chan.h \
	src/daemon/chan.c \
	src/daemon/notify.h \
	src/daemon/notify.c \
	src/daemon/pidfile.h \
	src/daemon/pidfile.c

DAEMONPROTO_LIBS = src/daemon/libdaemonproto.la $(RT_LIBS)

# chan.c over real socketpairs and the real loop.
check_PROGRAMS += tests/unit/test-daemon-chan
TESTS += tests/unit/test-daemon-chan
tests_unit_test_daemon_chan_CPPFLAGS = $(DAEMONPROTO_CPPFLAGS)
tests_unit_test_daemon_chan_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_chan_LDADD = $(DAEMONPROTO_LIBS) $(CMOCKA_LIBS)

# notify.c against datagram sockets bound by the test (a path, an
# abstract name).
check_PROGRAMS += tests/unit/test-daemon-notify
TESTS += tests/unit/test-daemon-notify
tests_unit_test_daemon_notify_CPPFLAGS = $(DAEMONPROTO_CPPFLAGS)
tests_unit_test_daemon_notify_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_notify_LDADD = $(DAEMONPROTO_LIBS) $(CMOCKA_LIBS)

# pidfile.c in a temporary directory, with forked children for live and
# dead pids.
check_PROGRAMS += tests/unit/test-daemon-pidfile
TESTS += tests/unit/test-daemon-pidfile
tests_unit_test_daemon_pidfile_CPPFLAGS = $(DAEMONPROTO_CPPFLAGS)
tests_unit_test_daemon_pidfile_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_pidfile_LDADD = $(DAEMONPROTO_LIBS) $(CMOCKA_LIBS)
