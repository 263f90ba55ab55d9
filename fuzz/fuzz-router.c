/*
 * fuzz-router.c - libFuzzer target for what a handler's accessors decode
 * from a request target (src/http/router.c): the path matched against
 * routes with parameters, each parameter percent-decoded, and the query
 * split into decoded pairs.
 *
 * The input's first byte picks the method; the rest is a target, cut at
 * its first '?' into the path and the query.  Checked:
 *   - a match is one of the four answers; for 0, every parameter is a
 *     slice of the path, decodes without error to at most its raw length,
 *     with no NUL inside, and a {name} has no raw '/'; for 405, Allow is a
 *     NUL-terminated, non-empty list;
 *   - the query decodes into a buffer of exactly http_query_size() bytes
 *     (so ASan sees a byte written past it), never -ENOSPC, and every key
 *     and value lies inside it.
 *
 * Built with -DFUZZ_REPLAY it has a main() that runs every file of a corpus
 * directory (argv[1], or $top_srcdir/fuzz/corpus/router) through the same
 * checks, for `make check` without clang.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "router.h"

#define QUERY_MAX	256	/* as HTTP_QUERY_MAX of <asyncd/http.h> */

static void
fail(const char *what, size_t size)
{
	fprintf(stderr, "fuzz-router: invariant broken: %s (input %zu bytes)\n",
	    what, size);
	abort();
}

static struct http_router	router;

static void
router_setup(void)
{
	static const struct { const char *method, *pattern; } routes[] = {
		{ "GET", "/" },
		{ "GET", "/hello/{name}" },
		{ "POST", "/hello/{name}" },
		{ NULL, "/any/{a}/{b}" },
		{ "GET", "/a/{x}/b/{rest...}" },
		{ "GET", "/files/{path...}" },
		{ "PUT", "/caf\xc3\xa9/{id}" },
		{ "GET", "/x-y/{id}" },
	};
	static int done;
	char err[256];
	size_t i;

	if (done)
		return;
	http_router_init(&router);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (http_router_add(&router, routes[i].method,
		    routes[i].pattern, NULL, NULL, 0, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz-router: %s: %s\n",
			    routes[i].pattern, err);
			abort();
		}
	done = 1;
}

static void
check_match(const char *path, size_t len, int method, size_t size)
{
	static const struct { const char *name; int id; } methods[] = {
		{ "GET", HTTP_M_GET }, { "POST", HTTP_M_POST },
		{ "PUT", HTTP_M_PUT }, { "HEAD", HTTP_M_HEAD },
		{ "BREW", HTTP_M_OTHER },
	};
	const char *mname = methods[method % 5].name;
	struct http_router_match m;
	const struct http_seg *seg;
	char *buf;
	ssize_t n;
	size_t i;
	int rc;

	rc = http_router_match(&router, mname, strlen(mname),
	    methods[method % 5].id, path, len, &m);
	if (rc == 405 && (memchr(m.allow, '\0', sizeof(m.allow)) == NULL ||
	    m.allow[0] == '\0'))
		fail("405 with a bad Allow", size);
	if (rc != 0) {
		if (rc != 400 && rc != 404 && rc != 405)
			fail("an answer that is not 0, 400, 404 or 405", size);
		return;
	}
	for (i = 0; i < m.entry->nparam; i++) {
		if ((size_t)m.param_off[i] + m.param_len[i] > len)
			fail("a parameter outside the path", size);
		seg = &m.entry->segs[m.entry->param_seg[i]];
		if (seg->kind == HTTP_SEG_PARAM && memchr(path +
		    m.param_off[i], '/', m.param_len[i]) != NULL)
			fail("a {name} holding a '/'", size);
		if ((buf = malloc(m.param_len[i] + 1)) == NULL)
			return;
		n = http_router_decode(buf, m.param_len[i] + 1, path +
		    m.param_off[i], m.param_len[i], 0);
		if (n < 0)
			fail("a matched parameter that does not decode", size);
		if ((size_t)n > m.param_len[i] || strlen(buf) != (size_t)n)
			fail("a decoded parameter too long or with a NUL",
			    size);
		free(buf);
	}
}

static void
check_query(const char *q, size_t size)
{
	const char **keys, **vals;
	size_t cap, npairs, i;
	char *dst;
	ssize_t n;

	cap = http_query_size(q, &npairs);
	if (npairs > QUERY_MAX)
		npairs = QUERY_MAX;
	dst = malloc(cap);
	keys = malloc((npairs + 1) * sizeof(*keys));
	vals = malloc((npairs + 1) * sizeof(*vals));
	if (dst == NULL || keys == NULL || vals == NULL)
		goto out;
	n = http_query_decode(q, dst, cap, keys, vals, npairs);
	if (n == -ENOSPC)
		fail("the query's size was not enough", size);
	if (n < 0 && n != -E2BIG && n != -EBADMSG)
		fail("an unexpected error", size);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (keys[i] < dst || keys[i] + strlen(keys[i]) >= dst + cap ||
		    vals[i] < dst || vals[i] + strlen(vals[i]) >= dst + cap)
			fail("a pair outside the buffer", size);
out:
	free(dst);
	free(keys);
	free(vals);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t, *qm;
	size_t len, plen;
	char *q;

	if (size < 1)
		return 0;
	router_setup();
	t = (const char *)data + 1;
	len = size - 1;
	qm = memchr(t, '?', len);
	plen = qm != NULL ? (size_t)(qm - t) : len;
	check_match(t, plen, data[0], size);
	if (qm == NULL)
		return 0;
	/* The server hands the query NUL-terminated (a NUL inside was 400
	 * at the parser): the same here, cut at any NUL. */
	if ((q = malloc(len - plen)) == NULL)
		return 0;
	memcpy(q, qm + 1, len - plen - 1);
	q[len - plen - 1] = '\0';
	check_query(q, size);
	free(q);
	return 0;
}

#ifdef FUZZ_REPLAY
#include <dirent.h>

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096], path[8192];
	struct dirent *de;
	size_t n, files = 0;
	uint8_t *in;
	FILE *fp;
	DIR *d;

	if (argc > 1)
		(void)snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		(void)snprintf(dir, sizeof(dir), "%s/fuzz/corpus/router",
		    top != NULL ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "rb")) == NULL) {
			perror(path);
			return 1;
		}
		/* Exactly the file's bytes, so ASan sees a read past them. */
		if ((in = malloc(1 << 16)) == NULL)
			return 1;
		n = fread(in, 1, 1 << 16, fp);
		(void)fclose(fp);	/* read-only: nothing to lose */
		if ((in = realloc(in, n ? n : 1)) == NULL)
			return 1;
		(void)LLVMFuzzerTestOneInput(in, n);
		free(in);
		files++;
	}
	(void)closedir(d);
	http_router_free(&router);
	printf("fuzz-router: %zu inputs replayed\n", files);
	return files > 0 ? 0 : 1;
}
#endif
