# bench: benchmarks run by hand, never by make check:
#	make bench/coro && taskset -c 1 ./bench/coro
noinst_PROGRAMS += bench/coro
bench_coro_SOURCES = bench/coro.c
bench_coro_CPPFLAGS = $(RT_CPPFLAGS)
bench_coro_LDADD = $(RT_LIBS)

#	make bench/parser && ./bench/parser [iterations]
noinst_PROGRAMS += bench/parser
bench_parser_SOURCES = bench/parser.c
bench_parser_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http
bench_parser_LDADD = src/http/libhttpparser.la

#	make bench/echo && ./bench/echo [seconds]	(pins itself: see the file)
noinst_PROGRAMS += bench/echo
bench_echo_SOURCES = bench/echo.c
bench_echo_CPPFLAGS = $(RT_CPPFLAGS)
bench_echo_LDADD = $(RT_LIBS)
EXTRA_DIST += bench/http bench/seed_app.py bench/pipeline.lua bench/idle_conns.py
EXTRA_DIST += bench/http-workers bench/lib.sh bench/access-log
# bench/coldstart: a burst of connections at once on a fresh server; it
# builds bench/burst.c itself (plain libc).
EXTRA_DIST += bench/coldstart bench/burst.c
# bench/platform: the seed app built in against it as a module, allocations
# per request (malloc_count.c, preloaded), POST bodies against aiohttp.
EXTRA_DIST += bench/platform bench/malloc_count.c bench/echo_app.py \
	bench/post.lua
# bench/lb-rolling: rolling restarts, upgrades and reloads of three asyncd
# and three nginx instances behind haproxy (conf/haproxy.cfg).
EXTRA_DIST += bench/lb-rolling
