# tests/unit: one cmocka program per module of coro/ and the runtime core.
# rt-test.h holds what the runtime tests share (a loop per test, checks
# made from inside tasks).
EXTRA_DIST += tests/unit/rt-test.h

# coro/: no runtime, only the context switch and stacks.
# coro-regs.S checks each callee-saved register across a switch (x86-64
# and aarch64; elsewhere it assembles to nothing).
check_PROGRAMS += tests/unit/test-coro-switch
TESTS += tests/unit/test-coro-switch
tests_unit_test_coro_switch_SOURCES = tests/unit/test-coro-switch.c \
	tests/unit/coro-regs.S
tests_unit_test_coro_switch_CPPFLAGS = $(CORO_CPPFLAGS)
tests_unit_test_coro_switch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_coro_switch_LDADD = src/coro/libcoro.la $(CMOCKA_LIBS) -lm

# stack.c's overflow reports name the task: these tests spawn real tasks.
check_PROGRAMS += tests/unit/test-coro-stack
TESTS += tests/unit/test-coro-stack
tests_unit_test_coro_stack_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_coro_stack_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_coro_stack_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

# runtime/: each program tests the file it is named after.
check_PROGRAMS += tests/unit/test-rt-loop
TESTS += tests/unit/test-rt-loop
tests_unit_test_rt_loop_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_loop_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_loop_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-task
TESTS += tests/unit/test-rt-task
tests_unit_test_rt_task_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_task_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_task_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-sleep
TESTS += tests/unit/test-rt-sleep
tests_unit_test_rt_sleep_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_sleep_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_sleep_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-cancel
TESTS += tests/unit/test-rt-cancel
tests_unit_test_rt_cancel_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_cancel_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_cancel_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-gather
TESTS += tests/unit/test-rt-gather
tests_unit_test_rt_gather_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_gather_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_gather_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-group
TESTS += tests/unit/test-rt-group
tests_unit_test_rt_group_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_group_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_group_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-future
TESTS += tests/unit/test-rt-future
tests_unit_test_rt_future_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_future_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_future_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-gen
TESTS += tests/unit/test-rt-gen
tests_unit_test_rt_gen_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_gen_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_gen_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

# Fault injection: stream.c under short reads and writes, EINTR and EAGAIN
# storms, and a spawn whose stack mmap fails.  The program's own read,
# write, send and mmap wrap the runtime's (--wrap: only the statically
# linked runtime and coro calls, not libev's).
check_PROGRAMS += tests/unit/test-rt-faults
TESTS += tests/unit/test-rt-faults
tests_unit_test_rt_faults_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_faults_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_faults_LDFLAGS = \
	-Wl,--wrap=read,--wrap=write,--wrap=send,--wrap=mmap
tests_unit_test_rt_faults_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-ratelimit
TESTS += tests/unit/test-rt-ratelimit
tests_unit_test_rt_ratelimit_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_ratelimit_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_ratelimit_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)
