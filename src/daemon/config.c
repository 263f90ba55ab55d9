/*
 * config.c - the configuration file: libconfig syntax in, a validated
 * struct asyncd_conf out.
 *
 * libconfig parses (syntax errors and duplicate names are its own, reported
 * with its file and line); this file then walks EVERY setting of the tree,
 * not only the ones it looks up, so that a misspelt name is an error instead
 * of a silently ignored line.  Each group has a list of known names; each
 * name has one type and one range, checked here and nowhere else, and the
 * message says where (config_setting_source_line) and what was found:
 *
 *	asyncd.conf:12: timeouts.keepalive: must be a number between 0.001
 *	and 86400, not "fast"
 *
 * libconfig never reads a file: conftext.c reads the file and its
 * @includes (libconfig 1.5 exits on an @include of a directory and blocks
 * on a FIFO), and libconfig parses the one string that makes; the text's
 * line map turns every line number back into the FILE:LINE it came from.
 *
 * One more libconfig 1.5 trap is closed before the walk: an integer literal
 * past 32 bits without the L suffix is silently wrapped (body = 5000000000
 * reads as 705032704).  conf_scan() lexes the text for such literals and
 * rejects them, so no out-of-range value can wrap into range.
 *
 * Nothing here touches the network, the log files or the pid file:
 * conf_load() is what `asyncd -t` runs, and it can run as any user.  It
 * does read the user and group databases (getpwnam, getgrnam): a `user`
 * that does not exist is a config error with its line, not a failure of
 * the master after the workers are forked.
 */
#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* Ranges of the settings (conf/asyncd.conf says why each one). */
#define CONF_MAX_CONNECTIONS_MAX	1000000
#define CONF_REQUEST_LINE_MIN		256
#define CONF_REQUEST_LINE_MAX		65535
#define CONF_HEADER_SIZE_MIN		1024
#define CONF_HEADER_SIZE_MAX		(1024 * 1024)
#define CONF_HEADER_COUNT_MAX		1000
#define CONF_BODY_MAX			(1024 * 1024 * 1024)	/* 1 GiB */
#define CONF_TIMEOUT_MIN		0.001
#define CONF_TIMEOUT_MAX		86400.0
#define CONF_DELAY_MAX			3600.0
#define CONF_MASTER_TIMEOUT_MIN		0.1	/* heartbeat, ready */
#define CONF_MASTER_TIMEOUT_MAX		3600.0
#define CONF_INCLUDE_DEPTH		10	/* libconfig's own limit */

/* A load in progress: where errors go. */
struct conf_ctx {
	struct asyncd_conf	*conf;
	const char		*path;
	const struct conf_text	*text;		/* what libconfig parsed */
	char			*err;
	size_t			 errlen;
	gid_t			 user_gid;	/* the user's primary group */
	const config_setting_t	*stats_s[2];	/* stats.path, .metrics */
};

typedef int (*conf_set_fn)(struct conf_ctx *, const config_setting_t *);

static int	conf_set_listen(struct conf_ctx *, const config_setting_t *);
static int	conf_set_workers(struct conf_ctx *, const config_setting_t *);
static int	conf_set_max_connections(struct conf_ctx *,
		    const config_setting_t *);
static int	conf_set_limits(struct conf_ctx *, const config_setting_t *);
static int	conf_set_timeouts(struct conf_ctx *, const config_setting_t *);
static int	conf_set_log(struct conf_ctx *, const config_setting_t *);
static int	conf_set_routes(struct conf_ctx *, const config_setting_t *);
static int	conf_set_server_name(struct conf_ctx *,
		    const config_setting_t *);
static int	conf_set_reuseport(struct conf_ctx *,
		    const config_setting_t *);
static int	conf_set_user(struct conf_ctx *, const config_setting_t *);
static int	conf_set_group(struct conf_ctx *, const config_setting_t *);
static int	conf_set_pid_file(struct conf_ctx *, const config_setting_t *);
static int	conf_set_stats(struct conf_ctx *, const config_setting_t *);

/* The root's settings, in the order conf_dump() prints them. */
static const char *const conf_root_names[] = {
	"listen", "workers", "reuseport", "user", "group", "pid_file",
	"max_connections", "limits", "timeouts", "log", "stats", "routes",
	"server_name", NULL
};
static const conf_set_fn conf_root_fns[] = {
	conf_set_listen, conf_set_workers, conf_set_reuseport, conf_set_user,
	conf_set_group, conf_set_pid_file, conf_set_max_connections,
	conf_set_limits, conf_set_timeouts, conf_set_log, conf_set_stats,
	conf_set_routes, conf_set_server_name
};

static const char *const conf_limits_names[] = {
	"request_line", "header_size", "header_count", "body", NULL
};
static const char *const conf_timeouts_names[] = {
	"header", "body", "keepalive", "send", "shutdown", "heartbeat",
	"ready", NULL
};
static const char *const conf_log_names[] = {
	"error", "level", "access", NULL
};
static const char *const conf_route_names[] = {
	"path", "handler", "delay", NULL
};
static const char *const conf_stats_names[] = {
	"path", "metrics", NULL
};

/* ---- error messages ------------------------------------------------------ */

/* The setting's name as a user reads it: "timeouts.keepalive", "listen[1]",
 * "routes[0].path". */
static void
conf_name(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	const char *name = config_setting_name(s);
	size_t n;

	buf[0] = '\0';
	if (parent == NULL)
		return;
	conf_name(parent, buf, len);
	n = strlen(buf);
	if (name == NULL)
		(void)snprintf(buf + n, len - n, "[%d]", config_setting_index(s));
	else
		(void)snprintf(buf + n, len - n, "%s%s", n ? "." : "", name);
}

/* A value as a user wrote it, for "..., not VALUE". */
static void
conf_value(const config_setting_t *s, char *buf, size_t len)
{
	const char *str = NULL;
	size_t i, o;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		(void)snprintf(buf, len, "%lld",
		    (long long)config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		(void)snprintf(buf, len, "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		(void)snprintf(buf, len, "%s",
		    config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_STRING:
		/* Quoted, control bytes escaped, long strings cut: the message
		 * must stay one readable line. */
		str = config_setting_get_string(s);
		o = 0;
		buf[o++] = '"';
		for (i = 0; str[i] != '\0' && o + 8 < len; i++) {
			unsigned char c = (unsigned char)str[i];

			if (i == 60) {
				o += (size_t)snprintf(buf + o, len - o, "...");
				break;
			}
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				o += (size_t)snprintf(buf + o, len - o,
				    "\\x%02x", c);
			else
				buf[o++] = (char)c;
		}
		buf[o++] = '"';
		buf[o] = '\0';
		break;
	case CONFIG_TYPE_GROUP:
		(void)snprintf(buf, len, "a group");
		break;
	case CONFIG_TYPE_ARRAY:
		(void)snprintf(buf, len, "an array");
		break;
	case CONFIG_TYPE_LIST:
		(void)snprintf(buf, len, "a list");
		break;
	default:
		(void)snprintf(buf, len, "?");
		break;
	}
}

/*
 * Sets the error "FILE:LINE: NAME: message" for setting s and returns -1.
 * Elements libconfig gives no line (0) borrow their parent's.  The line is
 * libconfig's: that of the token after the value, which is the value's own
 * line unless the value ends a line inside [ ] or ( ).
 */
static int __attribute__((format(printf, 3, 4)))
conf_fail(struct conf_ctx *x, const config_setting_t *s, const char *fmt,
    ...)
{
	const config_setting_t *at;
	const char *fname = x->path;
	char name[256];
	unsigned line = 0;
	size_t n;
	va_list ap;

	for (at = s; at != NULL; at = config_setting_parent(at))
		if ((line = config_setting_source_line(at)) != 0)
			break;
	if (line != 0)
		fname = conf_text_where(x->text, line, &line);
	conf_name(s, name, sizeof(name));
	if (line != 0)
		n = (size_t)snprintf(x->err, x->errlen, "%s:%u: ", fname, line);
	else
		n = (size_t)snprintf(x->err, x->errlen, "%s: ", fname);
	if (n < x->errlen && name[0] != '\0')
		n += (size_t)snprintf(x->err + n, x->errlen - n, "%s: ", name);
	if (n < x->errlen) {
		va_start(ap, fmt);
		(void)vsnprintf(x->err + n, x->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Levenshtein distance, for "did you mean"; names are short. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * The index of s's name in names (NULL-terminated), or -1 with the error
 * "unknown setting", suggesting the closest known name.
 */
static int
conf_lookup(struct conf_ctx *x, const config_setting_t *s,
    const char *const *names)
{
	const char *name = config_setting_name(s), *best = NULL;
	size_t d, bestd = 3;		/* up to two typos */
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(name, names[i]) == 0)
			return i;
		d = conf_distance(name, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	if (best != NULL)
		return conf_fail(x, s, "unknown setting (did you mean \"%s\"?)",
		    best);
	return conf_fail(x, s, "unknown setting");
}

/* ---- typed values --------------------------------------------------------- */

static int
conf_int(struct conf_ctx *x, const config_setting_t *s, long long lo,
    long long hi, long long *out)
{
	char v[128];
	long long n;
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		n = config_setting_get_int64(s);
		if (n >= lo && n <= hi) {
			*out = n;
			return 0;
		}
	}
	conf_value(s, v, sizeof(v));
	return conf_fail(x, s, "must be an integer between %lld and %lld, "
	    "not %s", lo, hi, v);
}

static int
conf_number(struct conf_ctx *x, const config_setting_t *s, double lo,
    double hi, double *out)
{
	char v[128];
	double d;
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
	    t == CONFIG_TYPE_FLOAT) {
		d = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) :
		    (double)config_setting_get_int64(s);
		if (isfinite(d) && d >= lo && d <= hi) {
			*out = d;
			return 0;
		}
	}
	conf_value(s, v, sizeof(v));
	return conf_fail(x, s, "must be a number between %g and %g, not %s",
	    lo, hi, v);
}

static int
conf_string(struct conf_ctx *x, const config_setting_t *s, const char *what,
    const char **out)
{
	char v[128];

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		*out = config_setting_get_string(s);
		return 0;
	}
	conf_value(s, v, sizeof(v));
	return conf_fail(x, s, "must be %s, not %s", what, v);
}

static int
conf_bool(struct conf_ctx *x, const config_setting_t *s, int *out)
{
	char v[128];

	if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
		*out = config_setting_get_bool(s) ? 1 : 0;
		return 0;
	}
	conf_value(s, v, sizeof(v));
	return conf_fail(x, s, "must be true or false, not %s", v);
}

/* Replaces *dst by a copy of src (NULL stays NULL). */
static int
conf_strset(struct conf_ctx *x, const config_setting_t *s, char **dst,
    const char *src)
{
	char *copy = NULL;

	if (src != NULL && (copy = strdup(src)) == NULL)
		return conf_fail(x, s, "out of memory");
	free(*dst);
	*dst = copy;
	return 0;
}

/* A group's children are walked by the caller; this checks the type. */
static int
conf_group(struct conf_ctx *x, const config_setting_t *s, const char *what)
{
	char v[128];

	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		return 0;
	conf_value(s, v, sizeof(v));
	return conf_fail(x, s, "must be a group { %s }, not %s", what, v);
}

/* ---- listen --------------------------------------------------------------- */

/*
 * Parses "ADDR:PORT" (dotted IPv4, "[IPv6]" or "*", then a decimal port
 * 0..65535) into l, canonical.  0, or -1 with the reason in why.  Numeric
 * only: a name would make -t depend on DNS, and bind whichever address the
 * resolver said first.
 */
static int
conf_parse_listen(const char *s, struct conf_listen *l, char *why,
    size_t whylen)
{
	const char *colon, *p;
	char host[CONF_HOST_MAX], canon[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	size_t hlen;
	unsigned long port;

	if (s[0] == '[') {
		p = strchr(s, ']');
		if (p == NULL || p[1] != ':') {
			(void)snprintf(why, whylen, "expected \"[IPv6]:PORT\"");
			return -1;
		}
		colon = p + 1;
		hlen = (size_t)(p - s - 1);
		if (hlen == 0 || hlen >= sizeof(host)) {
			(void)snprintf(why, whylen, "bad IPv6 address");
			return -1;
		}
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1 ||
		    inet_ntop(AF_INET6, bin, canon, sizeof(canon)) == NULL) {
			(void)snprintf(why, whylen, "bad IPv6 address");
			return -1;
		}
		(void)snprintf(l->host, sizeof(l->host), "[%s]", canon);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			(void)snprintf(why, whylen,
			    "expected \"ADDR:PORT\" (no port)");
			return -1;
		}
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host)) {
			(void)snprintf(why, whylen, "expected \"ADDR:PORT\"");
			return -1;
		}
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (strcmp(host, "*") == 0)
			(void)snprintf(l->host, sizeof(l->host), "*");
		else if (strchr(host, ':') != NULL) {
			(void)snprintf(why, whylen,
			    "an IPv6 address goes in brackets: \"[%s]:PORT\"",
			    host);
			return -1;
		} else if (inet_pton(AF_INET, host, bin) != 1 ||
		    inet_ntop(AF_INET, bin, canon, sizeof(canon)) == NULL) {
			(void)snprintf(why, whylen, "ADDR must be an IPv4 "
			    "address, \"[IPv6]\" or \"*\"");
			return -1;
		} else
			(void)snprintf(l->host, sizeof(l->host), "%s", canon);
	}
	p = colon + 1;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p) ||
	    strlen(p) > 5 || (port = strtoul(p, NULL, 10)) > 65535) {
		(void)snprintf(why, whylen,
		    "PORT must be a number between 0 and 65535");
		return -1;
	}
	l->port = (unsigned)port;
	(void)snprintf(l->addr, sizeof(l->addr), "%s:%u", l->host, l->port);
	return 0;
}

/* "*" binds 0.0.0.0 (rt_server_listen): the same address twice. */
static const char *
conf_listen_key(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 ? "*" : host;
}

static int
conf_set_listen(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const config_setting_t *e;
	struct conf_listen l;
	const char *str = NULL;
	char v[128], why[128];
	int i, j, n, t = config_setting_type(s);

	if (t == CONFIG_TYPE_STRING)
		n = 1;
	else if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
		n = config_setting_length(s);
	else {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be a list of \"ADDR:PORT\" "
		    "strings, not %s", v);
	}
	if (n == 0)
		return conf_fail(x, s, "needs at least one \"ADDR:PORT\"");
	if (n > CONF_LISTEN_MAX)
		return conf_fail(x, s, "at most %d addresses, not %d",
		    CONF_LISTEN_MAX, n);
	for (i = 0; i < n; i++) {
		e = t == CONFIG_TYPE_STRING ? s : config_setting_get_elem(s,
		    (unsigned)i);
		if (conf_string(x, e, "a string \"ADDR:PORT\"", &str) == -1)
			return -1;
		memset(&l, 0, sizeof(l));
		if (conf_parse_listen(str, &l, why, sizeof(why)) == -1) {
			conf_value(e, v, sizeof(v));
			return conf_fail(x, e, "%s: %s", v, why);
		}
		/* Binding the same address twice would only fail later, with
		 * EADDRINUSE and no line number. */
		for (j = 0; j < i; j++)
			if (l.port != 0 && l.port == c->listen[j].port &&
			    strcmp(conf_listen_key(c->listen[j].host),
			    conf_listen_key(l.host)) == 0)
				return conf_fail(x, e, "\"%s\" is listed twice",
				    l.addr);
		c->listen[i] = l;
	}
	c->nlisten = (size_t)n;
	return 0;
}

/* ---- scalars at the root -------------------------------------------------- */

static int
conf_set_workers(struct conf_ctx *x, const config_setting_t *s)
{
	char v[128];
	long long n;
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_STRING &&
	    strcmp(config_setting_get_string(s), "auto") == 0) {
		x->conf->workers = CONF_WORKERS_AUTO;
		return 0;
	}
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		n = config_setting_get_int64(s);
		if (n >= 1 && n <= CONF_WORKERS_MAX) {
			x->conf->workers = (int)n;
			return 0;
		}
	}
	conf_value(s, v, sizeof(v));
	return conf_fail(x, s, "must be an integer between 1 and %d or "
	    "\"auto\", not %s", CONF_WORKERS_MAX, v);
}

static int
conf_set_max_connections(struct conf_ctx *x, const config_setting_t *s)
{
	long long n;

	if (conf_int(x, s, 1, CONF_MAX_CONNECTIONS_MAX, &n) == -1)
		return -1;
	x->conf->max_connections = (size_t)n;
	return 0;
}

static int
conf_set_server_name(struct conf_ctx *x, const config_setting_t *s)
{
	const char *str = NULL;
	char v[128];
	size_t i, len;

	if (conf_string(x, s, "a string", &str) == -1)
		return -1;
	/* It goes out verbatim in the Server: header field. */
	len = strlen(str);
	for (i = 0; i < len; i++)
		if (str[i] < 0x20 || str[i] > 0x7e)
			break;
	if (len == 0 || len > CONF_SERVER_NAME_MAX || i < len ||
	    str[0] == ' ' || str[len - 1] == ' ') {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be 1 to %d printable ASCII "
		    "characters, not %s", CONF_SERVER_NAME_MAX, v);
	}
	return conf_strset(x, s, &x->conf->server_name, str);
}

static int
conf_set_reuseport(struct conf_ctx *x, const config_setting_t *s)
{
	return conf_bool(x, s, &x->conf->reuseport);
}

/* The errors getpwnam(3) and getgrnam(3) list; any other errno with NULL
 * (ENOENT, ESRCH, EBADF, EPERM, 0, depending on the NSS module) means the
 * name is not there. */
static int
conf_nss_error(int err)
{
	return err == EINTR || err == EIO || err == EMFILE || err == ENFILE ||
	    err == ENOMEM || err == ERANGE;
}

/* A name from the user database, resolved now; "" keeps the user. */
static int
conf_set_user(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const struct passwd *pw;
	const char *str = NULL;
	char v[128];

	if (conf_string(x, s, "a user name or \"\"", &str) == -1)
		return -1;
	if (str[0] == '\0') {
		c->have_uid = 0;
		return conf_strset(x, s, &c->user, NULL);
	}
	errno = 0;
	if ((pw = getpwnam(str)) == NULL) {
		conf_value(s, v, sizeof(v));
		if (conf_nss_error(errno))
			return conf_fail(x, s, "cannot look up the user %s: %s",
			    v, strerror(errno));
		return conf_fail(x, s, "unknown user %s", v);
	}
	c->uid = pw->pw_uid;
	c->have_uid = 1;
	x->user_gid = pw->pw_gid;
	return conf_strset(x, s, &c->user, str);
}

/* A name from the group database, resolved now; "" keeps the group (or
 * takes the user's primary group: conf_load()). */
static int
conf_set_group(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const struct group *gr;
	const char *str = NULL;
	char v[128];

	if (conf_string(x, s, "a group name or \"\"", &str) == -1)
		return -1;
	if (str[0] == '\0') {
		c->have_gid = 0;
		return conf_strset(x, s, &c->group, NULL);
	}
	errno = 0;
	if ((gr = getgrnam(str)) == NULL) {
		conf_value(s, v, sizeof(v));
		if (conf_nss_error(errno))
			return conf_fail(x, s, "cannot look up the group %s: "
			    "%s", v, strerror(errno));
		return conf_fail(x, s, "unknown group %s", v);
	}
	c->gid = gr->gr_gid;
	c->have_gid = 1;
	return conf_strset(x, s, &c->group, str);
}

/* ---- groups --------------------------------------------------------------- */

static int
conf_set_limits(struct conf_ctx *x, const config_setting_t *g)
{
	struct http_limits *lim = &x->conf->limits;
	const config_setting_t *s, *line_s = NULL, *head_s = NULL;
	long long n;
	int i, k;

	if (conf_group(x, g, "request_line; header_size; header_count; "
	    "body;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_limits_names)) == -1)
			return -1;
		switch (k) {
		case 0:
			if (conf_int(x, s, CONF_REQUEST_LINE_MIN,
			    CONF_REQUEST_LINE_MAX, &n) == -1)
				return -1;
			lim->max_line = (uint32_t)n;
			line_s = s;
			break;
		case 1:
			if (conf_int(x, s, CONF_HEADER_SIZE_MIN,
			    CONF_HEADER_SIZE_MAX, &n) == -1)
				return -1;
			lim->max_head = (uint32_t)n;
			head_s = s;
			break;
		case 2:
			if (conf_int(x, s, 1, CONF_HEADER_COUNT_MAX, &n) == -1)
				return -1;
			lim->max_headers = (uint32_t)n;
			break;
		default:
			if (conf_int(x, s, 0, CONF_BODY_MAX, &n) == -1)
				return -1;
			lim->max_body = (uint64_t)n;
			break;
		}
	}
	/* The head holds the request line and its CRLF, and ends in a blank
	 * line: a head limit below line + 4 makes the line limit a lie. */
	if (lim->max_head < lim->max_line + 4) {
		if (head_s != NULL)
			return conf_fail(x, head_s, "must be at least "
			    "request_line + 4 (%u), not %u",
			    lim->max_line + 4, lim->max_head);
		return conf_fail(x, line_s != NULL ? line_s : g, "%u needs a "
		    "header_size of at least %u, and header_size is %u",
		    lim->max_line, lim->max_line + 4, lim->max_head);
	}
	return 0;
}

static int
conf_set_timeouts(struct conf_ctx *x, const config_setting_t *g)
{
	struct conf_timeouts *to = &x->conf->timeouts;
	/* In conf_timeouts_names' order.  The master's two are coarser: a
	 * heartbeat under 0.1 s would kill workers busy for a moment. */
	const struct {
		double	*field, lo, hi;
	} t[] = {
		{ &to->header, CONF_TIMEOUT_MIN, CONF_TIMEOUT_MAX },
		{ &to->body, CONF_TIMEOUT_MIN, CONF_TIMEOUT_MAX },
		{ &to->keepalive, CONF_TIMEOUT_MIN, CONF_TIMEOUT_MAX },
		{ &to->send, CONF_TIMEOUT_MIN, CONF_TIMEOUT_MAX },
		{ &to->shutdown, CONF_TIMEOUT_MIN, CONF_TIMEOUT_MAX },
		{ &to->heartbeat, CONF_MASTER_TIMEOUT_MIN,
		    CONF_MASTER_TIMEOUT_MAX },
		{ &to->ready, CONF_MASTER_TIMEOUT_MIN,
		    CONF_MASTER_TIMEOUT_MAX },
	};
	const config_setting_t *s;
	int i, k;

	if (conf_group(x, g, "header; body; keepalive; send; shutdown; "
	    "heartbeat; ready;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_timeouts_names)) == -1)
			return -1;
		if (conf_number(x, s, t[k].lo, t[k].hi, t[k].field) == -1)
			return -1;
	}
	return 0;
}

/* "stderr" (or, with off, "off") or an absolute path. */
static int
conf_log_path(struct conf_ctx *x, const config_setting_t *s, const char *kw,
    char **dst)
{
	const char *str = NULL;
	char v[128], what[64];

	(void)snprintf(what, sizeof(what), "\"%s\" or an absolute path", kw);
	if (conf_string(x, s, what, &str) == -1)
		return -1;
	if (strcmp(str, kw) == 0)
		return conf_strset(x, s, dst,
		    strcmp(kw, "off") == 0 ? NULL : kw);
	/* Relative to what?  The daemon's cwd is / under systemd: say so
	 * now rather than write the log somewhere surprising. */
	if (str[0] != '/' || strlen(str) >= PATH_MAX) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be %s, not %s", what, v);
	}
	return conf_strset(x, s, dst, str);
}

static int
conf_set_log(struct conf_ctx *x, const config_setting_t *g)
{
	struct asyncd_conf *c = x->conf;
	const config_setting_t *s;
	const char *str = NULL;
	char v[128];
	int i, k, level;

	if (conf_group(x, g, "error; level; access;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_log_names)) == -1)
			return -1;
		switch (k) {
		case 0:
			if (conf_log_path(x, s, "stderr", &c->error_log) == -1)
				return -1;
			break;
		case 1:
			if (config_setting_type(s) == CONFIG_TYPE_STRING) {
				str = config_setting_get_string(s);
				if ((level = log_level_parse(str)) != -1) {
					c->log_level = level;
					break;
				}
			}
			conf_value(s, v, sizeof(v));
			return conf_fail(x, s, "must be \"error\", \"warn\", "
			    "\"info\" or \"debug\", not %s", v);
		default:
			if (conf_log_path(x, s, "off", &c->access_log) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

static int
conf_set_pid_file(struct conf_ctx *x, const config_setting_t *s)
{
	return conf_log_path(x, s, "off", &x->conf->pid_file);
}

/*
 * "off" (NULL), or "/" and RFC 3986 pchars without '%' (the server compares
 * the raw request path with it: an escape would never match), no empty
 * segment, shorter than a route pattern.
 */
static int
conf_stats_path(struct conf_ctx *x, const config_setting_t *s, char **dst)
{
	static const char what[] = "\"off\" or an absolute URL path (\"/...\")";
	static const char pchar[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";
	const char *str = NULL;
	char v[128];
	size_t len;

	if (conf_string(x, s, what, &str) == -1)
		return -1;
	if (strcmp(str, "off") == 0)
		return conf_strset(x, s, dst, NULL);
	len = strlen(str);
	if (str[0] != '/' || len >= HTTP_PATTERN_MAX ||
	    strspn(str, pchar) != len || strstr(str, "//") != NULL) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be %s, not %s", what, v);
	}
	return conf_strset(x, s, dst, str);
}

static int
conf_set_stats(struct conf_ctx *x, const config_setting_t *g)
{
	struct asyncd_conf *c = x->conf;
	char **dst[] = { &c->stats_path, &c->metrics_path };
	const config_setting_t *s;
	int i, k;

	if (conf_group(x, g, "path; metrics;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_stats_names)) == -1)
			return -1;
		if (conf_stats_path(x, s, dst[k]) == -1)
			return -1;
		x->stats_s[k] = s;
	}
	return 0;
}

/*
 * The stats pages share the URL space with the routes: a stats path that a
 * route matches would hide one of the two, and so would equal stats paths.
 * Checked once the whole file is read, since routes may come after stats
 * (or be the defaults).  The error points at what the file set: the stats
 * setting, else the route.
 */
static int
conf_check_stats(struct conf_ctx *x, const config_setting_t *root)
{
	static const char *const names[] = { "stats.path", "stats.metrics" };
	struct asyncd_conf *c = x->conf;
	const char *paths[2] = { c->stats_path, c->metrics_path };
	const config_setting_t *at = NULL, *routes;
	struct http_match m;
	size_t ri;
	int k;

	if (paths[0] != NULL && paths[1] != NULL &&
	    strcmp(paths[0], paths[1]) == 0) {
		k = x->stats_s[1] != NULL;	/* the defaults differ */
		return conf_fail(x, x->stats_s[k], "\"%s\" is also %s",
		    paths[k], names[!k]);
	}
	for (k = 0; k < 2; k++) {
		if (paths[k] == NULL || http_router_match(&c->router,
		    HTTP_M_GET, paths[k], strlen(paths[k]), &m) != 0)
			continue;
		ri = (size_t)(m.route - c->router.routes);
		if (x->stats_s[k] != NULL)
			return conf_fail(x, x->stats_s[k], "\"%s\" is also "
			    "matched by routes[%zu] (\"%s\")", paths[k], ri,
			    m.route->pattern);
		if ((routes = config_setting_get_member(root, "routes")) !=
		    NULL && (at = config_setting_get_elem(routes,
		    (unsigned)ri)) != NULL)
			at = config_setting_get_member(at, "path");
		return conf_fail(x, at != NULL ? at : root, "\"%s\" also "
		    "matches %s (\"%s\", the default): set it to another "
		    "path or \"off\"", m.route->pattern, names[k], paths[k]);
	}
	return 0;
}

static int
conf_set_route(struct conf_ctx *x, const config_setting_t *g)
{
	const config_setting_t *s, *path_s = NULL, *handler_s = NULL;
	const char *path = NULL, *handler = NULL;
	double delay = 0.0;
	char why[256];
	int i, k, err;

	if (conf_group(x, g, "path = \"/...\"; handler = \"...\"; "
	    "delay = SECONDS;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_route_names)) == -1)
			return -1;
		switch (k) {
		case 0:
			if (conf_string(x, s, "a string", &path) == -1)
				return -1;
			path_s = s;
			break;
		case 1:
			if (conf_string(x, s, "a string", &handler) == -1)
				return -1;
			handler_s = s;
			break;
		default:
			if (conf_number(x, s, 0, CONF_DELAY_MAX, &delay) == -1)
				return -1;
			break;
		}
	}
	if (path == NULL)
		return conf_fail(x, g, "missing path");
	if (handler == NULL)
		return conf_fail(x, g, "missing handler");
	why[0] = '\0';
	err = http_router_add(&x->conf->router, path, handler, delay, why,
	    sizeof(why));
	if (err == -ENOSPC)
		return conf_fail(x, g, "more than %d routes", HTTP_ROUTES_MAX);
	/* The router's reason goes out as it is; it names the handler or
	 * else the pattern, so point at that line. */
	if (err != 0)
		return conf_fail(x, strstr(why, "handler") != NULL ? handler_s :
		    path_s, "%s", why[0] != '\0' ? why :
		    "rejected by the router");
	return 0;
}

static int
conf_set_routes(struct conf_ctx *x, const config_setting_t *s)
{
	const config_setting_t *e;
	char v[128];
	int i;

	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be a list ( { path = ...; "
		    "handler = ...; }, ... ), not %s", v);
	}
	if (config_setting_length(s) == 0)
		return conf_fail(x, s, "needs at least one route");
	http_router_init(&x->conf->router);
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++)
		if (conf_set_route(x, e) == -1)
			return -1;
	return 0;
}

/* ---- 32-bit integer literals ---------------------------------------------- */

/*
 * Lexes the text (already parsed by libconfig, so well-formed) for integer
 * literals that libconfig 1.5 would wrap: decimal above INT32_MAX or hex
 * above 0x7fffffff, without the L suffix.  0, or -1 with the error set.
 */
static int
conf_scan(struct conf_ctx *x)
{
	const char *buf = x->text->buf, *file;
	size_t len = x->text->len, i, start, end;
	unsigned line = 1, fline;
	int hex;

	for (i = 0; i < len; ) {
		char c = buf[i];

		if (c == '\n') {
			line++;
			i++;
		} else if (c == '#' || (c == '/' && buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '/' && buf[i + 1] == '*') {
			for (i += 2; i < len && !(buf[i] == '*' &&
			    buf[i + 1] == '/'); i++)
				if (buf[i] == '\n')
					line++;
			i += 2;
		} else if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] == '\\' && i + 1 < len)
					i++;
				if (buf[i] == '\n')
					line++;
			}
			i++;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '*') {
			/* A name (or true/false): its digits are not numbers. */
			while (i < len && (strchr("-_*", buf[i]) != NULL ||
			    (buf[i] >= '0' && buf[i] <= '9') ||
			    (buf[i] >= 'A' && buf[i] <= 'Z') ||
			    (buf[i] >= 'a' && buf[i] <= 'z')))
				i++;
		} else if ((c >= '0' && c <= '9') ||
		    (c == '.' && buf[i + 1] >= '0' && buf[i + 1] <= '9')) {
			start = i;
			hex = c == '0' && (buf[i + 1] == 'x' ||
			    buf[i + 1] == 'X');
			if (hex) {
				for (i += 2; i < len && strchr("0123456789"
				    "abcdefABCDEF", buf[i]) != NULL &&
				    buf[i] != '\0'; i++)
					;
			} else {
				while (i < len && buf[i] >= '0' && buf[i] <= '9')
					i++;
			}
			end = i;
			if (!hex && i < len && strchr(".eE", buf[i]) != NULL &&
			    buf[i] != '\0') {
				/* A float: skip its fraction and exponent. */
				while (i < len && strchr("0123456789.eE+-",
				    buf[i]) != NULL && buf[i] != '\0')
					i++;
				continue;
			}
			if (i < len && buf[i] == 'L')
				continue;		/* 64-bit, as asked */
			{
				char num[64];
				unsigned long long v;
				size_t nl = end - start;

				if (nl >= sizeof(num))
					nl = sizeof(num) - 1;
				memcpy(num, buf + start, nl);
				num[nl] = '\0';
				errno = 0;
				v = strtoull(num, NULL, hex ? 16 : 10);
				if (errno == ERANGE || v > INT32_MAX) {
					file = conf_text_where(x->text, line,
					    &fline);
					(void)snprintf(x->err, x->errlen,
					    "%s:%u: %s is too large for a "
					    "32-bit integer (libconfig would "
					    "wrap it; write %sL if you mean "
					    "it)", file, fline, num, num);
					return -1;
				}
			}
		} else
			i++;
	}
	return 0;
}

/* ---- load, dump, free ----------------------------------------------------- */

int
conf_init(struct asyncd_conf *c)
{
	static const struct {
		const char *path, *handler;
		double delay;
	} routes[] = {
		/* The seed's app: asyncio.sleep(0.5) before answering. */
		{ "/", "index", 0.5 },
		{ "/hello/{name}", "hello", 0.5 },
		{ "/healthz", "healthz", 0.0 },
	};
	char why[128];
	size_t i;

	memset(c, 0, sizeof(*c));
	(void)snprintf(c->listen[0].addr, sizeof(c->listen[0].addr), "%s",
	    CONF_DEFAULT_LISTEN);
	(void)snprintf(c->listen[0].host, sizeof(c->listen[0].host),
	    "127.0.0.1");
	c->listen[0].port = 8000;
	c->nlisten = 1;
	c->workers = CONF_DEFAULT_WORKERS;
	c->max_connections = CONF_DEFAULT_MAX_CONNECTIONS;
	c->limits.max_line = CONF_DEFAULT_REQUEST_LINE;
	c->limits.max_head = CONF_DEFAULT_HEADER_SIZE;
	c->limits.max_headers = CONF_DEFAULT_HEADER_COUNT;
	c->limits.max_body = CONF_DEFAULT_BODY;
	c->limits.max_trailer = HTTP_DEFAULT_MAX_TRAILER;
	c->limits.max_chunk_line = HTTP_DEFAULT_MAX_CHUNK_LINE;
	c->timeouts.header = CONF_DEFAULT_TIMEOUT_HEADER;
	c->timeouts.body = CONF_DEFAULT_TIMEOUT_BODY;
	c->timeouts.keepalive = CONF_DEFAULT_TIMEOUT_KEEPALIVE;
	c->timeouts.send = CONF_DEFAULT_TIMEOUT_SEND;
	c->timeouts.shutdown = CONF_DEFAULT_TIMEOUT_SHUTDOWN;
	c->timeouts.heartbeat = CONF_DEFAULT_TIMEOUT_HEARTBEAT;
	c->timeouts.ready = CONF_DEFAULT_TIMEOUT_READY;
	c->log_level = LOG_LEVEL_INFO;
	http_router_init(&c->router);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (http_router_add(&c->router, routes[i].path,
		    routes[i].handler, routes[i].delay, why, sizeof(why)) != 0)
			return -1;	/* the router and this table disagree */
	c->error_log = strdup("stderr");
	c->server_name = strdup(CONF_DEFAULT_SERVER_NAME);
	c->stats_path = strdup(CONF_DEFAULT_STATS_PATH);
	c->metrics_path = strdup(CONF_DEFAULT_METRICS_PATH);
	if (c->error_log == NULL || c->server_name == NULL ||
	    c->stats_path == NULL || c->metrics_path == NULL) {
		conf_free(c);
		return -1;
	}
	return 0;
}

int
conf_load(const char *path, struct asyncd_conf *conf, char *err,
    size_t errlen)
{
	struct asyncd_conf c;
	struct conf_text text;
	struct conf_ctx x = { &c, path, &text, err, errlen, 0, { NULL, NULL } };
	config_t cf;
	const config_setting_t *root, *s;
	const char *file;
	unsigned line;
	int i, k;

	memset(conf, 0, sizeof(*conf));
	if (conf_text_read(&text, path, err, errlen) == -1)
		return -1;
	if (conf_init(&c) == -1) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		conf_text_free(&text);
		return -1;
	}
	config_init(&cf);
	/*
	 * conftext.c expanded every @include; should libconfig still see
	 * one, it must fail to open it, never open a directory (and exit)
	 * or a FIFO (and block): nothing can be opened under /dev/null.
	 */
	config_set_include_dir(&cf, "/dev/null");

	if ((c.path = strdup(path)) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (config_read_string(&cf, text.buf) == CONFIG_FALSE) {
		file = conf_text_where(&text, (unsigned)config_error_line(&cf),
		    &line);
		(void)snprintf(err, errlen, "%s:%u: %s", file, line,
		    config_error_text(&cf));
		goto fail;
	}
	if (conf_scan(&x) == -1)
		goto fail;

	root = config_root_setting(&cf);
	for (i = 0; (s = config_setting_get_elem(root, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(&x, s, conf_root_names)) == -1)
			goto fail;
		/* No duplicate to check: libconfig rejects them. */
		if (conf_root_fns[k](&x, s) == -1)
			goto fail;
	}
	if (conf_check_stats(&x, root) == -1)
		goto fail;
	if (c.have_uid && !c.have_gid) {
		c.gid = x.user_gid;
		c.have_gid = 1;
	}

	config_destroy(&cf);
	conf_text_free(&text);
	*conf = c;
	return 0;
fail:
	config_destroy(&cf);
	conf_text_free(&text);
	conf_free(&c);
	return -1;
}

/* A string in libconfig syntax. */
static void
conf_dump_string(FILE *fp, const char *s)
{
	(void)fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			(void)fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			(void)fprintf(fp, "\\x%02x", c);
		else
			(void)fputc(c, fp);
	}
	(void)fputc('"', fp);
}

/* A float that reads back to the same double and looks like one. */
static void
conf_dump_number(FILE *fp, double d)
{
	char buf[64];
	int prec;

	for (prec = 6; prec < 17; prec++) {
		(void)snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		(void)snprintf(buf, sizeof(buf), "%.17g", d);
	(void)fprintf(fp, "%s%s", buf, strpbrk(buf, ".eE") ? "" : ".0");
}

void
conf_dump(FILE *fp, const struct asyncd_conf *c)
{
	const struct conf_timeouts *to = &c->timeouts;
	size_t i;

	(void)fprintf(fp, "# the effective configuration of %s\n",
	    c->path != NULL ? c->path : "(defaults)");
	(void)fprintf(fp, "listen = [ ");
	for (i = 0; i < c->nlisten; i++) {
		(void)fprintf(fp, "%s", i ? ", " : "");
		conf_dump_string(fp, c->listen[i].addr);
	}
	(void)fprintf(fp, " ];\n");
	if (c->workers == CONF_WORKERS_AUTO)
		(void)fprintf(fp, "workers = \"auto\";\n");
	else
		(void)fprintf(fp, "workers = %d;\n", c->workers);
	(void)fprintf(fp, "reuseport = %s;\nuser = ",
	    c->reuseport ? "true" : "false");
	conf_dump_string(fp, c->user != NULL ? c->user : "");
	(void)fprintf(fp, ";\ngroup = ");
	conf_dump_string(fp, c->group != NULL ? c->group : "");
	(void)fprintf(fp, ";\npid_file = ");
	conf_dump_string(fp, c->pid_file != NULL ? c->pid_file : "off");
	(void)fprintf(fp, ";\n");
	(void)fprintf(fp, "max_connections = %zu;\n", c->max_connections);
	(void)fprintf(fp, "limits = {\n"
	    "\trequest_line = %u;\n\theader_size = %u;\n"
	    "\theader_count = %u;\n\tbody = %llu;\n};\n",
	    c->limits.max_line, c->limits.max_head, c->limits.max_headers,
	    (unsigned long long)c->limits.max_body);
	(void)fprintf(fp, "timeouts = {\n\theader = ");
	conf_dump_number(fp, to->header);
	(void)fprintf(fp, ";\n\tbody = ");
	conf_dump_number(fp, to->body);
	(void)fprintf(fp, ";\n\tkeepalive = ");
	conf_dump_number(fp, to->keepalive);
	(void)fprintf(fp, ";\n\tsend = ");
	conf_dump_number(fp, to->send);
	(void)fprintf(fp, ";\n\tshutdown = ");
	conf_dump_number(fp, to->shutdown);
	(void)fprintf(fp, ";\n\theartbeat = ");
	conf_dump_number(fp, to->heartbeat);
	(void)fprintf(fp, ";\n\tready = ");
	conf_dump_number(fp, to->ready);
	(void)fprintf(fp, ";\n};\n");
	(void)fprintf(fp, "log = {\n\terror = ");
	conf_dump_string(fp, c->error_log != NULL ? c->error_log : "stderr");
	(void)fprintf(fp, ";\n\tlevel = \"%s\";\n\taccess = ",
	    log_level_name(c->log_level));
	conf_dump_string(fp, c->access_log != NULL ? c->access_log : "off");
	(void)fprintf(fp, ";\n};\n");
	(void)fprintf(fp, "stats = {\n\tpath = ");
	conf_dump_string(fp, c->stats_path != NULL ? c->stats_path : "off");
	(void)fprintf(fp, ";\n\tmetrics = ");
	conf_dump_string(fp, c->metrics_path != NULL ? c->metrics_path :
	    "off");
	(void)fprintf(fp, ";\n};\n");
	(void)fprintf(fp, "routes = (\n");
	for (i = 0; i < c->router.n; i++) {
		const struct http_route *r = &c->router.routes[i];

		(void)fprintf(fp, "\t{ path = ");
		conf_dump_string(fp, r->pattern);
		(void)fprintf(fp, "; handler = \"%s\"; delay = ",
		    http_handler_name(r->handler));
		conf_dump_number(fp, r->delay);
		(void)fprintf(fp, "; }%s\n", i + 1 < c->router.n ? "," : "");
	}
	(void)fprintf(fp, ");\n");
	(void)fprintf(fp, "server_name = ");
	conf_dump_string(fp, c->server_name != NULL ? c->server_name : "");
	(void)fprintf(fp, ";\n");
}

void
conf_free(struct asyncd_conf *c)
{
	free(c->path);
	free(c->error_log);
	free(c->access_log);
	free(c->server_name);
	free(c->user);
	free(c->group);
	free(c->pid_file);
	free(c->stats_path);
	free(c->metrics_path);
	memset(c, 0, sizeof(*c));
}
