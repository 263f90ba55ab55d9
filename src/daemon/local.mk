# src/daemon: the daemon layer (configuration, logs; later the master, the
# workers and their channel), the asyncd program, its configuration files
# and their tests.

# The daemon sees its own header and those of the layers it drives.
DAEMON_CPPFLAGS = $(RT_CPPFLAGS) -I$(top_srcdir)/src/http \
	-I$(top_srcdir)/src/daemon $(LIBCONFIG_CFLAGS)

noinst_LTLIBRARIES += src/daemon/libdaemon.la
src_daemon_libdaemon_la_CPPFLAGS = $(DAEMON_CPPFLAGS)
src_daemon_libdaemon_la_SOURCES = \
	src/daemon/daemon.h \
	src/daemon/config.c \
	src/daemon/conftext.c \
	src/daemon/log.c \
	src/daemon/master.c \
	src/daemon/worker.c \
	src/daemon/proctitle.c \
	src/daemon/signals.c

# libdaemon.la needs the router (libhttpapp.la) and libconfig.
DAEMON_LIBS = src/daemon/libdaemon.la src/daemon/libdaemonproto.la

sbin_PROGRAMS += asyncd
asyncd_SOURCES = src/asyncd.c
asyncd_CPPFLAGS = $(DAEMON_CPPFLAGS) \
	-DASYNCD_CONF_PATH='"$(sysconfdir)/asyncd/asyncd.conf"'
asyncd_LDADD = $(DAEMON_LIBS) $(HTTP_SERVER_LIBS) $(RT_LIBS) \
	$(LIBCONFIG_LIBS)

# The configuration: asyncd.conf documents every setting; asyncd-fast.conf
# is the same app without delays, for benchmarks.  `make install` puts
# asyncd.conf in $(sysconfdir)/asyncd/ unless one is there already (it is
# the admin's file from then on); `make uninstall` removes it only if it is
# still the one we installed.
EXTRA_DIST += conf/asyncd.conf conf/asyncd-fast.conf
asyncdconfdir = $(sysconfdir)/asyncd

install-data-local: install-asyncd-conf
install-asyncd-conf:
	$(MKDIR_P) '$(DESTDIR)$(asyncdconfdir)'
	@if test -f '$(DESTDIR)$(asyncdconfdir)/asyncd.conf'; then \
	  echo "keeping the existing $(DESTDIR)$(asyncdconfdir)/asyncd.conf"; \
	else \
	  echo " $(INSTALL_DATA) $(srcdir)/conf/asyncd.conf '$(DESTDIR)$(asyncdconfdir)/asyncd.conf'"; \
	  $(INSTALL_DATA) $(srcdir)/conf/asyncd.conf \
	    '$(DESTDIR)$(asyncdconfdir)/asyncd.conf'; \
	fi

uninstall-local: uninstall-asyncd-conf
uninstall-asyncd-conf:
	@f='$(DESTDIR)$(asyncdconfdir)/asyncd.conf'; \
	if test -f "$$f" && cmp -s "$$f" $(srcdir)/conf/asyncd.conf; then \
	  echo " rm -f '$$f'"; rm -f "$$f"; \
	  rmdir '$(DESTDIR)$(asyncdconfdir)' 2>/dev/null || :; \
	elif test -f "$$f"; then \
	  echo "keeping the modified $$f"; \
	fi
.PHONY: install-asyncd-conf uninstall-asyncd-conf

# config.c against temporary files; links the router for routes.
check_PROGRAMS += tests/unit/test-daemon-config
TESTS += tests/unit/test-daemon-config
tests_unit_test_daemon_config_CPPFLAGS = $(DAEMON_CPPFLAGS)
tests_unit_test_daemon_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_config_LDADD = $(DAEMON_LIBS) src/http/libhttpapp.la \
	$(LIBCONFIG_LIBS) $(CMOCKA_LIBS)

# log.c: lines, levels, escaping, reopening.
check_PROGRAMS += tests/unit/test-daemon-log
TESTS += tests/unit/test-daemon-log
tests_unit_test_daemon_log_CPPFLAGS = $(DAEMON_CPPFLAGS)
tests_unit_test_daemon_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_log_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

# The asyncd command line: -t, -T, -h, -v and exit statuses (config.sh);
# serving, signals and bind errors (signals.sh, needs curl).
TESTS += tests/integration/config.sh tests/integration/signals.sh
EXTRA_DIST += tests/integration/config.sh tests/integration/signals.sh
