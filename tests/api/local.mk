# tests/api: the public interface as a C developer meets it.  symbols.sh:
# libasyncd exports exactly what the headers declare ASYNCD_API, all of it
# prefixed, and its soname follows ASYNCD_ABI_VERSION.  headers.sh: every
# public header compiles alone, as C99, C11 and C++, and
# none includes <ev.h> (also run on the installed headers by installcheck).  installcheck.sh (make
# installcheck, so make distcheck): the greet example built out of tree
# against the installed library with pkg-config, and served.
TESTS += tests/api/symbols.sh tests/api/headers.sh
EXTRA_DIST += tests/api/symbols.sh tests/api/headers.sh \
	tests/api/installcheck.sh
AM_TESTS_ENVIRONMENT += CC='$(CC)'; export CC;

# symbols.sh reads the shared library.
tests/api/symbols.log: libasyncd.la

# The example a newcomer copies: installed in $(docdir)/examples/greet.
greetexampledir = $(docdir)/examples/greet
dist_greetexample_DATA = examples/greet/greet.c examples/greet/greetd.c \
	examples/greet/greet.conf examples/greet/Makefile

installcheck-local:
	LIB='$(libdir)/libasyncd.so' ARCHIVE='$(libdir)/libasyncd.a' \
	    top_srcdir='$(top_srcdir)' $(SHELL) $(top_srcdir)/tests/api/symbols.sh
	INCDIR='$(includedir)' CC='$(CC)' top_srcdir='$(top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/api/headers.sh
	bash $(top_srcdir)/tests/api/installcheck.sh '$(sbindir)/asyncd' \
	    '$(libdir)/pkgconfig' '$(greetexampledir)'
