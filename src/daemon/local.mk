# src/daemon: the daemon layer (configuration, logs, the master, the
# workers, the apps they load, asyncd_main), the asyncd program, its
# configuration files and their tests.

# The daemon sees its own header and those of the layers it drives.
DAEMON_CPPFLAGS = $(RT_CPPFLAGS) -I$(top_srcdir)/src/http \
	-I$(top_srcdir)/src/daemon $(LIBCONFIG_CFLAGS)

noinst_LTLIBRARIES += src/daemon/libdaemon.la
src_daemon_libdaemon_la_CPPFLAGS = $(DAEMON_CPPFLAGS) \
	-DASYNCD_CONF_PATH='"$(sysconfdir)/asyncd/asyncd.conf"' \
	-DASYNCD_MODULE_DIR='"$(pkglibdir)"'
src_daemon_libdaemon_la_SOURCES = \
	include/asyncd/app.h \
	src/daemon/daemon.h \
	src/daemon/main.c \
	src/daemon/config.c \
	src/daemon/conftext.c \
	src/daemon/log.c \
	src/daemon/master.c \
	src/daemon/master-fsm.c \
	src/daemon/master-fsm.h \
	src/daemon/worker.c \
	src/daemon/apps.c \
	src/daemon/builtin.c \
	src/daemon/stats.c \
	src/daemon/tasks.c \
	src/daemon/tasks.h \
	src/daemon/proctitle.c \
	src/daemon/signals.c

# What a program of the daemon layer links (tests), in dependency order.
DAEMON_LIBS = src/daemon/libdaemon.la src/daemon/libdaemonproto.la \
	$(HTTP_SERVER_LIBS) $(RT_LIBS) $(LIBCONFIG_LIBS) -ldl

# libasyncd: every layer in one installed library, exporting only what the
# public headers mark ASYNCD_API (everything is built with
# -fvisibility=hidden).  Its version is ASYNCD_LT_VERSION (configure.ac),
# libtool's current:revision:age: a release that changes the library's
# code bumps revision; one that adds to the interface bumps current and
# age and zeroes revision; one that breaks it bumps current, zeroes
# revision and age, and so changes the soname (libasyncd.so.N) and
# ASYNCD_ABI_VERSION in include/asyncd/version.h with it.
lib_LTLIBRARIES += libasyncd.la
libasyncd_la_SOURCES =
libasyncd_la_LIBADD = src/daemon/libdaemon.la src/daemon/libdaemonproto.la \
	src/http/libhttpserver.la src/http/libhttpclient.la \
	src/http/libhttpparser.la src/runtime/libruntime.la \
	src/coro/libcoro.la $(EV_LIBS) $(LIBCONFIG_LIBS) -ldl -lm \
	$(PTHREAD_LIBS)
libasyncd_la_LDFLAGS = -version-info $(ASYNCD_LT_VERSION) -no-undefined \
	-Wl,-z,defs

# libasyncd.a: visibility does not apply to an archive, so every internal
# symbol (conf_load, chan_send...) would be global in it and could clash
# with an app's own.  At install its objects are linked into one (ld -r)
# and the hidden symbols made local (objcopy --localize-hidden): the
# installed archive defines the public API only, as the .so does.
install-exec-hook: install-asyncd-archive
install-asyncd-archive:
	@a='$(DESTDIR)$(libdir)/libasyncd.a'; t="$$a.d"; \
	if test -f "$$a"; then \
	  echo " localizing the internal symbols of $$a"; \
	  rm -rf "$$t" && mkdir "$$t" && \
	  $(LD) -r -o "$$t/libasyncd.o" --whole-archive "$$a" && \
	  $(OBJCOPY) --localize-hidden "$$t/libasyncd.o" && \
	  $(AR) rc "$$t/libasyncd.a" "$$t/libasyncd.o" && \
	  $(RANLIB) "$$t/libasyncd.a" && mv -f "$$t/libasyncd.a" "$$a" && \
	  rm -rf "$$t" || { rm -rf "$$t"; exit 1; }; \
	fi
.PHONY: install-asyncd-archive

# pkg-config's file: flags, and moduledir for app modules.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = asyncd.pc
EXTRA_DIST += asyncd.pc.in

# The public headers, installed as <asyncd/...>.
asyncdincludedir = $(includedir)/asyncd
asyncdinclude_HEADERS = \
	include/asyncd/asyncd.h \
	include/asyncd/version.h \
	include/asyncd/rt.h \
	include/asyncd/http.h \
	include/asyncd/app.h

sbin_PROGRAMS += asyncd
asyncd_SOURCES = src/asyncd.c
asyncd_LDADD = libasyncd.la

# The configuration: asyncd.conf documents every setting; asyncd-fast.conf
# is the same app without delays, for benchmarks; haproxy.cfg puts haproxy
# in front of three instances (README, "Behind a load balancer"; run by
# tests/integration/haproxy.sh).  `make install` puts
# asyncd.conf in $(sysconfdir)/asyncd/ unless one is there already (it is
# the admin's file from then on); `make uninstall` removes it only if it is
# still the one we installed.
EXTRA_DIST += conf/asyncd.conf conf/asyncd-fast.conf conf/haproxy.cfg
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
tests_unit_test_daemon_config_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

# log.c: lines, levels, escaping, reopening.
check_PROGRAMS += tests/unit/test-daemon-log
TESTS += tests/unit/test-daemon-log
tests_unit_test_daemon_log_CPPFLAGS = $(DAEMON_CPPFLAGS)
tests_unit_test_daemon_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_log_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

# tasks.c: a worker's live tasks, listed and bounded.
check_PROGRAMS += tests/unit/test-daemon-tasks
TESTS += tests/unit/test-daemon-tasks
tests_unit_test_daemon_tasks_CPPFLAGS = $(DAEMON_CPPFLAGS) \
	-I$(top_srcdir)/tests/unit
tests_unit_test_daemon_tasks_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_tasks_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

# The asyncd command line: -t, -T, -h, -v and exit statuses (config.sh);
# serving, signals and bind errors (signals.sh, needs curl); the metrics
# page, parsed and linted, across a reload and a kill -9, and the stats
# listener (metrics.sh, with metrics.py: needs python3-prometheus-client);
# the binary upgrade on SIGUSR2 and its failures (upgrade.sh); every
# signal of asyncd(8)'s table, to the master and to a worker, and
# SIGSTOP/SIGCONT of the master against the heartbeat (signal-table.sh);
# PROXY protocol listeners and X-Forwarded-For (proxy.sh, needs python3).
TESTS += tests/integration/config.sh tests/integration/signals.sh \
	tests/integration/metrics.sh tests/integration/upgrade.sh \
	tests/integration/signal-table.sh tests/integration/proxy.sh
EXTRA_DIST += tests/integration/config.sh tests/integration/signals.sh \
	tests/integration/metrics.sh tests/integration/metrics.py \
	tests/integration/upgrade.sh tests/integration/signal-table.sh \
	tests/integration/proxy.sh

# master-fsm.c: every edge of the master's and the worker slots' machines
# (no I/O: the file is compiled in, nothing else linked).
check_PROGRAMS += tests/unit/test-daemon-master-fsm
TESTS += tests/unit/test-daemon-master-fsm
tests_unit_test_daemon_master_fsm_SOURCES = \
	tests/unit/test-daemon-master-fsm.c src/daemon/master-fsm.c
tests_unit_test_daemon_master_fsm_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/daemon
tests_unit_test_daemon_master_fsm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_daemon_master_fsm_LDADD = $(CMOCKA_LIBS)
