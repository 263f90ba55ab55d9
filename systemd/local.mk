# systemd/: the unit.  asyncd.service is generated from asyncd.service.in
# with this build's paths (sed, like the GNU Coding Standards' "Installation
# Directory Variables" advise: configure leaves $(sbindir) unexpanded, make
# expands it), so `make install prefix=...` gets a unit that names the
# binary and the configuration it installed.  It goes to
# $(systemdsystemunitdir) (configure --with-systemdsystemunitdir), with
# asyncd.socket (socket activation: ports below 1024 without a capability),
# which names no path and is installed as it is.

# distcheck installs under a prefix, as a user: the unit goes there too
# ('$${libdir}': configure gets "${libdir}", make expands it).
DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${libdir}/systemd/system'

EXTRA_DIST += systemd/asyncd.service.in systemd/asyncd.socket
CLEANFILES += systemd/asyncd.service

if INSTALL_SYSTEMD_UNIT
nodist_systemdsystemunit_DATA = systemd/asyncd.service
systemdsystemunit_DATA = systemd/asyncd.socket
else
noinst_DATA = systemd/asyncd.service
endif

# Makefile: a new prefix or sysconfdir regenerates the unit.
systemd/asyncd.service: $(srcdir)/systemd/asyncd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    $(srcdir)/systemd/asyncd.service.in >$@.tmp && \
	if grep -n '@[a-z_]*@' $@.tmp; then \
	  echo "$@: unsubstituted variables left" >&2; rm -f $@.tmp; exit 1; \
	fi && \
	mv -f $@.tmp $@

# systemd-analyze verify on the generated unit and the socket, pointed at
# the built binary, and the unit's `systemd-analyze security` exposure
# (SKIP without systemd-analyze).
TESTS += tests/integration/systemd-unit.sh
EXTRA_DIST += tests/integration/systemd-unit.sh

# Every system call of asyncd (strace'd through requests, a reload and a
# stop) is one the unit's SystemCallFilter= allows (SKIP without strace,
# or in a sanitizer build).
TESTS += tests/integration/syscall-filter.sh
EXTRA_DIST += tests/integration/syscall-filter.sh

# asyncd under systemd-socket-activate serves on the socket it passes
# (SKIP without systemd-socket-activate or curl).
TESTS += tests/integration/socket-activation.sh
EXTRA_DIST += tests/integration/socket-activation.sh
