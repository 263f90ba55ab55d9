/*
 * test-coro-stack.c - stack.c: the pool, size rounding and limits, and the
 * two overflow detectors (guard page, canary) as a task sees them, plus the
 * kernel's mapping cap on guarded stacks and the canary mode that lifts it.
 *
 * Whatever should crash, or needs a stack mode of its own, or exhausts the
 * process's mappings runs in a forked child (STYLE.md section 7); the
 * parent reads the child's stdout and stderr through one pipe and checks its
 * exit signal and message.  The stack mode can be chosen only before the
 * first stack is handed out (coro_stack_configure then says -EBUSY), and a
 * child inherits that from the parent: so the tests that choose a mode come
 * first in main(), before the parent takes its first stack.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* Whichever build: valgrind may run any of them. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#if !defined(RUNNING_ON_VALGRIND)
#define RUNNING_ON_VALGRIND	0
#endif

#include "coro.h"
#include <asyncd/rt.h>

/* ---- forked children ------------------------------------------------- */

struct child {
	int	status;		/* from waitpid */
	char	out[8192];	/* stdout and stderr, interleaved */
};

/*
 * Runs fn in a child whose stdout and stderr go into c->out, and reaps it.
 * The child exits 0 when fn returns; alarm() bounds a hang.
 */
static void
child_run(void (*fn)(void), unsigned timeout, struct child *c)
{
	size_t len = 0;
	ssize_t n;
	char sink[512];
	int fds[2];
	pid_t pid;

	memset(c, 0, sizeof(*c));
	assert_int_equal(pipe(fds), 0);
	(void)fflush(stdout);	/* or the child prints our buffer again */
	(void)fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction dfl;

		(void)close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) == -1 ||
		    dup2(fds[1], STDERR_FILENO) == -1)
			_exit(125);
		(void)close(fds[1]);
		/* cmocka catches SIGSEGV in the parent; the child's faults
		 * must reach the runtime's handler or the default action. */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		(void)sigaction(SIGSEGV, &dfl, NULL);
		(void)sigaction(SIGBUS, &dfl, NULL);
		(void)sigaction(SIGABRT, &dfl, NULL);
		alarm(timeout);
		fn();
		(void)fflush(stdout);	/* _exit() does not flush */
		_exit(0);
	}
	(void)close(fds[1]);
	for (;;) {
		if (len < sizeof(c->out) - 1)
			n = read(fds[0], c->out + len, sizeof(c->out) - 1 - len);
		else
			n = read(fds[0], sink, sizeof(sink));	/* drain */
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (len < sizeof(c->out) - 1)
			len += (size_t)n;
	}
	c->out[len] = '\0';
	(void)close(fds[0]);
	while (waitpid(pid, &c->status, 0) == -1)
		assert_int_equal(errno, EINTR);
}

static void
assert_child_aborted_with(const struct child *c, const char *msg)
{
	if (!WIFSIGNALED(c->status) || WTERMSIG(c->status) != SIGABRT)
		fail_msg("child did not die of SIGABRT (status 0x%x); "
		    "its output:\n%s", c->status, c->out);
	if (strstr(c->out, msg) == NULL)
		fail_msg("child output lacks \"%s\":\n%s", msg, c->out);
}

static void
assert_child_exited_0(const struct child *c)
{
	if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0)
		fail_msg("child failed (status 0x%x); its output:\n%s",
		    c->status, c->out);
}

/* ---- bodies ---------------------------------------------------------- */

static int __attribute__((noinline))
recurse(int depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth > 100000000)		/* never: 50 GB of frames */
		return 0;
	return recurse(depth + 1) + frame[0];	/* not a tail call */
}

static int
deep_recursion_task(void *arg)
{
	(void)arg;
	return recurse(0);
}

static int
canary_smash_task(void *arg)
{
	(void)arg;
	if (coro__current_stack == NULL || coro__current_stack->guarded)
		printf("task stack is guarded: not canary mode\n");
	/* What an overflow does: write into the lowest bytes of the stack. */
	coro__current_stack->lo[8] = 1;
	(void)fflush(stdout);
	(void)rt_sleep(0.001);		/* the switch away checks the canary */
	/* Flushed: the release check at the task's end would abort too, and
	 * an abort drops what stdio still buffers. */
	printf("survived the switch\n");
	(void)fflush(stdout);
	return 0;
}

/*
 * Parks for good: each task awaits a future of its own that nobody sets.
 * Not one shared future: adding a waiter walks the future's callback list
 * (rt__cb_add appends), so N waiters on one future cost O(N^2).
 */
static int
park_task(void *arg)
{
	struct rt_future never;

	(void)arg;
	rt_future_init(&never);
	return rt_future_await(&never, NULL, RT_FOREVER);
}

static long
read_max_map_count(void)
{
	FILE *fp;
	long v = -1;

	if ((fp = fopen("/proc/sys/vm/max_map_count", "r")) == NULL)
		return -1;
	if (fscanf(fp, "%ld", &v) != 1)
		v = -1;
	(void)fclose(fp);
	return v;
}

/* ---- children that choose a stack mode (run first) ---------------------- */

/* In a child: a loop with opts and one task name running fn(arg), until
 * the loop returns (which the overflow tests expect it never does). */
static void
run_one_task(const struct rt_loop_opts *opts, const char *name,
    rt_task_fn fn, void *arg)
{
	int err;

	if ((err = rt_loop_init(opts)) != 0) {
		printf("rt_loop_init: %d\n", err);
		return;
	}
	if ((err = rt_task_spawn(NULL, name, fn, arg)) != 0) {
		printf("spawn: %d\n", err);
		return;
	}
	(void)rt_loop_run();
	printf("loop returned\n");
}

static const struct rt_loop_opts canary_opts = { .stack_canary = 1 };

static void
canary_switch_child(void)
{
	run_one_task(&canary_opts, "canary-smash", canary_smash_task, NULL);
}

/* The same overflow, then a switch into a generator instead of the loop:
 * that switch saves the task into the generator's way back, and must check
 * the task's canary as every switch away from a task does. */
static void *
gen_body(struct rt_gen *g, void *arg)
{
	(void)g;
	(void)arg;
	printf("generator ran\n");
	(void)fflush(stdout);
	return NULL;
}

static int
canary_gen_task(void *arg)
{
	struct rt_gen *g;

	(void)arg;
	if ((g = rt_gen_new(gen_body, NULL, 0)) == NULL) {
		printf("rt_gen_new failed\n");
		return -ENOMEM;
	}
	coro__current_stack->lo[8] = 1;
	(void)rt_gen_send(g, NULL, NULL);
	printf("survived the send\n");
	(void)fflush(stdout);
	rt_gen_free(g);
	return 0;
}

static void
canary_gen_child(void)
{
	run_one_task(&canary_opts, "gen-smash", canary_gen_task, NULL);
}

static void
test_stack_canary_checked_when_a_task_enters_a_generator(void **state)
{
	struct child c;

	(void)state;
	child_run(canary_gen_child, 20, &c);
	assert_child_aborted_with(&c, "stack overflow in task gen-smash");
	assert_null(strstr(c.out, "generator ran"));
	assert_null(strstr(c.out, "survived"));
}

static void
test_stack_canary_detects_overwrite_at_switch(void **state)
{
	struct child c;

	(void)state;
	child_run(canary_switch_child, 20, &c);
	assert_child_aborted_with(&c, "stack overflow in task canary-smash");
	assert_null(strstr(c.out, "survived"));
}

static void
canary_put_child(void)
{
	struct coro_stack *st;
	int err;

	if ((err = coro_stack_configure(CORO_STACK_CANARY, 4)) != 0) {
		printf("configure: %d\n", err);
		return;
	}
	if ((st = coro_stack_get(0)) == NULL) {
		printf("get: %s\n", coro_stack_error());
		return;
	}
	if (st->guarded)
		printf("stack is guarded in canary mode\n");
	coro_stack_check(st);		/* intact: must not abort */
	printf("intact canary passed\n");
	(void)fflush(stdout);
	st->name = "canary-put";
	st->lo[63] = 0x7f;		/* the last canary byte */
	coro_stack_put(st);
	printf("put returned\n");
}

static void
test_stack_canary_detects_overwrite_at_release(void **state)
{
	struct child c;

	(void)state;
	child_run(canary_put_child, 20, &c);
	assert_non_null(strstr(c.out, "intact canary passed"));
	assert_child_aborted_with(&c, "stack overflow in task canary-put");
	assert_null(strstr(c.out, "put returned"));
}

/*
 * pool_min 2, a burst of 5 stacks: all 5 stay pooled (the burst may recur),
 * the next burst of 5 maps nothing, and trims bring the pool back to 2 once
 * a whole period saw no such burst.  Its own process: the mode and pool_min
 * are set once per process.
 */
static void
pool_trim_child(void)
{
	struct coro_stack *st[5];
	size_t mapped;
	int i;

	if (coro_stack_configure(CORO_STACK_GUARD, 2) != 0) {
		printf("configure failed\n");
		return;
	}
	for (i = 0; i < 5; i++)
		if ((st[i] = coro_stack_get(0)) == NULL)
			return;
	for (i = 0; i < 5; i++)
		coro_stack_put(st[i]);
	printf("after the burst: pooled=%zu in_use=%zu\n",
	    coro_stack_pooled(), coro_stack_in_use());
	coro_stack_pool_trim();		/* this period saw 5 out */
	printf("after one trim: pooled=%zu\n", coro_stack_pooled());
	/* The burst again: every stack from the pool. */
	mapped = 0;
	for (i = 0; i < 5; i++) {
		size_t before = coro_stack_pooled();

		if ((st[i] = coro_stack_get(0)) == NULL)
			return;
		mapped += coro_stack_pooled() == before;
	}
	for (i = 0; i < 5; i++)
		coro_stack_put(st[i]);
	printf("second burst: mapped=%zu\n", mapped);
	coro_stack_pool_trim();		/* saw 5 again: keeps them */
	coro_stack_pool_trim();		/* a quiet period */
	printf("after a quiet period: pooled=%zu busy=%d\n",
	    coro_stack_pooled(), coro_stack_configure(CORO_STACK_GUARD, 8));
}

/* Through the runtime: its loop trims on a timer, which does not keep
 * rt_loop_run from returning. */
static int
burst_task(void *arg)
{
	(void)arg;
	return rt_sleep(0.001);
}

/*
 * Runs a burst of 40 tasks to its end, then looks at the pool: right away
 * (a trim period is 0.5 s, the burst takes a few ms; both scaled by
 * RT_TEST_TIMEOUT_MULTIPLIER under valgrind), then once per period until the
 * trims have brought it down, for at most 8 periods: a stalled machine
 * delays the trims, it does not make this fail.
 */
static int
pool_watch_task(void *arg)
{
	struct rt_task *burst[40];
	double period = *(double *)arg;
	size_t i, pooled;

	for (i = 0; i < 40; i++)
		if (rt_task_spawn(&burst[i], "burst", burst_task, NULL) != 0)
			return -ENOMEM;
	(void)rt_gather(burst, 40, RT_FOREVER);
	for (i = 0; i < 40; i++)
		rt_task_release(burst[i]);
	printf("after the burst: pooled=%zu\n", coro_stack_pooled());
	for (i = 0; i < 8 && (pooled = coro_stack_pooled()) > 4; i++)
		(void)rt_sleep(period);
	printf("later: pooled=%zu\n", coro_stack_pooled());
	return 0;
}

static void
loop_trim_child(void)
{
	const char *m = getenv("RT_TEST_TIMEOUT_MULTIPLIER");
	double period = 0.5 * (m != NULL && atoi(m) > 0 ? atoi(m) : 1);
	struct rt_loop_opts opts = { .stack_pool_min = 4,
	    .stack_trim_period = period };

	run_one_task(&opts, "watch", pool_watch_task, &period);
	rt_loop_close();
}

static void
test_loop_trims_stack_pool_on_a_timer(void **state)
{
	struct child c;

	(void)state;
	child_run(loop_trim_child, 60, &c);
	assert_child_exited_0(&c);
	assert_non_null(strstr(c.out, "after the burst: pooled=40\n"));
	assert_non_null(strstr(c.out, "later: pooled=4\n"));
	assert_non_null(strstr(c.out, "loop returned\n"));
}

static void
test_stack_pool_follows_demand_down_to_pool_min(void **state)
{
	struct child c;

	(void)state;
	child_run(pool_trim_child, 20, &c);
	assert_child_exited_0(&c);
	assert_non_null(strstr(c.out, "after the burst: pooled=5 in_use=0\n"));
	assert_non_null(strstr(c.out, "after one trim: pooled=5\n"));
	assert_non_null(strstr(c.out, "second burst: mapped=0\n"));
	assert_non_null(strstr(c.out, "after a quiet period: pooled=2 "
	    "busy=-16\n"));
}

/*
 * Parked tasks need little stack, and the mapping count does not depend on
 * the size: the smallest stacks keep these children fast, under ASan too
 * (whose shadow for a 256 KiB default stack costs 8 page faults per spawn,
 * 90 us each spawn here, against 2 s for 100,000 small ones).
 */
#define SMALL_STACK	CORO_STACK_MIN
#define CANARY_MANY	100000

static void
canary_many_child(void)
{
	struct rt_loop_opts opts = { .stack_canary = 1,
	    .stack_size = SMALL_STACK };
	const size_t want = CANARY_MANY;
	size_t i, parked = 0;
	struct timespec c0, c1;
	int err;

	/* CPU time, not wall time: a loaded machine stretches the latter. */
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if ((err = rt_loop_init(&opts)) != 0) {
		printf("rt_loop_init: %d\n", err);
		return;
	}
	for (i = 0; i < want; i++)
		if ((err = rt_task_spawn(NULL, "parked", park_task, NULL)) != 0)
			break;
	(void)rt_loop_run();	/* each parks; then nothing is left to do */
	if (rt_task_count() == i)
		parked = i;
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("spawned=%zu parked=%zu err=%d cpu=%.3f\n", i, parked, err,
	    (double)(c1.tv_sec - c0.tv_sec) +
	    (double)(c1.tv_nsec - c0.tv_nsec) / 1e9);
	if (err != 0)
		printf("error: %s\n", rt_task_spawn_error());
}

static void
test_stack_canary_mode_allows_100k_parked_tasks(void **state)
{
	struct child c;
	double cpu = -1;
	char want[80];
	const char *p;

	(void)state;
	/* Each spawn costs valgrind about 50 times more: minutes, not 2 s. */
	if (RUNNING_ON_VALGRIND)
		skip();
	/* A hang watchdog only: the CPU bound below is the real check, and
	 * a loaded machine once stretched the 2 s of ASan past 30 s. */
	child_run(canary_many_child, 120, &c);
	assert_child_exited_0(&c);
	snprintf(want, sizeof(want), "spawned=%d parked=%d err=0", CANARY_MANY,
	    CANARY_MANY);
	if (strstr(c.out, want) == NULL)
		fail_msg("child output: %s", c.out);
	assert_non_null(p = strstr(c.out, "cpu="));
	assert_int_equal(sscanf(p, "cpu=%lf", &cpu), 1);
	/* About 0.3 s here (2 s under ASan): the bound catches a spawn
	 * gone quadratic, in CPU seconds, which other load does not
	 * stretch as it stretches wall time (this failed under load). */
	if (cpu >= 20.0)
		fail_msg("100,000 spawns took %.3f CPU seconds", cpu);
}

/* ---- guard mode, in the parent and children ---------------------------- */

static void
test_stack_pool_reuses_a_put_stack(void **state)
{
	struct coro_stack *a, *b;
	size_t in_use0, pooled0;

	(void)state;
	in_use0 = coro_stack_in_use();
	assert_non_null(a = coro_stack_get(0));
	assert_int_equal(coro_stack_in_use(), in_use0 + 1);
	pooled0 = coro_stack_pooled();
	coro_stack_put(a);
	assert_int_equal(coro_stack_in_use(), in_use0);
	assert_int_equal(coro_stack_pooled(), pooled0 + 1);
	assert_non_null(b = coro_stack_get(0));
	assert_ptr_equal(a, b);
	assert_int_equal(coro_stack_pooled(), pooled0);
	coro_stack_put(b);
}

static void
test_stack_pool_is_per_size(void **state)
{
	struct coro_stack *small, *big;

	(void)state;
	assert_non_null(small = coro_stack_get(CORO_STACK_MIN));
	coro_stack_put(small);
	/* Another size does not take the pooled small stack. */
	assert_non_null(big = coro_stack_get(256 * 1024));
	assert_ptr_not_equal(big, small);
	assert_true(big->size >= 256 * 1024);
	coro_stack_put(big);
	assert_ptr_equal(coro_stack_get(CORO_STACK_MIN), small);
	coro_stack_put(small);
}

static void
test_stack_pool_drain_empties_pool(void **state)
{
	struct coro_stack *st;

	(void)state;
	assert_non_null(st = coro_stack_get(0));
	coro_stack_put(st);
	assert_true(coro_stack_pooled() > 0);
	coro_stack_pool_drain();
	assert_int_equal(coro_stack_pooled(), 0);
}

static void
test_stack_size_rounds_up_to_pages(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct coro_stack *a, *b;

	(void)state;
	assert_non_null(a = coro_stack_get(CORO_STACK_MIN + 1));
	assert_true(a->size >= CORO_STACK_MIN + 1);
	assert_true(a->size < CORO_STACK_MIN + 2 * page);
	assert_int_equal(a->map_len % page, 0);
	assert_true((uintptr_t)a->lo % page == 0);
	memset(a->lo, 1, a->size);	/* every usable byte is writable */
	coro_stack_put(a);
	/* MIN + 1 and MIN + page round to the same size: same pool class. */
	assert_non_null(b = coro_stack_get(CORO_STACK_MIN + page));
	assert_ptr_equal(a, b);
	coro_stack_put(b);

	assert_non_null(a = coro_stack_get(0));
	assert_true(a->size >= CORO_STACK_DEFAULT);
	assert_int_equal(a->guarded, 1);
	assert_ptr_equal((char *)a->map + page, a->lo);
	coro_stack_put(a);
}

static const struct {
	size_t		size;
	const char	*why;
} bad_sizes[] = {
	{ CORO_STACK_MIN - 1,	"below CORO_STACK_MIN" },
	{ 1,			"one byte" },
	{ CORO_STACK_MAX + 1,	"above CORO_STACK_MAX" },
	{ SIZE_MAX,		"would overflow the page rounding" },
};

static void
test_stack_size_out_of_range_is_einval(void **state)
{
	struct coro_stack *st;
	size_t i, in_use0 = coro_stack_in_use();

	(void)state;
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		errno = 0;
		st = coro_stack_get(bad_sizes[i].size);
		if (st != NULL || errno != EINVAL)
			fail_msg("size %zu (%s): got %p errno %d", bad_sizes[i].size,
			    bad_sizes[i].why, (void *)st, errno);
		assert_non_null(strstr(coro_stack_error(), "outside"));
	}
	assert_int_equal(coro_stack_in_use(), in_use0);
	/* The limits themselves are valid. */
	assert_non_null(st = coro_stack_get(CORO_STACK_MIN));
	coro_stack_put(st);
	assert_non_null(st = coro_stack_get(CORO_STACK_MAX));
	assert_true(st->size >= CORO_STACK_MAX);
	coro_stack_put(st);
	coro_stack_pool_drain();	/* do not keep 64 MiB around */
}

static void
test_stack_configure_after_start_is_ebusy(void **state)
{
	(void)state;
	coro_stack_put(coro_stack_get(0));	/* started, if not yet */
	assert_int_equal(coro_stack_configure(CORO_STACK_CANARY, 8), -EBUSY);
	assert_int_equal(coro_stack_configure((enum coro_stack_mode)7, 8),
	    -EINVAL);
	assert_int_equal(coro_stack_mode(), CORO_STACK_GUARD);
}

static void
overflow_child(void)
{
	run_one_task(NULL, "deep-recursion", deep_recursion_task, NULL);
}

static void
test_stack_guard_page_overflow_aborts_with_task_name(void **state)
{
	struct child c;

	(void)state;
	child_run(overflow_child, 20, &c);
	assert_child_aborted_with(&c, "stack overflow in task deep-recursion");
}

static void
map_cap_child(void)
{
	struct rt_loop_opts opts = { .stack_size = SMALL_STACK };
	size_t i, limit = 200000;
	int err = 0;

	if ((err = rt_loop_init(&opts)) != 0) {
		printf("rt_loop_init: %d\n", err);
		return;
	}
	for (i = 0; i < limit; i++)
		if ((err = rt_task_spawn(NULL, "parked", park_task, NULL)) != 0)
			break;
	/* At the cap the spawned tasks still run and park. */
	(void)rt_loop_run();
	printf("count=%zu live=%zu err=%d\n", i, rt_task_count(), err);
	printf("error: %s\n", rt_task_spawn_error());
}

static void
test_stack_guard_mapping_cap_fails_spawn_with_enomem(void **state)
{
	struct child c;
	size_t count = 0, live = 0;
	long cap = read_max_map_count();
	const char *p;
	int err = 0;

	(void)state;
	if (cap < 0 || cap > 1000000)
		skip();		/* no cap to reach in reasonable time */
	/* Valgrind's own table of mappings (VG_N_SEGMENTS) fills up before
	 * the kernel's cap, and valgrind then exits. */
	if (RUNNING_ON_VALGRIND)
		skip();
	child_run(map_cap_child, 30, &c);
	assert_child_exited_0(&c);
	assert_non_null(p = strstr(c.out, "count="));
	assert_int_equal(sscanf(p, "count=%zu live=%zu err=%d", &count, &live,
	    &err), 3);
	assert_int_equal(err, -ENOMEM);
	assert_int_equal(live, count);
	/* Two mappings per guarded stack: about cap / 2, 32,765 by default. */
	if (count <= 20000 || count > (size_t)cap / 2)
		fail_msg("spawned %zu guarded tasks with vm.max_map_count = %ld",
		    count, cap);
	if (strstr(c.out, "vm.max_map_count") == NULL)
		fail_msg("spawn error does not name vm.max_map_count:\n%s",
		    c.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* These fork before this process maps its first stack. */
		cmocka_unit_test(test_stack_canary_detects_overwrite_at_switch),
		cmocka_unit_test(
		    test_stack_canary_checked_when_a_task_enters_a_generator),
		cmocka_unit_test(test_stack_canary_detects_overwrite_at_release),
		cmocka_unit_test(test_stack_pool_follows_demand_down_to_pool_min),
		cmocka_unit_test(test_loop_trims_stack_pool_on_a_timer),
		cmocka_unit_test(test_stack_canary_mode_allows_100k_parked_tasks),
		/* Guard mode from here on. */
		cmocka_unit_test(test_stack_pool_reuses_a_put_stack),
		cmocka_unit_test(test_stack_pool_is_per_size),
		cmocka_unit_test(test_stack_pool_drain_empties_pool),
		cmocka_unit_test(test_stack_size_rounds_up_to_pages),
		cmocka_unit_test(test_stack_size_out_of_range_is_einval),
		cmocka_unit_test(test_stack_configure_after_start_is_ebusy),
		cmocka_unit_test(test_stack_guard_page_overflow_aborts_with_task_name),
		cmocka_unit_test(test_stack_guard_mapping_cap_fails_spawn_with_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
