/*
 * echo.c - an example app module that reads request bodies: echoed whole,
 * transformed, or streamed both ways.
 *
 *	POST /         the body back, whole, with the request's Content-Type
 *	POST /form     an application/x-www-form-urlencoded body as a JSON
 *	               object of its pairs ({"a": "1", "b": "x y"})
 *	POST /stream   the body back as it arrives, chunked: a piece read,
 *	               a piece written, so memory stays one buffer whatever
 *	               the size (the app's body setting bounds it: 100 MiB
 *	               uploads in the tests)
 *	GET  /         405 for anything but POST, like every route here
 *
 * Mounted anywhere (the routes are under the mount), with no settings:
 *
 *	apps = ( { module = "echo"; mount = "/echo"; body = 104857600; } );
 *
 * A body over the limit is 413 (http_req_body returns -EFBIG, which the
 * server turns into 413); a client that goes away mid-stream ends the
 * handler with the write's error, and the connection is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asyncd/asyncd.h>

#define ECHO_PIECE	(64 * 1024)

static int
echo_whole(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const char *body, *type;
	size_t len;
	int err;

	(void)arg;
	if ((err = http_req_body(rq, &body, &len)) != 0)
		return err;
	type = http_req_header(rq, "Content-Type");
	if (type != NULL && (err = http_resp_header(rs, "Content-Type",
	    type)) != 0)
		return 400;
	return http_resp_send(rs, body, len);
}

/* Appends s as a JSON string ("...", escaped) at *o of out (cap bytes). */
static int
json_string(char *out, size_t cap, size_t *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (*o + 1 >= cap)
		return -ENOSPC;
	out[(*o)++] = '"';
	for (; *p != '\0'; p++) {
		if (*o + 7 >= cap)
			return -ENOSPC;
		if (*p == '"' || *p == '\\') {
			out[(*o)++] = '\\';
			out[(*o)++] = (char)*p;
		} else if (*p < 0x20) {
			memcpy(out + *o, "\\u00", 4);
			out[*o + 4] = hex[*p >> 4];
			out[*o + 5] = hex[*p & 15];
			*o += 6;
		} else
			out[(*o)++] = (char)*p;
	}
	out[(*o)++] = '"';
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s in place by the form rules ('+' is a space, %XX a byte);
 * -1 for a bad escape or one of a NUL. */
static int
form_decode(char *s)
{
	char *d = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*d++ = ' ';
		else if (*s != '%')
			*d++ = *s;
		else if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0 ||
		    (hi | lo) == 0)
			return -1;
		else {
			*d++ = (char)(hi << 4 | lo);
			s += 2;
		}
	}
	*d = '\0';
	return 0;
}

/*
 * An application/x-www-form-urlencoded body as a JSON object of its pairs,
 * in order (a repeated key is repeated).  The body is read whole (up to
 * the app's limit), so its copy and the output are allocated to its size.
 */
static int
echo_form(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const char *body;
	size_t len, o = 0, cap;
	char *out, *copy, *pair, *next, *eq;
	int err, first = 1;

	(void)arg;
	if ((err = http_req_body(rq, &body, &len)) != 0)
		return err;
	/* Every byte may become a 6-byte escape, plus the punctuation. */
	cap = len * 6 + 64;
	copy = malloc(len + 1);
	out = malloc(cap);
	if (copy == NULL || out == NULL) {
		free(copy);
		free(out);
		return -ENOMEM;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	out[o++] = '{';
	for (pair = copy; pair != NULL && *pair != '\0'; pair = next) {
		if ((next = strchr(pair, '&')) != NULL)
			*next++ = '\0';
		if (*pair == '\0')
			continue;		/* "a=1&&b=2" */
		if ((eq = strchr(pair, '=')) != NULL)
			*eq++ = '\0';
		if (form_decode(pair) != 0 || (eq != NULL &&
		    form_decode(eq) != 0)) {
			free(copy);
			free(out);
			return 400;
		}
		if (!first) {
			out[o++] = ',';
			out[o++] = ' ';
		}
		first = 0;
		/* Cannot run out: cap covers the worst case. */
		(void)json_string(out, cap, &o, pair);
		out[o++] = ':';
		out[o++] = ' ';
		(void)json_string(out, cap, &o, eq != NULL ? eq : "");
	}
	out[o++] = '}';
	out[o++] = '\n';
	(void)http_resp_header(rs, "Content-Type", "application/json");
	err = http_resp_send(rs, out, o);
	free(copy);
	free(out);
	return err;
}

static int
echo_stream(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const char *type = http_req_header(rq, "Content-Type");
	char *buf;
	ssize_t n;
	int err = 0;

	(void)arg;
	if ((buf = malloc(ECHO_PIECE)) == NULL)
		return -ENOMEM;
	if (type != NULL)
		(void)http_resp_header(rs, "Content-Type", type);
	/* The length is unknown until the end: chunked. */
	while ((n = http_req_read(rq, buf, ECHO_PIECE)) > 0)
		if ((err = http_resp_write(rs, buf, (size_t)n)) != 0)
			break;
	free(buf);
	if (n < 0)
		return (int)n;
	if (err != 0)
		return err;
	return http_resp_finish(rs);
}

static int
echo_configure(struct http_app *app, const struct asyncd_settings *s)
{
	(void)s;
	if (http_app_route(app, "POST", "/", echo_whole, NULL, NULL) != 0 ||
	    http_app_route(app, "POST", "/form", echo_form, NULL, NULL) != 0 ||
	    http_app_route(app, "POST", "/stream", echo_stream, NULL, NULL) !=
	    0)
		return -1;
	return 0;
}

ASYNCD_MODULE = {
	.abi = ASYNCD_ABI_VERSION,
	.size = sizeof(struct asyncd_module),
	.name = "echo",
	.version = ASYNCD_VERSION_STRING,
	.configure = echo_configure,
};
