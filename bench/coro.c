/*
 * bench/coro.c - what a context switch, a spawn, a yield and a parked task
 * cost, measured through the layers that asyncd actually uses.  Run by hand:
 *
 *	make bench/coro && taskset -c 1 ./bench/coro [-cq] [figure ...]
 *
 * -c runs the timings with canary stacks too; -q divides every count by 100
 * (for valgrind --tool=callgrind); naming figures (floor, switch,
 * swapcontext, spawn, spawn_4096, yield, yield_1000, rss) runs only those,
 * for perf.
 *
 * Each figure prints as one line "name: value unit":
 *
 *   floor_ns            coro__switch alone, two contexts ping-ponging: the
 *                       asm's own cost, the floor for everything above it
 *   switch_ns           rt_gen_send / rt_gen_yield ping-pong: the runtime's
 *                       public resume and yield (coro_transfer + bookkeeping)
 *   swapcontext_ns      glibc swapcontext ping-pong, for scale (a system
 *                       call per switch: rt_sigprocmask)
 *   spawn_ns            rt_task_spawn (detached) + the loop running the task
 *                       to its end, per task, with the stack pool warm:
 *                       batches of 1,000 spawns, then one loop run
 *   spawn_4096_ns       the same in batches of 4,096, above the pool's
 *                       1,024 kept when idle: bursts that recur
 *   yield_ns            wall time / rt_sleep(0) calls with 2 tasks,
 *   yield_1000_ns       and with 1,000 tasks (a working set out of L1)
 *   rss_per_task_bytes  VmRSS growth / tasks for 100,000 tasks parked in
 *                       rt_sleep(3600)
 *
 * Switch figures are per single switch: a round trip is two, so round-trip
 * time / 2.  Every figure is the median of REPS repetitions, each timed with
 * CLOCK_MONOTONIC; repetitions stop early (after MIN_REPS) once a figure has
 * used FIGURE_BUDGET_NS, so a slow machine still finishes.
 *
 * The stack mode is chosen once per process (coro_stack_configure returns
 * -EBUSY after the first stack is handed out, even across rt_loop_close), and
 * 100,000 guarded stacks would need 200,000 kernel mappings, three times
 * vm.max_map_count's default.  So the memory figure runs first, in a forked
 * child with canary stacks, and reports back through a pipe; the timings run
 * in the parent with the default guard pages (-c: canary stacks there too).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "coro.h"
#include <asyncd/rt.h>

#define REPS		7
#define MIN_REPS	3
#define FIGURE_BUDGET_NS (3 * 1000000000LL)	/* per figure, all reps */

#define SWITCH_ROUNDS	(10000000L / scale)	/* round trips per rep */
#define UCTX_ROUNDS	(100000L / scale)	/* ~0.3-1 us per swapcontext */
#define SPAWN_BATCH	1000		/* under the pool's 1024 per class */
#define SPAWN_TASKS	(1000000L / scale)	/* per rep, any batch size */
#define YIELD2_CALLS	(2500000L / scale)	/* rt_sleep(0) calls per task */
#define YIELD1K_TASKS	1000
#define YIELD1K_CALLS	(5000L / scale)
#define RSS_TASKS	(100000L / scale)
#define RSS_SPAWN_NS	(60 * 1000000000LL)	/* give up spawning after */

static int	canary_all;	/* -c */
static long	scale = 1;	/* -q: 100 */
static char	**only;		/* figures named on the command line */

/* 1 if figure name is to run: all of them when none were named. */
static int
wanted(const char *name)
{
	char **p;

	if (*only == NULL)
		return 1;
	for (p = only; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Runs one(arg) up to REPS times (fewer once the figure's time budget is
 * spent) and returns the median of what it returned.
 */
static double
median_of(double (*one)(void *), void *arg)
{
	double v[REPS];
	int64_t start = now_ns();
	int n = 0;

	while (n < REPS) {
		v[n++] = one(arg);
		if (n >= MIN_REPS && now_ns() - start > FIGURE_BUDGET_NS)
			break;
	}
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "bench/coro: %s: %s\n", what, strerror(err < 0 ?
	    -err : err));
	exit(1);
}

static void
loop_open(int canary)
{
	struct rt_loop_opts o = { .stack_canary = canary };
	int err;

	if ((err = rt_loop_init(&o)) != 0)
		die("rt_loop_init", err);
}

/* ---- floor: the raw asm switch ---------------------------------------- */

#if !defined(CORO_UCONTEXT)
static struct coro_ctx	floor_main, floor_co;

static void
floor_body(void *arg)
{
	(void)arg;
	coro_entered(&floor_co);
	for (;;)
		(void)coro__switch(&floor_co.sp, floor_main.sp, 0);
}

static double
floor_one(void *arg)
{
	struct coro_stack *st = arg;
	int64_t t0;
	long i;

	coro_ctx_make(&floor_co, st, 0, floor_body, NULL);
	/* Enter, out of timing. */
	(void)coro__switch(&floor_main.sp, floor_co.sp, 0);
	t0 = now_ns();
	for (i = 0; i < SWITCH_ROUNDS; i++)
		(void)coro__switch(&floor_main.sp, floor_co.sp, 0);
	return (double)(now_ns() - t0) / (2.0 * SWITCH_ROUNDS);
}

static double
bench_floor(void)
{
	struct coro_stack *st;
	double r;

	if ((st = coro_stack_get(0)) == NULL)
		die("coro_stack_get", errno);
	coro_ctx_init_main(&floor_main);
	r = median_of(floor_one, st);
	coro_stack_put(st);	/* floor_body is abandoned mid-loop: harmless */
	return r;
}
#endif

/* ---- switch: the generator API ---------------------------------------- */

static void *
gen_body(struct rt_gen *g, void *arg)
{
	void *sent;

	(void)g;
	(void)arg;
	while (rt_gen_yield(NULL, &sent) == 0)
		;
	return NULL;
}

static double
switch_one(void *arg)
{
	struct rt_gen *g;
	int64_t t0;
	long i;

	(void)arg;
	if ((g = rt_gen_new(gen_body, NULL, 0)) == NULL)
		die("rt_gen_new", ENOMEM);
	(void)rt_gen_send(g, NULL, NULL);	/* runs to the first yield */
	t0 = now_ns();
	for (i = 0; i < SWITCH_ROUNDS; i++)
		(void)rt_gen_send(g, NULL, NULL);
	t0 = now_ns() - t0;
	rt_gen_free(g);
	return (double)t0 / (2.0 * SWITCH_ROUNDS);
}

/* ---- swapcontext, for scale ---------------------------------------------- */

static ucontext_t	uc_main, uc_co;

static void
uc_body(void)
{
	for (;;)
		(void)swapcontext(&uc_co, &uc_main);
}

static double
uctx_one(void *arg)
{
	int64_t t0;
	long i;

	if (getcontext(&uc_co) == -1)
		die("getcontext", errno);
	uc_co.uc_stack.ss_sp = arg;
	uc_co.uc_stack.ss_size = CORO_STACK_DEFAULT;
	uc_co.uc_link = NULL;
	makecontext(&uc_co, uc_body, 0);
	if (swapcontext(&uc_main, &uc_co) == -1)
		die("swapcontext", errno);
	t0 = now_ns();
	for (i = 0; i < UCTX_ROUNDS; i++)
		(void)swapcontext(&uc_main, &uc_co);
	return (double)(now_ns() - t0) / (2.0 * UCTX_ROUNDS);
}

static double
bench_uctx(void)
{
	void *stack;
	double r;

	if ((stack = malloc(CORO_STACK_DEFAULT)) == NULL)
		die("malloc", ENOMEM);
	r = median_of(uctx_one, stack);
	free(stack);	/* uc_body is abandoned mid-loop: nothing to undo */
	return r;
}

/* ---- spawn ------------------------------------------------------------- */

static int
noop_task(void *arg)
{
	(void)arg;
	return 0;
}

static void
spawn_batch(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++)
		if ((err = rt_task_spawn(NULL, "spawn", noop_task, NULL)) != 0)
			die(rt_task_spawn_error(), err);
	(void)rt_loop_run();	/* runs them all; no watcher, so it returns */
}

static double
spawn_one(void *arg)
{
	long batch = *(long *)arg, batches = SPAWN_TASKS / batch, b;
	int64_t t0;

	if (batches == 0)
		batches = 1;
	t0 = now_ns();
	for (b = 0; b < batches; b++)
		spawn_batch(batch);
	return (double)(now_ns() - t0) / ((double)batches * (double)batch);
}

static double
bench_spawn(long batch)
{
	spawn_batch(batch);	/* maps the pool's stacks and faults them in */
	spawn_batch(batch);
	return median_of(spawn_one, &batch);
}

/* ---- yield ------------------------------------------------------------- */

struct yield_cfg {
	long	tasks;
	long	calls;		/* rt_sleep(0) per task */
};

static int
yield_task(void *arg)
{
	long i, n = *(const long *)arg;

	for (i = 0; i < n; i++)
		if (rt_sleep(0) != 0)
			return -EINTR;
	return 0;
}

static double
yield_one(void *arg)
{
	const struct yield_cfg *c = arg;
	int64_t t0;
	long i;
	int err;

	for (i = 0; i < c->tasks; i++)
		if ((err = rt_task_spawn(NULL, "yield", yield_task,
		    (void *)&c->calls)) != 0)
			die(rt_task_spawn_error(), err);
	t0 = now_ns();
	(void)rt_loop_run();
	return (double)(now_ns() - t0) / ((double)c->tasks * c->calls);
}

/* ---- memory per parked task (in a child, canary stacks) -------------------- */

struct rss_result {
	int	err;		/* 0 or a negative errno */
	long	tasks;		/* parked when measured */
	long	kb_before, kb_after;
	char	what[256];
};

static long
vmrss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	(void)fclose(fp);	/* read-only */
	return kb;
}

static int
park_task(void *arg)
{
	(void)arg;
	return rt_sleep(3600);
}

static int
stop_task(void *arg)
{
	(void)arg;
	rt_loop_stop();		/* every park_task before us has parked */
	return 0;
}

static void
rss_child(struct rss_result *r)
{
	int64_t t0;
	long i;
	int err;

	loop_open(1);
	r->kb_before = vmrss_kb();
	t0 = now_ns();
	for (i = 0; i < RSS_TASKS; i++) {
		if ((err = rt_task_spawn(NULL, "park", park_task, NULL)) != 0) {
			r->err = err;
			snprintf(r->what, sizeof(r->what), "%s",
			    rt_task_spawn_error());
			break;
		}
		if (now_ns() - t0 > RSS_SPAWN_NS) {
			r->err = -ETIMEDOUT;
			snprintf(r->what, sizeof(r->what), "spawning timed out");
			i++;
			break;
		}
	}
	r->tasks = i;
	if ((err = rt_task_spawn(NULL, "stop", stop_task, NULL)) != 0)
		die(rt_task_spawn_error(), err);
	(void)rt_loop_run();
	r->kb_after = vmrss_kb();
	/* No cleanup: the parked tasks die with this process. */
}

static void
bench_rss(struct rss_result *r)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) == -1)
		die("pipe", errno);
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork", errno);
	if (pid == 0) {
		(void)close(fds[0]);
		rss_child(r);
		n = write(fds[1], r, sizeof(*r));
		_exit(n == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	(void)close(fds[1]);
	n = read(fds[0], r, sizeof(*r));
	(void)close(fds[0]);
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid", errno);
	if (n != (ssize_t)sizeof(*r) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		memset(r, 0, sizeof(*r));
		r->err = -EIO;
		snprintf(r->what, sizeof(r->what), "child failed (status %d)",
		    status);
	}
}

int
main(int argc, char **argv)
{
	struct yield_cfg y2 = { 2, 0 };
	struct yield_cfg y1k = { YIELD1K_TASKS, 0 };
	struct rss_result rss;
	int c;

	while ((c = getopt(argc, argv, "cq")) != -1) {
		switch (c) {
		case 'c':
			canary_all = 1;
			break;
		case 'q':
			scale = 100;
			break;
		default:
			fprintf(stderr, "usage: %s [-cq] [floor|switch|"
			    "swapcontext|spawn|spawn_4096|yield|yield_1000|rss "
			    "...]\n",
			    argv[0]);
			return 2;
		}
	}
	only = argv + optind;
	y2.calls = YIELD2_CALLS;
	y1k.calls = YIELD1K_CALLS;

	/* First: it needs a process that has handed out no stack yet. */
	if (wanted("rss"))
		bench_rss(&rss);

	loop_open(canary_all);
	printf("stack_mode: %s\n", canary_all ? "canary" : "guard");
#if !defined(CORO_UCONTEXT)
	if (wanted("floor"))
		printf("floor_ns: %.2f ns\n", bench_floor());
#endif
	if (wanted("switch"))
		printf("switch_ns: %.2f ns\n", median_of(switch_one, NULL));
	if (wanted("swapcontext"))
		printf("swapcontext_ns: %.1f ns\n", bench_uctx());
	if (wanted("spawn"))
		printf("spawn_ns: %.2f ns\n", bench_spawn(SPAWN_BATCH));
	if (wanted("spawn_4096"))
		printf("spawn_4096_ns: %.2f ns\n", bench_spawn(4096));
	if (wanted("yield"))
		printf("yield_ns: %.2f ns\n", median_of(yield_one, &y2));
	if (wanted("yield_1000"))
		printf("yield_1000_ns: %.2f ns\n", median_of(yield_one, &y1k));
	rt_loop_close();

	if (!wanted("rss"))
		return 0;
	printf("rss_stack_mode: canary\n");
	printf("rss_tasks: %ld tasks\n", rss.tasks);
	if (rss.tasks > 0 && rss.kb_after >= rss.kb_before)
		printf("rss_per_task_bytes: %.0f bytes\n",
		    (double)(rss.kb_after - rss.kb_before) * 1024 / rss.tasks);
	if (rss.err != 0) {
		fprintf(stderr, "bench/coro: rss: %s (%s)\n", rss.what,
		    strerror(-rss.err));
		return 1;
	}
	return 0;
}
