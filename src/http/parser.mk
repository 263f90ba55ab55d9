# src/http: the request parser.  It builds alone: its include path is
# src/http and nothing else, no runtime, no libev.
noinst_LIBRARIES += src/http/libhttpparser.a
src_http_libhttpparser_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
src_http_libhttpparser_a_SOURCES = \
	src/http/parser.h \
	src/http/parser.c

check_PROGRAMS += tests/unit/test-http-parser
TESTS += tests/unit/test-http-parser
tests_unit_test_http_parser_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
tests_unit_test_http_parser_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_parser_LDADD = src/http/libhttpparser.a $(CMOCKA_LIBS)
