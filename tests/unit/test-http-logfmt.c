/*
 * test-http-logfmt.c - src/http/logfmt.c, the access log's line.
 *
 * Every line is formatted into a heap buffer of exactly the capacity
 * given, followed by a guard of sentinel bytes in the same allocation, so
 * a write past the capacity fails the test in any build (and is an ASan
 * report in the sanitizer one).  Each line is then parsed back: one line,
 * printable ASCII only, every field at most HTTP_LOGFMT_FIELD_MAX bytes,
 * "..." exactly when the input did not fit, and the field unescaped is a
 * prefix of (or equal to) what the client sent.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "logfmt.h"

#define GUARD		64
#define SENTINEL	0x5a

/* 2026-11-27 05:40:00 UTC */
#define WHEN		((time_t)1795758000)
#define STAMP		"27/Nov/2026:05:40:00 +0000"

static struct sockaddr_storage peer4;
static struct http_logfmt combined;

/* The combined format's record, as the tests below write it. */
struct rec {
	const struct sockaddr_storage *peer;
	time_t		 when;
	const char	*reqline;
	size_t		 reqlen;
	int		 status;
	size_t		 bytes;
	const char	*referer;
	size_t		 reflen;
	const char	*agent;
	size_t		 agentlen;
};

static void
peers_init(void)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer4;

	memset(&peer4, 0, sizeof(peer4));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr), 1);
}

/* Formats r into a buffer of cap bytes with a guard behind it; the line
 * (NUL-terminated copy, caller frees) or NULL if it did not fit. */
static char *
format(const struct rec *r, size_t cap, size_t *lenp)
{
	unsigned char *buf = malloc(cap + GUARD);
	struct http_logfmt_rec lr;
	char *line = NULL;
	size_t n, i;

	assert_non_null(buf);
	memset(buf, SENTINEL, cap + GUARD);
	memset(&lr, 0, sizeof(lr));
	lr.peer = r->peer;
	lr.when = r->when;
	lr.request.p = r->reqline;
	lr.request.len = r->reqlen;
	lr.status = r->status;
	lr.body_bytes = r->bytes;
	lr.hdr[0].p = r->referer;	/* the combined format's headers, */
	lr.hdr[0].len = r->reflen;	/* in its order */
	lr.hdr[1].p = r->agent;
	lr.hdr[1].len = r->agentlen;
	n = http_logfmt_line((char *)buf, cap, &combined, &lr);
	for (i = cap; i < cap + GUARD; i++)
		if (buf[i] != SENTINEL)
			fail_msg("byte %zu past a capacity of %zu written", i - cap,
			    cap);
	assert_true(n <= cap);
	if (n > 0) {
		line = malloc(n + 1);
		assert_non_null(line);
		memcpy(line, buf, n);
		line[n] = '\0';
	}
	free(buf);
	*lenp = n;
	return line;
}

/* Undoes the \xHH escapes of field[0, len) into out; its length. */
static size_t
unescape(const char *field, size_t len, unsigned char *out)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < len; i++) {
		if (field[i] == '\\') {
			assert_true(i + 3 < len);
			assert_int_equal(field[i + 1], 'x');
			assert_int_equal(sscanf(field + i + 2, "%2x", &v), 1);
			out[o++] = (unsigned char)v;
			i += 3;
		} else
			out[o++] = (unsigned char)field[i];
	}
	return o;
}

/*
 * Checks one quoted field starting at *p (just after its opening quote)
 * against what the client sent; moves *p past the closing quote.
 */
static void
check_field(const char **p, const unsigned char *sent, size_t sent_len)
{
	const char *f = *p, *end = strchr(f, '"');
	unsigned char *plain;
	size_t flen, plen, cut;

	assert_non_null(end);
	flen = (size_t)(end - f);
	*p = end + 1;
	if (sent_len == 0) {
		assert_int_equal(flen, 1);
		assert_int_equal(f[0], '-');
		return;
	}
	if (flen > HTTP_LOGFMT_FIELD_MAX)
		fail_msg("a field of %zu bytes (the maximum is %d)", flen,
		    HTTP_LOGFMT_FIELD_MAX);
	cut = flen >= 3 && memcmp(end - 3, "...", 3) == 0 &&
	    (flen < 4 || end[-4] != '\\');
	plain = malloc(flen + 1);
	assert_non_null(plain);
	plen = unescape(f, cut ? flen - 3 : flen, plain);
	if (cut) {
		/* Cut: a proper prefix, and cut only when it had to be. */
		assert_true(plen < sent_len);
		assert_memory_equal(plain, sent, plen);
	} else {
		assert_int_equal(plen, sent_len);
		assert_memory_equal(plain, sent, plen);
	}
	free(plain);
}

/* The whole line: printable, one newline at the end, and each part. */
static void
check_line(const char *line, size_t len, const struct rec *r,
    const char *addr)
{
	const char *p;
	char expect[128];
	size_t i;

	assert_true(len > 0 && line[len - 1] == '\n');
	for (i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e)
			fail_msg("byte 0x%02x at %zu of the line",
			    (unsigned char)line[i], i);
	(void)snprintf(expect, sizeof(expect), "%s - - [" STAMP "] \"", addr);
	assert_memory_equal(line, expect, strlen(expect));
	p = line + strlen(expect);
	check_field(&p, (const unsigned char *)r->reqline, r->reqlen);
	(void)snprintf(expect, sizeof(expect), " %d %zu \"", r->status,
	    r->bytes);
	assert_memory_equal(p, expect, strlen(expect));
	p += strlen(expect);
	check_field(&p, (const unsigned char *)r->referer, r->reflen);
	assert_memory_equal(p, " \"", 2);
	p += 2;
	check_field(&p, (const unsigned char *)r->agent, r->agentlen);
	assert_string_equal(p, "\n");
}

static void
test_combined_line_is_exact(void **state)
{
	static const char req[] = "GET /hello/x HTTP/1.1";
	struct rec r = {
		.peer = &peer4, .when = WHEN, .reqline = req,
		.reqlen = sizeof(req) - 1, .status = 200, .bytes = 14,
		.agent = "curl/8", .agentlen = 6,
	};
	char *line;
	size_t len;

	(void)state;
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
	assert_non_null(line);
	assert_string_equal(line, "127.0.0.1 - - [" STAMP "] \"GET /hello/x "
	    "HTTP/1.1\" 200 14 \"-\" \"curl/8\"\n");
	free(line);
}

static void
test_client_bytes_are_escaped(void **state)
{
	static const char ua[] = "a\"b\\c\r\nd\x1b[31m\x7f\xff";
	struct rec r = {
		.peer = &peer4, .when = WHEN, .reqline = "GET / HTTP/1.1",
		.reqlen = 14, .status = 400, .bytes = 0, .agent = ua,
		.agentlen = sizeof(ua) - 1,
	};
	char *line;
	size_t len;

	(void)state;
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"a\\x22b\\x5cc\\x0d\\x0ad\\x1b[31m"
	    "\\x7f\\xff\"\n"));
	check_line(line, len, &r, "127.0.0.1");
	free(line);
}

/*
 * The issue's reproduction ("abc" then 300 bytes 0xff in User-Agent), and
 * every length around the field's limit, in all three fields, with plain
 * bytes, escaped ones, and a mix that puts an escape across the limit.
 */
static void
test_fields_are_cut_within_their_limit(void **state)
{
	unsigned char *in = malloc(2 * HTTP_LOGFMT_FIELD_MAX);
	struct rec r;
	size_t len, n, k, i;
	int kind, which;
	char *line;

	(void)state;
	assert_non_null(in);
	for (kind = 0; kind < 4; kind++) {
		for (i = 0; i < 2 * HTTP_LOGFMT_FIELD_MAX; i++)
			in[i] = kind == 0 ? 'a' : kind == 1 ? 0xff :
			    kind == 2 ? (i % 3 == 0 ? '"' : 'b') :
			    (i < 3 ? (unsigned char)"abc"[i] : 0xff);
		for (n = 0; n < 2 * HTTP_LOGFMT_FIELD_MAX; n += n < 240 ||
		    (n > 990 && n < 1040) ? 1 : 37) {
			for (which = 0; which < 3; which++) {
				memset(&r, 0, sizeof(r));
				r.peer = &peer4;
				r.when = WHEN;
				r.status = 200;
				if (which == 0) {
					r.reqline = (const char *)in;
					r.reqlen = n;
				} else if (which == 1) {
					r.referer = (const char *)in;
					r.reflen = n;
				} else {
					r.agent = (const char *)in;
					r.agentlen = n;
				}
				line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
				if (line == NULL)
					fail_msg("kind %d, %zu bytes: no line",
					    kind, n);
				check_line(line, len, &r, "127.0.0.1");
				free(line);
			}
		}
	}
	/* All three at their worst at once still fit the maximum. */
	for (k = 0; k < 2 * HTTP_LOGFMT_FIELD_MAX; k++)
		in[k] = 0xff;
	memset(&r, 0, sizeof(r));
	r.peer = &peer4;
	r.when = WHEN;
	r.status = -1;
	r.bytes = (size_t)-1;
	r.reqline = r.referer = r.agent = (const char *)in;
	r.reqlen = r.reflen = r.agentlen = 2 * HTTP_LOGFMT_FIELD_MAX;
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
	assert_non_null(line);
	assert_true(len <= HTTP_LOGFMT_LINE_MAX);
	free(line);
	free(in);
}

/* Every capacity below the line's length: nothing, and no byte past it. */
static void
test_short_capacity_writes_nothing_past_it(void **state)
{
	static const char ua[] = "agent\xff\xfe";
	struct rec r = {
		.peer = &peer4, .when = WHEN, .reqline = "GET / HTTP/1.1",
		.reqlen = 14, .status = 200, .bytes = 146, .agent = ua,
		.agentlen = sizeof(ua) - 1,
	};
	size_t full, cap, len;
	char *line;

	(void)state;
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &full);
	assert_non_null(line);
	free(line);
	for (cap = 0; cap < full; cap++) {
		line = format(&r, cap, &len);
		assert_null(line);
		assert_int_equal(len, 0);
	}
	line = format(&r, full, &len);
	assert_non_null(line);
	assert_int_equal(len, full);
	free(line);
}

static void
test_peer_addresses(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct rec r = {
		.peer = &ss, .when = WHEN, .status = 200,
	};
	char *line;
	size_t len;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::1", &sin6->sin6_addr), 1);
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
	assert_non_null(line);
	check_line(line, len, &r, "::1");
	free(line);

	ss.ss_family = AF_UNIX;		/* no address to show */
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
	assert_non_null(line);
	check_line(line, len, &r, "-");
	free(line);

	r.peer = NULL;
	line = format(&r, HTTP_LOGFMT_LINE_MAX, &len);
	assert_non_null(line);
	check_line(line, len, &r, "-");
	free(line);
}

/* A record with every variable's value set, for the templates below. */
static void
full_rec(struct http_logfmt_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->peer = &peer4;
	r->when = WHEN;
	r->request.p = "GET /a?b HTTP/1.1";
	r->request.len = 17;
	r->status = 404;
	r->body_bytes = 14;
	r->bytes = 160;
	r->request_time = 1.2345;
	r->worker = 3;
	r->id[0] = 0x0123456789abcdefULL;
	r->id[1] = 42;
}

static char *
line_of(const struct http_logfmt *f, const struct http_logfmt_rec *r)
{
	char buf[HTTP_LOGFMT_LINE_MAX];
	size_t n = http_logfmt_line(buf, sizeof(buf), f, r);
	char *line;

	assert_true(n > 0 && n <= f->line_max);
	line = malloc(n + 1);
	assert_non_null(line);
	memcpy(line, buf, n);
	line[n] = '\0';
	return line;
}

static void
test_template_variables(void **state)
{
	struct http_logfmt f;
	struct http_logfmt_rec r;
	char err[256], *line;
	const char *name;
	size_t len;

	(void)state;
	assert_int_equal(http_logfmt_compile(&f, "$time_iso8601 ${status}x "
	    "$body_bytes_sent/$bytes_sent $request_time w$worker "
	    "$request_id [$http_x_forwarded_for] [$http_X_Forwarded_For] "
	    "$request $remote_addr", HTTP_LOGFMT_ESC_DEFAULT, err,
	    sizeof(err)), 0);
	/* $http_x_forwarded_for names X-Forwarded-For (nginx's rule), and
	 * the two spellings share one captured header. */
	assert_int_equal(f.nhdrs, 1);
	name = http_logfmt_hdr(&f, 0, &len);
	assert_int_equal(len, 15);
	assert_memory_equal(name, "x-forwarded-for", 15);
	assert_true(f.uses & HTTP_LOGFMT_USES_REQUEST);
	assert_true(f.uses & HTTP_LOGFMT_USES_REQUEST_ID);
	full_rec(&r);
	r.hdr[0].p = "10.0.0.1";
	r.hdr[0].len = 8;
	line = line_of(&f, &r);
	assert_string_equal(line, "2026-11-27T05:40:00+00:00 404x 14/160 "
	    "1.235 w3 0123456789abcdef000000000000002a [10.0.0.1] [10.0.0.1] "
	    "GET /a?b HTTP/1.1 127.0.0.1\n");
	free(line);

	/* A format without $request gathers none. */
	assert_int_equal(http_logfmt_compile(&f, "$status",
	    HTTP_LOGFMT_ESC_DEFAULT, err, sizeof(err)), 0);
	assert_int_equal(f.uses, 0);
	assert_int_equal(f.line_max, 11 + 1);
}

static void
test_template_errors(void **state)
{
	static const struct {
		const char *tpl, *err;
	} bad[] = {
		{ "$nosuch", "unknown variable $nosuch" },
		{ "a $ b", "'$' at offset 2 starts no variable name" },
		{ "${status", "'$' at offset 0 starts no variable name" },
		{ "$http_", "unknown variable $http_" },
		{ "$http_a $http_b $http_c $http_d $http_e $http_f $http_g "
		  "$http_h $http_i", "$http_i: more than 8 headers" },
		{ "$request $request $request $request $request $request "
		  "$request $request $request $request $request $request "
		  "$request $request $request $request $request $request "
		  "$request $request $request $request $request $request "
		  "$request $request $request $request $request $request "
		  "$request $request", "a line could be" },
	};
	struct http_logfmt f;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(http_logfmt_compile(&f, bad[i].tpl,
		    HTTP_LOGFMT_ESC_DEFAULT, err, sizeof(err)), -1);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("\"%s\": \"%s\", not \"%s\"", bad[i].tpl, err,
			    bad[i].err);
	}
	/* The presets compile, within the line maximum. */
	assert_int_equal(http_logfmt_compile(&f, HTTP_LOGFMT_JSON,
	    HTTP_LOGFMT_ESC_JSON, err, sizeof(err)), 0);
	assert_true(f.line_max <= HTTP_LOGFMT_LINE_MAX);
	assert_true(combined.line_max <= HTTP_LOGFMT_LINE_MAX);
}

static void
test_json_line_is_exact_and_escaped(void **state)
{
	static const char ua[] = "a\"b\\c\r\n\x1b\x7f\xff\xc3\xa9";
	struct http_logfmt f;
	struct http_logfmt_rec r;
	char err[256], *line;
	size_t i;

	(void)state;
	assert_int_equal(http_logfmt_compile(&f, HTTP_LOGFMT_JSON,
	    HTTP_LOGFMT_ESC_JSON, err, sizeof(err)), 0);
	full_rec(&r);
	r.hdr[1].p = ua;	/* User-Agent; Referer absent */
	r.hdr[1].len = sizeof(ua) - 1;
	line = line_of(&f, &r);
	assert_string_equal(line, "{\"time\":\"2026-11-27T05:40:00+00:00\","
	    "\"remote_addr\":\"127.0.0.1\",\"request\":\"GET /a?b HTTP/1.1\","
	    "\"status\":404,\"body_bytes_sent\":14,\"bytes_sent\":160,"
	    "\"request_time\":1.235,\"referer\":\"\",\"user_agent\":"
	    "\"a\\\"b\\\\c\\u000d\\u000a\\u001b\\u007f\\u00ff\\u00c3\\u00a9\","
	    "\"worker\":3,\"request_id\":\"0123456789abcdef000000000000002a\"}"
	    "\n");
	free(line);

	/* A value cut at the field's limit still closes its string. */
	r.request.p = ua;
	r.request.len = sizeof(ua) - 1;
	r.request.cut = 1;
	line = line_of(&f, &r);
	assert_non_null(strstr(line, "\\u00a9...\","));
	for (i = 0; line[i] != '\n'; i++)
		assert_true(line[i] >= 0x20 && line[i] < 0x7f);
	free(line);
}

static void
test_request_time_rounds_to_ms(void **state)
{
	static const struct {
		double t;
		const char *s;
	} cases[] = {
		{ 0, "0.000" }, { -1, "0.000" }, { 0.0004, "0.000" },
		{ 0.0005, "0.001" }, { 0.999, "0.999" }, { 0.9996, "1.000" },
		{ 12.3456, "12.346" }, { 1e300, "1000000000000.000" },
	};
	struct http_logfmt f;
	struct http_logfmt_rec r;
	char expect[64], *line;
	size_t i;

	(void)state;
	assert_int_equal(http_logfmt_compile(&f, "$request_time",
	    HTTP_LOGFMT_ESC_DEFAULT, NULL, 0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		full_rec(&r);
		r.request_time = cases[i].t;
		line = line_of(&f, &r);
		(void)snprintf(expect, sizeof(expect), "%s\n", cases[i].s);
		assert_string_equal(line, expect);
		free(line);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_combined_line_is_exact),
		cmocka_unit_test(test_client_bytes_are_escaped),
		cmocka_unit_test(test_fields_are_cut_within_their_limit),
		cmocka_unit_test(test_short_capacity_writes_nothing_past_it),
		cmocka_unit_test(test_peer_addresses),
		cmocka_unit_test(test_template_variables),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_json_line_is_exact_and_escaped),
		cmocka_unit_test(test_request_time_rounds_to_ms),
	};

	peers_init();
	if (http_logfmt_compile(&combined, HTTP_LOGFMT_COMBINED,
	    HTTP_LOGFMT_ESC_DEFAULT, NULL, 0) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
