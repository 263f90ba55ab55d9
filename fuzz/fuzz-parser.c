/*
 * fuzz-parser.c - libFuzzer target for src/http/parser.c.  Built as is it
 * fuzzes the request mode; fuzz-response.c includes it with FUZZ_RESPONSE
 * defined to fuzz the response mode (the client's) the same way, on its own
 * corpus: in that mode every input also ends with http_parser_eof() (the
 * server closed), a quarter of them answer HEAD, and the checks below hold
 * for the status line, the trailers and the body read until close too.
 *
 * Each input is parsed as a stream of pipelined requests (head, body, next)
 * twice: whole, and fed in pseudo-random pieces whose cut points come from a
 * hash of the input (so a crash reproduces from the file alone).  Every step
 * copies the bytes given so far into a buffer of exactly that size, so ASan
 * sees any read past what the parser was given.  Checked:
 *   - no crash, no sanitizer report;
 *   - the same transcript whole and split: each request's head fields, the
 *     body bytes (hashed as a stream, so chunk boundaries do not matter), and
 *     the final verdict;
 *   - every slice lies inside the bytes given, head slices inside the head;
 *   - an error state is absorbing: feed, body and next return it again.
 * Half the inputs (by hash) run with tiny limits so 413/414/431 paths run.
 *
 * Built with -DFUZZ_REPLAY it has a main() that runs every file of a corpus
 * directory (argv[1], or $top_srcdir/fuzz/corpus/parser or .../response)
 * through the same checks, for `make check` without clang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define MAX_STEPS	24
#define MAX_REQUESTS	64

#ifdef FUZZ_RESPONSE
#define FUZZ_NAME	"fuzz-response"
#define FUZZ_CORPUS	"response"
#else
#define FUZZ_NAME	"fuzz-parser"
#define FUZZ_CORPUS	"parser"
#endif

struct transcript {
	uint64_t	h;	/* FNV-1a over everything observed */
	int		verdict;
	unsigned	nreq;
};

static void
fail(const char *what, size_t size)
{
	fprintf(stderr, FUZZ_NAME ": invariant broken: %s (input %zu bytes)\n",
	    what, size);
	abort();
}

static void
mix(struct transcript *t, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		t->h ^= b[i];
		t->h *= 0x100000001b3ULL;
	}
}

static void
mix_u64(struct transcript *t, uint64_t v)
{
	mix(t, &v, sizeof(v));
}

static void
check_slice(struct http_slice s, size_t lo, size_t hi, size_t size)
{
	if (s.len == 0)
		return;		/* fields a request lacks are {0, 0} */
	if (s.off < lo || (size_t)s.off + s.len > hi)
		fail("slice outside its range", size);
}

static void
record_head(struct transcript *t, const struct http_parser *p, size_t len,
    size_t size)
{
	const struct http_request *r = &p->req;
	size_t lo = r->start, hi = (size_t)r->start + r->head_len;
	uint32_t i;

	if (hi > len || p->pos != hi)
		fail("head end outside the buffer", size);
	if (r->nheaders > p->lim.max_headers)
		fail("more headers than the limit", size);
	if (r->head_len > p->lim.max_head)
		fail("head over max_head", size);
	if (r->version != 10 && r->version != 11)
		fail("bad version", size);
	if (r->chunked && r->has_content_length)
		fail("chunked with Content-Length", size);
	check_slice(r->method, lo, hi, size);
	check_slice(r->target, lo, hi, size);
	check_slice(r->path, lo, hi, size);
	check_slice(r->query, lo, hi, size);
	check_slice(r->host, lo, hi, size);
	for (i = 0; i < r->nheaders; i++) {
		check_slice(r->headers[i].name, lo, hi, size);
		check_slice(r->headers[i].value, lo, hi, size);
	}
	if (r->ntrailers != 0)
		fail("trailers before the body", size);
#ifdef FUZZ_RESPONSE
	{
		const struct http_response *s = &p->resp;

		if (s->status < 100 || s->status > 599)
			fail("status code out of range", size);
		if (s->reason.off < lo || s->reason.off + s->reason.len > hi)
			fail("reason outside the head", size);
		if (r->method.len || r->target.len || r->host.len ||
		    r->expect_continue)
			fail("request fields in a response", size);
		if (s->no_body && (r->chunked || s->until_close))
			fail("a body framing for a bodiless response", size);
		if (s->until_close && (r->keep_alive || r->chunked ||
		    r->has_content_length))
			fail("until close with another framing", size);
		if (!s->no_body && r->has_content_length &&
		    r->content_length > p->lim.max_body)
			fail("Content-Length over the limit accepted", size);
		mix(t, s, sizeof(*s));
	}
#else
	if (r->has_content_length && r->content_length > p->lim.max_body)
		fail("Content-Length over the limit accepted", size);
#endif
	mix(t, r, offsetof(struct http_request, headers));
	mix_u64(t, (uint64_t)r->nheaders << 32 | r->start);
	mix_u64(t, (uint64_t)r->head_len << 8 | r->method_id);
	mix_u64(t, (uint64_t)r->target_form << 16 | (uint64_t)r->version << 8 |
	    (uint64_t)r->chunked << 3 | (uint64_t)r->keep_alive << 2 |
	    (uint64_t)r->expect_continue << 1 | r->has_content_length);
	mix(t, r->headers, r->nheaders * sizeof(r->headers[0]));
}

/*
 * Runs data[0..size) through the parser, revealing it at the lengths in
 * cuts[] (increasing, the last one size).
 */
/* Every trailer slice inside the body just finished, and hashed. */
static void
record_trailers(struct transcript *t, const struct http_parser *p, size_t len,
    size_t size)
{
	const struct http_request *r = &p->req;
	size_t lo = (size_t)r->start + r->head_len;
	uint32_t i;

	if (r->nheaders + r->ntrailers > p->lim.max_headers)
		fail("more fields than the limit", size);
	for (i = r->nheaders; i < r->nheaders + r->ntrailers; i++) {
		check_slice(r->headers[i].name, lo, len, size);
		check_slice(r->headers[i].value, lo, len, size);
		if (r->headers[i].name.len == 0)
			fail("empty trailer name", size);
	}
	mix_u64(t, r->ntrailers);
}

static void
run(const uint8_t *data, size_t size, const struct http_limits *lim,
    int method, const size_t *cuts, size_t ncuts, struct transcript *t)
{
	static struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	size_t step, len = 0;
	int in_body = 0, r = HTTP_AGAIN;
	char *buf;

#ifdef FUZZ_RESPONSE
	http_parser_init_response(&p, lim, hdrs);
	if (http_parser_set_method(&p, method) != 0)
		fail("set_method refused before any byte", size);
#else
	(void)method;
	http_parser_init(&p, lim, hdrs);
#endif
	t->h = 0xcbf29ce484222325ULL;
	t->nreq = 0;
	for (step = 0; step < ncuts; step++) {
		len = cuts[step];
		buf = malloc(len ? len : 1);
		if (buf == NULL)
			abort();
		memcpy(buf, data, len);
		for (;;) {
			if (!in_body) {
				r = http_parser_feed(&p, buf, len);
				if (r != HTTP_DONE)
					break;
				record_head(t, &p, len, size);
				in_body = 1;
			}
			r = http_parser_body(&p, buf, len, &d);
			check_slice(d, p.req.start + p.req.head_len, len, size);
			if (d.len > 0 && (size_t)d.off + d.len != p.pos)
				fail("body piece does not end at pos", size);
			mix(t, buf + d.off, d.len);
			if (r == HTTP_AGAIN && d.len > 0)
				continue;
			if (r != HTTP_DONE)
				break;
			record_trailers(t, &p, len, size);
			mix_u64(t, 0xb0d1);	/* body end marker */
			if (++t->nreq >= MAX_REQUESTS) {
				r = HTTP_DONE;
				break;
			}
			if (http_parser_next(&p) != 0)
				fail("next refused after a finished body", size);
			in_body = 0;
		}
		free(buf);
		if (r != HTTP_AGAIN)
			break;
	}
#ifdef FUZZ_RESPONSE
	/* The server closes after the last byte. */
	if (r == HTTP_AGAIN && len == size) {
		int until_close = in_body && p.resp.until_close;

		r = http_parser_eof(&p, len);
		if (until_close && r != HTTP_DONE)
			fail("eof did not end a body read until close", size);
		if (r == HTTP_DONE && in_body) {
			record_trailers(t, &p, len, size);
			mix_u64(t, 0xe0f);
		}
		if (r != HTTP_DONE && r != -ENODATA)
			fail("unexpected eof verdict", size);
		if (r == -ENODATA)
			r = HTTP_AGAIN;		/* cut short: as incomplete */
	}
#endif
	if (r > 0) {
		/* the error state is absorbing */
		if (http_parser_feed(&p, (const char *)data, size) != r ||
		    http_parser_body(&p, (const char *)data, size, &d) != r ||
		    http_parser_next(&p) != r)
			fail("error state not absorbing", size);
#ifdef FUZZ_RESPONSE
		if (r == 417)
			fail("417 for a response", size);
#endif
		if (r != 400 && r != 413 && r != 414 && r != 417 &&
		    r != 431 && r != 501 && r != 505)
			fail("unexpected status", size);
	} else if (r != HTTP_AGAIN && r != HTTP_DONE) {
		fail("unexpected return value", size);
	}
	t->verdict = r;
}

static uint64_t
fnv(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
check_input(const uint8_t *data, size_t size, uint64_t seed)
{
	static const struct http_limits tiny = {
		.max_line = 40, .max_head = 160, .max_headers = 4,
		.max_trailer = 24, .max_chunk_line = 12, .max_body = 24
	};
	struct transcript whole, split;
	size_t cuts[MAX_STEPS], n = 0, at = 0;
	const struct http_limits *lim = (seed & 1) ? &tiny : NULL;
	/* responses: a quarter answer HEAD, a few CONNECT */
	int method = (seed & 6) == 6 ? HTTP_M_HEAD :
	    (seed & 0x1e) == 0x10 ? HTTP_M_CONNECT : HTTP_M_GET;
	uint64_t x = seed | 1;

	cuts[0] = size;
	run(data, size, lim, method, cuts, 1, &whole);

	/* xorshift64: cuts mostly near each other, sometimes single bytes */
	while (n < MAX_STEPS - 1 && at < size) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		at += (x & 3) == 0 ? 1 : 1 + (size_t)((x >> 8) % (size / 4 + 2));
		if (at >= size)
			break;
		cuts[n++] = at;
	}
	cuts[n++] = size;
	run(data, size, lim, method, cuts, n, &split);

	if (whole.verdict != split.verdict)
		fail("whole and split verdicts differ", size);
	if (whole.h != split.h || whole.nreq != split.nreq)
		fail("whole and split transcripts differ", size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = fnv(data, size);

	check_input(data, size, h);
	check_input(data, size, h >> 1);	/* the other limits */
	return 0;
}

#ifdef FUZZ_REPLAY
#include <dirent.h>

int
main(int argc, char **argv)
{
	char dir[4096], path[8192];
	const char *top = getenv("top_srcdir");
	struct dirent *de;
	unsigned nfiles = 0;
	uint8_t *data;
	size_t size;
	FILE *f;
	DIR *d;
	uint64_t s;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/fuzz/corpus/" FUZZ_CORPUS,
		    top != NULL ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL) {
			perror(path);
			return 1;
		}
		data = malloc(1 << 20);
		if (data == NULL)
			return 1;
		size = fread(data, 1, 1 << 20, f);
		(void)fclose(f);	/* read-only: nothing to lose */
		LLVMFuzzerTestOneInput(data, size);
		/* and a few more cut patterns than the fuzzer's two */
		for (s = 2; s < 34; s++)
			check_input(data, size, fnv(data, size) * s + s);
		free(data);
		nfiles++;
	}
	(void)closedir(d);
	printf(FUZZ_NAME " replay: %u corpus files checked\n", nfiles);
	if (nfiles < 30) {
		fprintf(stderr, FUZZ_NAME " replay: only %u files in %s\n",
		    nfiles, dir);
		return 1;
	}
	return 0;
}
#endif
