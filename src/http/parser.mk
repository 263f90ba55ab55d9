# src/http: the pure pieces, the HTTP/1.1 parser (requests for the server,
# responses for the client), the router, the access log's line formatter,
# and the PROXY header and X-Forwarded-For (proxy.h).  They build alone: the
# include path is src/http and nothing else, no runtime, no libev (so each
# is fuzzed on its own).
noinst_LTLIBRARIES += src/http/libhttpparser.la
src_http_libhttpparser_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
src_http_libhttpparser_la_SOURCES = \
	src/http/parser.h \
	src/http/parser.c \
	src/http/logfmt.h \
	src/http/logfmt.c \
	src/http/router.h \
	src/http/router.c \
	src/http/proxy.h \
	src/http/proxyproto.c \
	src/http/realip.c

check_PROGRAMS += tests/unit/test-http-parser
TESTS += tests/unit/test-http-parser
tests_unit_test_http_parser_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
tests_unit_test_http_parser_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_parser_LDADD = src/http/libhttpparser.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-http-logfmt
TESTS += tests/unit/test-http-logfmt
tests_unit_test_http_logfmt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
tests_unit_test_http_logfmt_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_logfmt_LDADD = src/http/libhttpparser.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-http-router
TESTS += tests/unit/test-http-router
tests_unit_test_http_router_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
tests_unit_test_http_router_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_router_LDADD = src/http/libhttpparser.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-http-proxy
TESTS += tests/unit/test-http-proxy
tests_unit_test_http_proxy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
tests_unit_test_http_proxy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_proxy_LDADD = src/http/libhttpparser.la $(CMOCKA_LIBS)
