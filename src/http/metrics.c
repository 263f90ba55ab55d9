/*
 * metrics.c - what the server counts (struct http_stats, server.h): the
 * increments the connection code makes per request, and the sums and
 * names the daemon's stats pages need.
 *
 * Counting is on the hot path, so it is plain increments into the server's
 * struct: the worker has one loop and one thread, nothing to lock; the
 * duration histogram is a fixed array of buckets, found by at most
 * HTTP_STATS_BOUNDS comparisons (one for the usual sub-5 ms request).
 * Nothing here allocates, waits or calls the kernel (rt_loop_time() reads
 * the monotonic clock through the vDSO).
 */
#include "config.h"

#include "http-int.h"

const char *const http_stats_method_names[HTTP_SM_COUNT] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "OTHER"
};

const char *const http_stats_perr_names[HTTP_PERR_COUNT] = {
	"malformed", "body_too_large", "uri_too_long", "expectation",
	"header_too_large", "not_implemented", "version", "proxy"
};

const char *const http_stats_timeout_names[HTTP_TMO_COUNT] = {
	"header", "body", "keepalive", "send", "handler"
};

/* The Prometheus client libraries' default buckets: from a cache hit to a
 * slow upstream, in the 1-2.5-5 steps operators read easily. */
const double http_stats_bounds[HTTP_STATS_BOUNDS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

_Static_assert(sizeof(struct http_stats) % sizeof(uint64_t) == 0,
    "struct http_stats is uint64_t only");

void
http_stats_add(struct http_stats *dst, const struct http_stats *src)
{
	uint64_t *d = (uint64_t *)(void *)dst;
	const uint64_t *s = (const uint64_t *)(const void *)src;
	size_t i, n = offsetof(struct http_stats, open) / sizeof(uint64_t);

	/* Every field before the gauges is a counter. */
	for (i = 0; i < n; i++)
		d[i] += s[i];
}

uint64_t
http_stats_requests(const struct http_stats *st)
{
	uint64_t n = 0;
	int m, c;

	for (m = 0; m < HTTP_SM_COUNT; m++)
		for (c = 0; c < HTTP_STATS_CLASSES; c++)
			n += st->requests[m][c];
	return n;
}

uint64_t
http_stats_errors(const struct http_stats *st)
{
	uint64_t n = 0;
	int m;

	for (m = 0; m < HTTP_SM_COUNT; m++)
		n += st->requests[m][3] + st->requests[m][4];
	return n;
}

void
http__stats_request(struct http_server *s, int method_id, int status)
{
	static const unsigned char row[] = {
		[HTTP_M_OTHER] = HTTP_SM_OTHER,
		[HTTP_M_GET] = HTTP_SM_GET,
		[HTTP_M_HEAD] = HTTP_SM_HEAD,
		[HTTP_M_POST] = HTTP_SM_POST,
		[HTTP_M_PUT] = HTTP_SM_PUT,
		[HTTP_M_DELETE] = HTTP_SM_DELETE,
		[HTTP_M_OPTIONS] = HTTP_SM_OPTIONS,
		[HTTP_M_CONNECT] = HTTP_SM_OTHER,
		[HTTP_M_TRACE] = HTTP_SM_OTHER,
		[HTTP_M_PATCH] = HTTP_SM_PATCH
	};
	unsigned m = (unsigned)method_id < sizeof(row) ? row[method_id] :
	    HTTP_SM_OTHER;
	int c = status / 100 - 1;

	if (c < 0 || c >= HTTP_STATS_CLASSES)
		c = 4;		/* not a status: counted as the server's fault */
	s->st.requests[m][c]++;
}

void
http__stats_duration(struct http_server *s, double seconds)
{
	int i = 0;

	if (seconds < 0)
		seconds = 0;
	while (i < HTTP_STATS_BOUNDS && seconds > http_stats_bounds[i])
		i++;
	s->st.duration[i]++;
	s->st.duration_us += (uint64_t)(seconds * 1e6);
}

void
http__stats_parse_error(struct http_server *s, int status)
{
	int k;

	switch (status) {
	case 413:
		k = HTTP_PERR_BODY_TOO_LARGE;
		break;
	case 414:
		k = HTTP_PERR_URI_TOO_LONG;
		break;
	case 417:
		k = HTTP_PERR_EXPECTATION;
		break;
	case 431:
		k = HTTP_PERR_HEADER_TOO_LARGE;
		break;
	case 501:
		k = HTTP_PERR_NOT_IMPLEMENTED;
		break;
	case 505:
		k = HTTP_PERR_VERSION;
		break;
	default:
		k = HTTP_PERR_MALFORMED;
		break;
	}
	s->st.parse_errors[k]++;
}
