/*
 * app.c - the seed app's handlers as pure functions: a matched route in,
 * a response body out.  No I/O, no allocation; the simulated wait
 * (route->delay) is the caller's to await.
 *
 * Everything taken from the request is HTML-escaped before it reaches an
 * HTML body (DESIGN.md §4): & < > " ' become entities, so a name cannot
 * open a tag or leave an attribute value.  Other bytes, UTF-8 included,
 * pass through unchanged.  The body's length is computed before anything
 * is written: on -ENOSPC buf is untouched.
 */
#include <errno.h>
#include <string.h>

#include "http.h"

#define APP_HTML	"text/html; charset=utf-8"
#define APP_TEXT	"text/plain; charset=utf-8"

#define APP_INDEX	"<h1>Index</h1>"
#define APP_HELLO_PRE	"<h1>hello, "
#define APP_HELLO_POST	"!</h1>"
#define APP_HEALTHZ	"ok"

/* The entity for each byte HTML needs escaped, NULL for the others. */
static const char *const app_entity[256] = {
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
};

static size_t
app_escaped_len(const char *s, size_t n)
{
	size_t i, len = n;

	for (i = 0; i < n; i++)
		if (app_entity[(unsigned char)s[i]] != NULL)
			len += strlen(app_entity[(unsigned char)s[i]]) - 1;
	return len;
}

/* Writes s escaped at out; returns the end.  Room was checked. */
static char *
app_escape(char *out, const char *s, size_t n)
{
	const char *ent;
	size_t i, elen;

	for (i = 0; i < n; i++) {
		ent = app_entity[(unsigned char)s[i]];
		if (ent == NULL) {
			*out++ = s[i];
			continue;
		}
		elen = strlen(ent);
		memcpy(out, ent, elen);
		out += elen;
	}
	return out;
}

static ssize_t
app_literal(char *buf, size_t cap, const char *body, size_t len)
{
	if (len > cap)
		return -ENOSPC;
	memcpy(buf, body, len);
	return (ssize_t)len;
}

ssize_t
http_app_body(const struct http_match *m, char *buf, size_t cap,
    const char **ctype)
{
	const size_t pre = sizeof(APP_HELLO_PRE) - 1;
	const size_t post = sizeof(APP_HELLO_POST) - 1;
	const char *type;
	ssize_t len;
	char *p;

	if (m == NULL || m->route == NULL)
		return -EINVAL;
	switch (m->route->handler) {
	case HTTP_HANDLER_INDEX:
		type = APP_HTML;
		len = app_literal(buf, cap, APP_INDEX, sizeof(APP_INDEX) - 1);
		break;
	case HTTP_HANDLER_HEALTHZ:
		type = APP_TEXT;
		len = app_literal(buf, cap, APP_HEALTHZ,
		    sizeof(APP_HEALTHZ) - 1);
		break;
	case HTTP_HANDLER_HELLO:
		type = APP_HTML;
		/* param_len < HTTP_PARAM_MAX: no overflow here. */
		len = (ssize_t)(pre + app_escaped_len(m->param, m->param_len) +
		    post);
		if ((size_t)len > cap)
			return -ENOSPC;
		memcpy(buf, APP_HELLO_PRE, pre);
		p = app_escape(buf + pre, m->param, m->param_len);
		memcpy(p, APP_HELLO_POST, post);
		break;
	default:
		return -EINVAL;
	}
	if (len >= 0 && ctype != NULL)
		*ctype = type;
	return len;
}
