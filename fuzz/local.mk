# fuzz: libFuzzer targets for the parsers of outside bytes, and a replay of
# each one's checked-in corpus that runs in `make check` with the configured
# compiler (no clang needed): the same file built with -DFUZZ_REPLAY gets a
# main().
#   fuzz-parser   the request parser (src/http/parser.c)
#   fuzz-response the same parser's response mode (the client's), with
#                 fuzz-parser.c's harness (fuzz-response.c includes it)
#   fuzz-logfmt   the access log's line (src/http/logfmt.c)
#   fuzz-router   route matching, parameter and query decoding (what the
#                 handler's accessors return: src/http/router.c)
#   fuzz-proxyproto  the PROXY protocol header, X-Forwarded-For and CIDRs
#                 (src/http/proxyproto.c, src/http/realip.c)
check_PROGRAMS += tests/unit/test-http-fuzz-replay
TESTS += tests/unit/test-http-fuzz-replay
tests_unit_test_http_fuzz_replay_SOURCES = fuzz/fuzz-parser.c
tests_unit_test_http_fuzz_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/http -DFUZZ_REPLAY
tests_unit_test_http_fuzz_replay_LDADD = src/http/libhttpparser.la

check_PROGRAMS += tests/unit/test-http-response-replay
TESTS += tests/unit/test-http-response-replay
tests_unit_test_http_response_replay_SOURCES = fuzz/fuzz-response.c
tests_unit_test_http_response_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/http -DFUZZ_REPLAY
tests_unit_test_http_response_replay_LDADD = src/http/libhttpparser.la
# (fuzz-parser.c, which it includes, is in the replay above's SOURCES.)

check_PROGRAMS += tests/unit/test-http-logfmt-replay
TESTS += tests/unit/test-http-logfmt-replay
tests_unit_test_http_logfmt_replay_SOURCES = fuzz/fuzz-logfmt.c
tests_unit_test_http_logfmt_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/http -DFUZZ_REPLAY
tests_unit_test_http_logfmt_replay_LDADD = src/http/libhttpparser.la

check_PROGRAMS += tests/unit/test-http-router-replay
TESTS += tests/unit/test-http-router-replay
tests_unit_test_http_router_replay_SOURCES = fuzz/fuzz-router.c
tests_unit_test_http_router_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/http -DFUZZ_REPLAY
tests_unit_test_http_router_replay_LDADD = src/http/libhttpparser.la

check_PROGRAMS += tests/unit/test-http-proxyproto-replay
TESTS += tests/unit/test-http-proxyproto-replay
tests_unit_test_http_proxyproto_replay_SOURCES = fuzz/fuzz-proxyproto.c
tests_unit_test_http_proxyproto_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/http -DFUZZ_REPLAY
tests_unit_test_http_proxyproto_replay_LDADD = src/http/libhttpparser.la

EXTRA_DIST += fuzz/http.dict fuzz/run.sh fuzz/corpus/parser \
	fuzz/corpus/response fuzz/corpus/logfmt fuzz/corpus/router fuzz/corpus/proxyproto

# `make fuzz`: clang with libFuzzer, ASan and UBSan, whatever CC configure
# chose.  fuzz/run.sh SECONDS builds the same way and runs each target.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined

fuzz/fuzz-parser: $(top_srcdir)/fuzz/fuzz-parser.c \
    $(top_srcdir)/src/http/parser.c $(top_srcdir)/src/http/parser.h
	@$(MKDIR_P) fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_srcdir)/src/http \
		-o $@ $(top_srcdir)/fuzz/fuzz-parser.c \
		$(top_srcdir)/src/http/parser.c

fuzz/fuzz-response: $(top_srcdir)/fuzz/fuzz-response.c \
    $(top_srcdir)/fuzz/fuzz-parser.c \
    $(top_srcdir)/src/http/parser.c $(top_srcdir)/src/http/parser.h
	@$(MKDIR_P) fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_srcdir)/src/http \
		-o $@ $(top_srcdir)/fuzz/fuzz-response.c \
		$(top_srcdir)/src/http/parser.c

fuzz/fuzz-logfmt: $(top_srcdir)/fuzz/fuzz-logfmt.c \
    $(top_srcdir)/src/http/logfmt.c $(top_srcdir)/src/http/logfmt.h
	@$(MKDIR_P) fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_srcdir)/src/http \
		-o $@ $(top_srcdir)/fuzz/fuzz-logfmt.c \
		$(top_srcdir)/src/http/logfmt.c

fuzz/fuzz-router: $(top_srcdir)/fuzz/fuzz-router.c \
    $(top_srcdir)/src/http/router.c $(top_srcdir)/src/http/router.h \
    $(top_srcdir)/src/http/parser.c $(top_srcdir)/src/http/parser.h
	@$(MKDIR_P) fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_srcdir)/src/http \
		-o $@ $(top_srcdir)/fuzz/fuzz-router.c \
		$(top_srcdir)/src/http/router.c $(top_srcdir)/src/http/parser.c

fuzz/fuzz-proxyproto: $(top_srcdir)/fuzz/fuzz-proxyproto.c \
    $(top_srcdir)/src/http/proxyproto.c $(top_srcdir)/src/http/realip.c \
    $(top_srcdir)/src/http/proxy.h
	@$(MKDIR_P) fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_srcdir)/src/http \
		-o $@ $(top_srcdir)/fuzz/fuzz-proxyproto.c \
		$(top_srcdir)/src/http/proxyproto.c $(top_srcdir)/src/http/realip.c

fuzz: fuzz/fuzz-parser fuzz/fuzz-response fuzz/fuzz-logfmt fuzz/fuzz-router \
	fuzz/fuzz-proxyproto
.PHONY: fuzz
CLEANFILES += fuzz/fuzz-parser fuzz/fuzz-response fuzz/fuzz-logfmt \
	fuzz/fuzz-router fuzz/fuzz-proxyproto
