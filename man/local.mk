# man/: the manual pages, mdoc(7).  `MANWIDTH=80 man --warnings -l FILE`
# (or `groff -mandoc -ww -z FILE`) must print nothing; the paths in them
# are the usual ones (/etc, /usr/sbin), not this build's.
dist_man_MANS = man/asyncd.8 man/asyncd.conf.5

# groff's warnings as a test (SKIP without groff).
TESTS += tests/integration/man.sh
EXTRA_DIST += tests/integration/man.sh
