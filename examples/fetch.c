/*
 * fetch.c - GET several URLs at once with the HTTP client and gather the
 * bodies.
 *
 * The seed's Python ("multi url", aiohttp):
 *
 *	async def fetch(url):
 *	    async with ClientSession() as session:
 *	        async with session.get(url) as response:
 *	            return await response.read()
 *
 *	async def run(loop,  r):
 *	    url = "http://baidu.com/{}"
 *	    tasks = []
 *	    for i in range(r):
 *	        task = asyncio.ensure_future(fetch(url.format(i)))
 *	        tasks.append(task)
 *	    responses = await asyncio.gather(*tasks)
 *	    # you now have all response bodies in this variable: because of await
 *	    print(responses)
 *
 *	loop = asyncio.get_event_loop()
 *	future = asyncio.ensure_future(run(loop, 4))
 *	loop.run_until_complete(future)
 *
 * Usage: fetch URL...  Each URL gets its own task and its own client (the
 * seed's session per fetch); run() gathers them and then prints, in the
 * order given, "URL: STATUS, N bytes" or "URL: error: REASON".  The bodies
 * stay in the clients' buffers until the end, as they stay in responses.
 * The exit status is 1 if any fetch failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <asyncd/rt.h>
#include <asyncd/http.h>
#include "example.h"

struct fetch_job {
	const char			*url;
	struct http_client		 client;
	struct http_client_response	 resp;
};

static int
fetch(void *arg)
{
	struct fetch_job *j = arg;
	int err;

	if ((err = http_client_init(&j->client, NULL)) != 0)
		return err;
	http_client_response_init(&j->resp, NULL, 0);
	return http_client_get(&j->client, j->url, &j->resp);
}

struct run_args {
	struct fetch_job	*jobs;
	size_t			 n;
};

static int
run(void *arg)
{
	struct run_args *ra = arg;
	struct rt_task **tasks;
	size_t i, spawned;
	int err = 0;

	if ((tasks = calloc(ra->n, sizeof(*tasks))) == NULL)
		return -ENOMEM;
	for (spawned = 0; spawned < ra->n; spawned++)
		if ((err = rt_task_spawn(&tasks[spawned], "fetch", fetch,
		    &ra->jobs[spawned])) != 0)
			break;
	/* Per-task statuses are read below: gather's own is the first. */
	(void)rt_gather(tasks, spawned, RT_FOREVER);
	for (i = 0; i < spawned; i++) {
		struct fetch_job *j = &ra->jobs[i];
		int st = rt_task_status(tasks[i]);

		if (st == 0)
			printf("%s: %d, %zu bytes\n", j->url, j->resp.status,
			    j->resp.body_len);
		else {
			printf("%s: error: %s\n", j->url, rt_strerror(st));
			err = err != 0 ? err : st;
		}
		rt_task_release(tasks[i]);
	}
	free(tasks);
	return err;
}

int
main(int argc, char **argv)
{
	struct run_args ra;
	struct rt_task *t;
	size_t i;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: fetch URL...\n");
		return EXIT_FAILURE;
	}
	ra.n = (size_t)argc - 1;
	if ((ra.jobs = calloc(ra.n, sizeof(*ra.jobs))) == NULL)
		ex_die("calloc", -ENOMEM, __FILE__, __LINE__);
	for (i = 0; i < ra.n; i++)
		ra.jobs[i].url = argv[i + 1];
	EX_CHECK(rt_loop_init(NULL));
	EX_CHECK(rt_task_spawn(&t, "run", run, &ra));
	EX_CHECK(rt_loop_run_until(t));
	status = rt_task_status(t);
	rt_task_release(t);
	for (i = 0; i < ra.n; i++)
		http_client_close(&ra.jobs[i].client);
	rt_loop_close();
	free(ra.jobs);
	if (ex_finish() != EXIT_SUCCESS || status != 0)
		return EXIT_FAILURE;
	return EXIT_SUCCESS;
}
