# fuzz: the libFuzzer target for the request parser, and a replay of its
# checked-in corpus that runs in `make check` with the configured compiler
# (no clang needed): the same file built with -DFUZZ_REPLAY gets a main().
check_PROGRAMS += tests/unit/test-http-fuzz-replay
TESTS += tests/unit/test-http-fuzz-replay
tests_unit_test_http_fuzz_replay_SOURCES = fuzz/fuzz-parser.c
tests_unit_test_http_fuzz_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/http -DFUZZ_REPLAY
tests_unit_test_http_fuzz_replay_LDADD = src/http/libhttpparser.a

EXTRA_DIST += fuzz/http.dict fuzz/run.sh fuzz/corpus/parser

# `make fuzz`: clang with libFuzzer, ASan and UBSan, whatever CC configure
# chose.  fuzz/run.sh SECONDS builds the same way and runs it.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_SRCS = $(top_srcdir)/fuzz/fuzz-parser.c $(top_srcdir)/src/http/parser.c

fuzz/fuzz-parser: $(FUZZ_SRCS) $(top_srcdir)/src/http/parser.h
	@$(MKDIR_P) fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_srcdir)/src/http \
		-o $@ $(FUZZ_SRCS)

fuzz: fuzz/fuzz-parser
.PHONY: fuzz
CLEANFILES += fuzz/fuzz-parser
