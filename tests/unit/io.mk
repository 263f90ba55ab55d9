# tests/unit: tests of the runtime's I/O modules (fdwait.c, watcher.c,
# stream.c, addr.c, server.c and tcp.c with resolve.c), one program each.  They talk only to 127.0.0.1 and ::1.
check_PROGRAMS += tests/unit/test-rt-fdwait
TESTS += tests/unit/test-rt-fdwait
tests_unit_test_rt_fdwait_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_fdwait_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_fdwait_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-watcher
TESTS += tests/unit/test-rt-watcher
tests_unit_test_rt_watcher_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_watcher_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_watcher_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-stream
TESTS += tests/unit/test-rt-stream
tests_unit_test_rt_stream_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_stream_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_stream_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

# addr.c: parsing listen addresses, making listening sockets.
check_PROGRAMS += tests/unit/test-rt-addr
TESTS += tests/unit/test-rt-addr
tests_unit_test_rt_addr_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_addr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_addr_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

# server.c, tcp.c and resolve.c: TCP_CONNS (default 10000) sets the echo test's
# connection count, e.g. TCP_CONNS=500 under valgrind.
check_PROGRAMS += tests/unit/test-rt-tcp
TESTS += tests/unit/test-rt-tcp
tests_unit_test_rt_tcp_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_tcp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_tcp_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

# For valgrind --leak-check=full: the resolver threads live until exit.
EXTRA_DIST += tests/unit/valgrind-resolve.supp
