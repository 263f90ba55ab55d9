/*
 * test-rt-task.c - task.c: spawning (names, ids, stack sizes), join with
 * its status, result and timeout, done callbacks, rt_task_current, the
 * introspection calls (foreach, count, dump), references and the recycling
 * of stacks, and rt_task_defer's LIFO cleanups, cancelled or not.
 */
#include "config.h"

#include <stdlib.h>

#include "rt-test.h"

static int
return_zero(void *arg)
{
	(void)arg;
	return 0;
}

/* ---- spawn ------------------------------------------------------------- */

static void
test_task_spawn_names_and_numbers_tasks(void **state)
{
	char name[64], want[64];
	struct rt_task *a, *b, *c;

	(void)state;
	assert_int_equal(rt_task_spawn(&a, "worker", return_zero, NULL), 0);
	assert_string_equal(rt_task_name(a), "worker");
	assert_int_equal(rt_task_state(a), RT_TASK_READY);
	/* No name: "task-<id>". */
	assert_int_equal(rt_task_spawn(&b, NULL, return_zero, NULL), 0);
	assert_true(rt_task_id(b) > rt_task_id(a));
	snprintf(want, sizeof(want), "task-%llu",
	    (unsigned long long)rt_task_id(b));
	assert_string_equal(rt_task_name(b), want);
	/* Copied, and truncated to 39 bytes. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(rt_task_spawn(&c, name, return_zero, NULL), 0);
	name[0] = 'X';
	assert_int_equal(strlen(rt_task_name(c)), 39);
	assert_int_equal(rt_task_name(c)[0], 'n');
	assert_int_equal(rt_task_count(), 3);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(rt_task_count(), 0);
	rt_task_release(a);
	rt_task_release(b);
	rt_task_release(c);
}

static void
test_task_spawn_rejects_bad_arguments(void **state)
{
	struct rt_task_opts opts = { .stack_size = CORO_STACK_MAX + 1 };
	struct rt_task *t = (struct rt_task *)&opts;

	(void)state;
	assert_int_equal(rt_task_spawn(&t, "nofn", NULL, NULL), -EINVAL);
	assert_null(t);
	t = (struct rt_task *)&opts;
	assert_int_equal(rt_task_spawn_opts(&t, "huge", return_zero, NULL,
	    &opts), -EINVAL);
	assert_null(t);
	assert_non_null(strstr(rt_task_spawn_error(), "huge"));
	assert_int_equal(rt_task_count(), 0);
	assert_int_equal(coro_stack_in_use(), 0);
}

static size_t seen_stack_size;

static int
use_big_stack(void *arg)
{
	size_t want = *(size_t *)arg;
	volatile char *buf;

	seen_stack_size = coro__current_stack->size;
	/* Three quarters of what was asked for: a 64 KiB stack would fault
	 * on its guard page here. */
	buf = __builtin_alloca(want / 4 * 3);
	memset((char *)buf, 0x5a, want / 4 * 3);
	return buf[want / 2] == 0x5a ? 0 : -EIO;
}

static int
record_stack_size(void *arg)
{
	(void)arg;
	seen_stack_size = coro__current_stack->size;
	return 0;
}

static void
test_task_spawn_opts_sets_stack_size(void **state)
{
	size_t want = 1024 * 1024;
	struct rt_task_opts opts = { .stack_size = want };
	struct rt_task *t;

	(void)state;
	assert_int_equal(rt_task_spawn_opts(&t, "big", use_big_stack, &want,
	    &opts), 0);
	assert_int_equal(rt_loop_run_until(t), 0);
	assert_int_equal(rt_task_status(t), 0);
	assert_true(seen_stack_size >= want);
	rt_task_release(t);
	/* Without opts: the loop's default, far smaller. */
	assert_int_equal(rt_task_spawn(&t, "small", record_stack_size, NULL), 0);
	assert_int_equal(rt_loop_run_until(t), 0);
	assert_true(seen_stack_size >= CORO_STACK_DEFAULT);
	assert_true(seen_stack_size < want / 2);
	rt_task_release(t);
}

static struct rt_task *self_handle;
static struct rt_task *seen_current;
static enum rt_task_state seen_state;

static int
record_current(void *arg)
{
	(void)arg;
	seen_current = rt_task_current();
	seen_state = rt_task_state(seen_current);
	return 0;
}

static void
test_task_current_is_running_task(void **state)
{
	(void)state;
	assert_null(rt_task_current());
	assert_int_equal(rt_task_spawn(&self_handle, "me", record_current,
	    NULL), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_ptr_equal(seen_current, self_handle);
	assert_int_equal(seen_state, RT_TASK_RUNNING);
	assert_int_equal(rt_task_state(self_handle), RT_TASK_DONE);
	assert_null(rt_task_current());
	rt_task_release(self_handle);
}

/* ---- join -------------------------------------------------------------- */

static int result_marker;

static int
fail_with_result(void *arg)
{
	(void)arg;
	rt_task_set_result(&result_marker);
	TCHECK_INT(rt_sleep(0.01), 0);
	return -EIO;
}

static int
join_child(void *arg)
{
	struct rt_task *child;
	void *result = NULL;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&child, "child", fail_with_result, NULL), 0);
	TCHECK_INT(rt_task_join(child, &result, RT_FOREVER), -EIO);
	TCHECK(result == &result_marker);
	TCHECK(rt_task_done(child));
	/* Joining a done task returns at once, with the same outcome. */
	result = NULL;
	TCHECK_INT(rt_task_join(child, &result, 0), -EIO);
	TCHECK(result == &result_marker);
	TCHECK_INT(rt_task_join(child, NULL, RT_FOREVER), -EIO);
	TCHECK_INT(rt_task_join(rt_task_current(), NULL, RT_FOREVER), -EDEADLK);
	rt_task_release(child);
	return 0;
}

static void
test_task_join_returns_status_and_result(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(join_child, NULL), 0);
}

static int
wait_then_return_zero(void *arg)
{
	(void)arg;
	TCHECK_INT(rt_sleep(0.001), 0);
	return 0;
}

/*
 * A spawn leaves the result and waiting_on fields of the task struct as the
 * stack's previous task left them (rt-int.h): only flags of zeroed line 1
 * say whether they hold anything.  The pool is LIFO, so the second child
 * below gets the first one's stack and struct address.
 */
static int
stale_fields_child(void *arg)
{
	struct rt_task *first, *second;
	void *result = &result_marker;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&first, "first", fail_with_result, NULL), 0);
	TCHECK_INT(rt_task_join(first, NULL, RT_FOREVER), -EIO);
	rt_task_release(first);
	TCHECK_INT(rt_task_spawn(&second, "second", wait_then_return_zero,
	    NULL), 0);
	TCHECK(second == first);	/* the same stack, as intended */
	TCHECK(strcmp(rt_task_waiting_on(second), "") == 0);
	TCHECK_INT(rt_sleep(0), 0);	/* second runs and sleeps */
	TCHECK(strcmp(rt_task_waiting_on(second), "sleep") == 0);
	TCHECK_INT(rt_task_join(second, &result, RT_FOREVER), 0);
	TCHECK(result == NULL);
	TCHECK(rt_task_result(second) == NULL);
	TCHECK(strcmp(rt_task_waiting_on(second), "") == 0);
	rt_task_release(second);
	return 0;
}

static void
test_task_result_and_waiting_on_start_empty_on_reused_stack(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(stale_fields_child, NULL), 0);
}

static void
test_task_join_outside_task_is_eperm(void **state)
{
	struct rt_task *t;

	(void)state;
	assert_int_equal(rt_task_spawn(&t, "t", return_zero, NULL), 0);
	assert_int_equal(rt_task_join(t, NULL, RT_FOREVER), -EPERM);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	/* Done: no need to suspend, so the main stack may join it. */
	assert_int_equal(rt_task_join(t, NULL, RT_FOREVER), 0);
	rt_task_release(t);
}

static int
join_with_timeout(void *arg)
{
	struct rt_task *parked;
	double t0;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&parked, "parked", rt_test_park, NULL), 0);
	t0 = rt_loop_time();
	TCHECK_INT(rt_task_join(parked, NULL, 0.02), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 >= 0.02);
	TCHECK(rt_loop_time() - t0 < 5.0);
	/* The joined task is not affected by its joiner's timeout. */
	TCHECK_INT(rt_task_state(parked), RT_TASK_WAITING);
	TCHECK_INT(rt_task_cancelling(parked), 0);
	TCHECK_INT(rt_task_cancel(parked), 0);
	TCHECK_INT(rt_task_join(parked, NULL, RT_FOREVER), -ECANCELED);
	rt_task_release(parked);
	return 0;
}

static void
test_task_join_timeout_leaves_task_running(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(join_with_timeout, NULL), 0);
}

/* ---- done callbacks ------------------------------------------------------ */

static struct rt_task *cb_source;

static void
log_cb(struct rt_cb *cb, void *source)
{
	log_step(*(const char *)cb->arg);
	cb_source = source;
}

static void
test_task_done_callbacks_run_in_registration_order(void **state)
{
	struct rt_cb c1 = { .fn = log_cb, .arg = "1" },
	    c2 = { .fn = log_cb, .arg = "2" }, c3 = { .fn = log_cb, .arg = "3" },
	    c4 = { .fn = log_cb, .arg = "4" };
	struct rt_task *t;

	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(&t, "t", return_zero, NULL), 0);
	rt_task_add_done_cb(t, &c1);
	rt_task_add_done_cb(t, &c2);
	rt_task_add_done_cb(t, &c3);
	rt_cb_remove(&c2);
	rt_cb_remove(&c2);		/* not linked: a no-op */
	assert_string_equal(order, "");
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_string_equal(order, "13");
	assert_ptr_equal(cb_source, t);
	/* Added once the task is done: runs at once. */
	rt_task_add_done_cb(t, &c4);
	assert_string_equal(order, "134");
	rt_task_release(t);
}

static void
release_in_cb(struct rt_cb *cb, void *source)
{
	(void)cb;
	rt_task_release(source);
}

static void
test_task_release_in_own_done_callback_frees_stack(void **state)
{
	struct rt_cb cb = { .fn = release_in_cb };
	struct rt_task *t;

	(void)state;
	assert_int_equal(rt_task_spawn(&t, "t", return_zero, NULL), 0);
	rt_task_add_done_cb(t, &cb);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(coro_stack_in_use(), 0);
}

/* ---- references and stacks ------------------------------------------------- */

static int ran;

static int
yield_once(void *arg)
{
	(void)arg;
	ran++;
	return rt_sleep(0);
}

static void
test_task_detached_tasks_free_their_stacks(void **state)
{
	int i;

	(void)state;
	ran = 0;
	for (i = 0; i < 50; i++)
		assert_int_equal(rt_task_spawn(NULL, "detached", yield_once,
		    NULL), 0);
	assert_int_equal(rt_task_count(), 50);
	assert_int_equal(coro_stack_in_use(), 50);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(ran, 50);
	assert_int_equal(rt_task_count(), 0);
	assert_int_equal(coro_stack_in_use(), 0);
	/* The stacks went to the pool: the next spawns map nothing. */
	assert_true(coro_stack_pooled() >= 50);
}

static void
test_task_handle_keeps_done_task_until_release(void **state)
{
	struct rt_task *t, *early;

	(void)state;
	ran = 0;
	assert_int_equal(rt_task_spawn(&t, "kept", yield_once, NULL), 0);
	assert_int_equal(rt_task_spawn(&early, "early", yield_once, NULL), 0);
	rt_task_release(early);		/* before it even ran */
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(ran, 2);
	assert_int_equal(rt_task_count(), 0);
	/* Done but referenced: still readable, stack not recycled. */
	assert_int_equal(coro_stack_in_use(), 1);
	assert_int_equal(rt_task_state(t), RT_TASK_DONE);
	assert_string_equal(rt_task_name(t), "kept");
	rt_task_release(t);
	assert_int_equal(coro_stack_in_use(), 0);
	rt_task_release(NULL);		/* a no-op */
}

/* ---- defer -------------------------------------------------------------- */

static void
defer_log(void *arg)
{
	log_step(*(const char *)arg);
}

static int
defer_three(void *arg)
{
	(void)arg;
	TCHECK_INT(rt_task_defer(defer_log, "1"), 0);
	TCHECK_INT(rt_task_defer(defer_log, "2"), 0);
	TCHECK_INT(rt_sleep(0), 0);
	TCHECK_INT(rt_task_defer(defer_log, "3"), 0);
	log_step('b');			/* the body ends before any cleanup */
	return 0;
}

static void
test_task_defer_runs_lifo_at_task_end(void **state)
{
	struct rt_cb done = { .fn = log_cb, .arg = "d" };
	struct rt_task *t;

	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(&t, "defers", defer_three, NULL), 0);
	rt_task_add_done_cb(t, &done);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	/* LIFO, and all of them before the task counts as done. */
	assert_string_equal(order, "b321d");
	rt_task_release(t);
	assert_int_equal(rt_task_defer(defer_log, "x"), -EPERM);
}

static int
defer_then_park(void *arg)
{
	TCHECK_INT(rt_task_defer(defer_log, "a"), 0);
	TCHECK_INT(rt_task_defer(defer_log, "b"), 0);
	return rt_future_await(arg, NULL, RT_FOREVER);
}

static void
test_task_defer_runs_when_cancelled(void **state)
{
	struct rt_future never;
	struct rt_task *t, *r;

	(void)state;
	log_reset();
	rt_future_init(&never);
	assert_int_equal(rt_task_spawn(&t, "parked", defer_then_park, &never),
	    0);
	/* Cancelled before it ran: its first wait fails. */
	assert_int_equal(rt_task_spawn(&r, "ready", defer_then_park, &never),
	    0);
	assert_int_equal(rt_task_cancel(r), 0);
	assert_int_equal(rt_loop_run_until(t), -EAGAIN);	/* t parked */
	assert_int_equal(rt_task_status(r), -ECANCELED);
	assert_string_equal(order, "ba");
	/* Cancelled while waiting. */
	assert_int_equal(rt_task_cancel(t), 0);
	assert_int_equal(rt_loop_run_until(t), 0);
	assert_int_equal(rt_task_status(t), -ECANCELED);
	assert_string_equal(order, "baba");
	rt_task_release(t);
	rt_task_release(r);
}

/* ---- introspection -------------------------------------------------------- */

static char	*dump_buf;
static size_t	 dump_len;
static char	 foreach_names[256];
static int	 foreach_calls;
static size_t	 count_seen;

static void
collect_name(struct rt_task *t, void *arg)
{
	(void)arg;
	foreach_calls++;
	strncat(foreach_names, rt_task_name(t),
	    sizeof(foreach_names) - strlen(foreach_names) - 2);
	strcat(foreach_names, ",");
}

static int
await_it(void *arg)
{
	return rt_future_await(arg, NULL, RT_FOREVER);
}

static int
inspect(void *arg)
{
	struct rt_task *alpha, *beta, *gamma;
	struct rt_future never;
	double since;
	FILE *fp;

	(void)arg;
	rt_future_init(&never);
	TCHECK_INT(rt_task_spawn(&alpha, "alpha", rt_test_park, NULL), 0);
	TCHECK_INT(rt_task_spawn(&beta, "beta", await_it, &never), 0);
	TCHECK_INT(rt_sleep(0), 0);		/* they run and park */
	/* How long a task has waited: from the wait's start, on the loop's
	 * clock; 0 for one that is not waiting. */
	since = rt_task_waiting_since(alpha);
	TCHECK(since > 0 && since <= rt_loop_wall());
	TCHECK(rt_task_waiting_since(rt_task_current()) == 0);
	TCHECK_INT(rt_sleep(0.05), 0);
	TCHECK(rt_task_waiting_since(alpha) == since);
	TCHECK(rt_loop_wall() - since >= 0.04);
	TCHECK_INT(rt_task_spawn(&gamma, "gamma", rt_test_park, NULL), 0);
	TCHECK_INT(rt_task_cancel(gamma), 0);	/* ready, cancelling */
	TCHECK_INT(rt_task_state(alpha), RT_TASK_WAITING);
	TCHECK(strcmp(rt_task_waiting_on(alpha), "sleep") == 0);
	TCHECK(strcmp(rt_task_waiting_on(beta), "future") == 0);
	TCHECK(strcmp(rt_task_waiting_on(gamma), "") == 0);
	TCHECK(rt_task_waiting_since(gamma) == 0);

	count_seen = rt_task_count();
	foreach_names[0] = '\0';
	foreach_calls = 0;
	rt_task_foreach(collect_name, NULL);
	if ((fp = open_memstream(&dump_buf, &dump_len)) != NULL) {
		rt_task_dump(fp);
		(void)fclose(fp);
	}

	TCHECK_INT(rt_task_cancel(alpha), 0);
	TCHECK_INT(rt_task_cancel(beta), 0);
	TCHECK_INT(rt_gather((struct rt_task *[]){ alpha, beta, gamma }, 3,
	    RT_FOREVER), -ECANCELED);
	rt_task_release(alpha);
	rt_task_release(beta);
	rt_task_release(gamma);
	return 0;
}

/* The dump line naming task name, or fails the test. */
static const char *
dump_line(const char *name, char *line, size_t size)
{
	const char *p = dump_buf, *eol;

	while (p != NULL && *p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if ((size_t)(eol - p) < size) {
			memcpy(line, p, (size_t)(eol - p));
			line[eol - p] = '\0';
			if (strstr(line, name) != NULL)
				return line;
		}
		p = *eol != '\0' ? eol + 1 : NULL;
	}
	fail_msg("no dump line for %s in:\n%s", name, dump_buf);
	return NULL;
}

static void
test_task_foreach_count_and_dump_show_live_tasks(void **state)
{
	char line[256];

	(void)state;
	dump_buf = NULL;
	assert_int_equal(rt_test_run(inspect, NULL), 0);
	assert_int_equal(count_seen, 4);
	assert_int_equal(foreach_calls, 4);
	assert_non_null(strstr(foreach_names, "main,"));
	assert_non_null(strstr(foreach_names, "alpha,"));
	assert_non_null(strstr(foreach_names, "beta,"));
	assert_non_null(strstr(foreach_names, "gamma,"));

	assert_non_null(dump_buf);
	assert_non_null(strstr(dump_line("state", line, sizeof(line)), "name"));
	assert_non_null(strstr(dump_line("state", line, sizeof(line)),
	    "waited"));
	dump_line("alpha", line, sizeof(line));
	assert_non_null(strstr(line, "waiting"));
	assert_non_null(strstr(line, "sleep"));
	/* It waited through main's 0.05 s sleep. */
	assert_true(strstr(line, "   0.000  ") == NULL);
	assert_null(strstr(line, "cancelling"));
	dump_line("beta", line, sizeof(line));
	assert_non_null(strstr(line, "waiting"));
	assert_non_null(strstr(line, "future"));
	dump_line("gamma", line, sizeof(line));
	assert_non_null(strstr(line, "ready"));
	assert_non_null(strstr(line, "(cancelling)"));
	dump_line("main", line, sizeof(line));
	assert_non_null(strstr(line, "running"));
	free(dump_buf);
	dump_buf = NULL;
	/* Done tasks are not listed. */
	assert_int_equal(rt_task_count(), 0);
}

static void
test_task_state_names(void **state)
{
	(void)state;
	assert_string_equal(rt_task_state_name(RT_TASK_READY), "ready");
	assert_string_equal(rt_task_state_name(RT_TASK_RUNNING), "running");
	assert_string_equal(rt_task_state_name(RT_TASK_WAITING), "waiting");
	assert_string_equal(rt_task_state_name(RT_TASK_DONE), "done");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_task_spawn_names_and_numbers_tasks),
		RT_TEST(test_task_spawn_rejects_bad_arguments),
		RT_TEST(test_task_spawn_opts_sets_stack_size),
		RT_TEST(test_task_current_is_running_task),
		RT_TEST(test_task_join_returns_status_and_result),
		RT_TEST(test_task_result_and_waiting_on_start_empty_on_reused_stack),
		RT_TEST(test_task_join_outside_task_is_eperm),
		RT_TEST(test_task_join_timeout_leaves_task_running),
		RT_TEST(test_task_done_callbacks_run_in_registration_order),
		RT_TEST(test_task_release_in_own_done_callback_frees_stack),
		RT_TEST(test_task_detached_tasks_free_their_stacks),
		RT_TEST(test_task_handle_keeps_done_task_until_release),
		RT_TEST(test_task_defer_runs_lifo_at_task_end),
		RT_TEST(test_task_defer_runs_when_cancelled),
		RT_TEST(test_task_foreach_count_and_dump_show_live_tasks),
		RT_TEST(test_task_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
