# tests/unit: tests of the synchronisation primitives, one program each.
# prims-test.h holds their shared harness (records, loop per test, spawn,
# finish_loop).
EXTRA_DIST += tests/unit/prims-test.h

check_PROGRAMS += tests/unit/test-rt-lock
TESTS += tests/unit/test-rt-lock
tests_unit_test_rt_lock_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_lock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_lock_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-sem
TESTS += tests/unit/test-rt-sem
tests_unit_test_rt_sem_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_sem_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_sem_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-event
TESTS += tests/unit/test-rt-event
tests_unit_test_rt_event_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_event_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_event_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-cond
TESTS += tests/unit/test-rt-cond
tests_unit_test_rt_cond_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_cond_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_cond_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-rt-queue
TESTS += tests/unit/test-rt-queue
tests_unit_test_rt_queue_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_queue_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_queue_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)

# All of the runtime's waits at once, in random order, with cancellations.
check_PROGRAMS += tests/unit/test-rt-stress
TESTS += tests/unit/test-rt-stress
tests_unit_test_rt_stress_CPPFLAGS = $(RT_CPPFLAGS)
tests_unit_test_rt_stress_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rt_stress_LDADD = $(RT_LIBS) $(CMOCKA_LIBS)
