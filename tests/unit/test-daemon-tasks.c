/*
 * test-daemon-tasks.c - src/daemon/tasks.c, a worker's live tasks listed
 * for /debug/tasks: counts by state, the longest waits first, names
 * escaped, at most TASKS_SHOWN_MAX entries, whole entries within the
 * capacity given.
 */
#include "config.h"

#include "rt-test.h"

#include "tasks.h"

#define MANY	(TASKS_SHOWN_MAX + 50)

static char	 out[256 * 1024];
static ssize_t	 outlen;

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)) != NULL; s++)
		n++;
	return n;
}

static void
spawn_parked(struct rt_task **t, const char *name)
{
	TCHECK_INT(rt_task_spawn(t, name, rt_test_park, NULL), 0);
}

static void
cancel_all(struct rt_task **t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)rt_task_cancel(t[i]);
	TCHECK_INT(rt_gather(t, n, RT_FOREVER), -ECANCELED);
	for (i = 0; i < n; i++)
		rt_task_release(t[i]);
}

static struct tasks_opts
opts(int format)
{
	struct tasks_opts o = { .format = format, .slot = 3, .pid = 4242,
	    .now = rt_loop_wall() };

	return o;
}

static int
two_tasks(void *arg)
{
	struct rt_task *t[2];
	struct tasks_opts o;
	const char *old, *young;

	(void)arg;
	spawn_parked(&t[0], "old");
	TCHECK_INT(rt_sleep(0.03), 0);	/* "old" has waited 30 ms */
	spawn_parked(&t[1], "young \"q\"\001\\");
	TCHECK_INT(rt_sleep(0), 0);	/* and "young" a moment */

	o = opts(TASKS_JSON);
	outlen = tasks_format(out, sizeof(out), &o);
	TCHECK(outlen > 0);
	out[outlen > 0 ? outlen : 0] = '\0';
	TCHECK(strncmp(out, "{\"worker\": 3, \"pid\": 4242, \"tasks\": 3, "
	    "\"ready\": 0, \"running\": 1, \"waiting\": 2, \"shown\": [", 86)
	    == 0);
	old = strstr(out, "\"name\": \"old\", \"state\": \"waiting\", "
	    "\"awaits\": \"sleep\", \"waited\": 0.0");
	young = strstr(out, "\"name\": \"young \\\"q\\\"\\u0001\\\\\"");
	TCHECK(old != NULL && young != NULL && old < young);
	TCHECK(strstr(out, "\"name\": \"main\", \"state\": \"running\", "
	    "\"awaits\": \"\", \"waited\": 0.000, \"cancelling\": false}") !=
	    NULL);
	TCHECK(strcmp(out + outlen - 13, "], \"more\": 0}") == 0);

	o = opts(TASKS_TEXT);
	outlen = tasks_format(out, sizeof(out), &o);
	TCHECK(outlen > 0);
	out[outlen > 0 ? outlen : 0] = '\0';
	TCHECK(strncmp(out, "worker 3 (pid 4242): 3 tasks, 0 ready, 1 "
	    "running, 2 waiting; the longest waits first:\n", 83) == 0);
	old = strstr(out, "waiting");
	TCHECK(old != NULL && strstr(old, "sleep         old\n") != NULL);
	young = strstr(out, "young \\x22q\\x22\\x01\\x5c\n");
	TCHECK(young != NULL && young > strstr(out, " old\n"));
	TCHECK(count(out, "\n") == 5);
	cancel_all(t, 2);
	return 0;
}

static void
test_tasks_listed_longest_wait_first_and_escaped(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(two_tasks, NULL), 0);
}

static int
many_tasks(void *arg)
{
	static struct rt_task *t[MANY];
	struct tasks_opts o;
	size_t i, cap;
	char name[32];

	(void)arg;
	for (i = 0; i < MANY; i++) {
		(void)snprintf(name, sizeof(name), "t%zu", i);
		spawn_parked(&t[i], name);
	}
	TCHECK_INT(rt_sleep(0), 0);

	/* At most TASKS_SHOWN_MAX entries; the rest counted. */
	o = opts(TASKS_JSON);
	outlen = tasks_format(out, sizeof(out), &o);
	TCHECK(outlen > 0);
	out[outlen > 0 ? outlen : 0] = '\0';
	TCHECK(count(out, "{\"id\": ") == TASKS_SHOWN_MAX);
	TCHECK(strstr(out, "\"tasks\": 151,") != NULL);
	TCHECK(strstr(out, "], \"more\": 51}") != NULL);
	o = opts(TASKS_TEXT);
	outlen = tasks_format(out, sizeof(out), &o);
	TCHECK(outlen > 0);
	out[outlen > 0 ? outlen : 0] = '\0';
	TCHECK(strstr(out, "  ... and 51 more\n") != NULL);

	/* Every capacity: whole entries only, within it, closed. */
	o = opts(TASKS_JSON);
	for (cap = 0; cap < 2000; cap += 7) {
		memset(out, 'Z', cap + 64);
		outlen = tasks_format(out, cap, &o);
		if (outlen < 0) {
			TCHECK(outlen == -ENOSPC && cap < 200);
			continue;
		}
		TCHECK((size_t)outlen <= cap && out[cap] == 'Z');
		out[outlen] = '\0';
		TCHECK(strncmp(out + outlen - 1, "}", 1) == 0);
		TCHECK(count(out, "{\"id\": ") + strtoul(strstr(out,
		    "\"more\": ") + 8, NULL, 10) == MANY + 1);
	}
	cancel_all(t, MANY);
	return 0;
}

static void
test_tasks_bounded_in_count_and_size(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(many_tasks, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_tasks_listed_longest_wait_first_and_escaped),
		RT_TEST(test_tasks_bounded_in_count_and_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
