# systemd/: the unit.  asyncd.service is generated from asyncd.service.in
# with this build's paths (sed, like the GNU Coding Standards' "Installation
# Directory Variables" advise: configure leaves $(sbindir) unexpanded, make
# expands it), so `make install prefix=...` gets a unit that names the
# binary and the configuration it installed.  It goes to
# $(systemdsystemunitdir) (configure --with-systemdsystemunitdir).

# distcheck installs under a prefix, as a user: the unit goes there too
# ('$${libdir}': configure gets "${libdir}", make expands it).
DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${libdir}/systemd/system'

EXTRA_DIST += systemd/asyncd.service.in
CLEANFILES += systemd/asyncd.service

if INSTALL_SYSTEMD_UNIT
nodist_systemdsystemunit_DATA = systemd/asyncd.service
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

# systemd-analyze verify on the generated unit, pointed at the built
# binary (SKIP without systemd-analyze).
TESTS += tests/integration/systemd-unit.sh
EXTRA_DIST += tests/integration/systemd-unit.sh
