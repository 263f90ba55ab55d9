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
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
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
#include "router.h"

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
#define CONF_APP_TIMEOUT_MAX		86400.0
#define CONF_STATS_PATH_MAX		128
#define CONF_APP_STACK_MIN		(16 * 1024)
#define CONF_APP_STACK_MAX		(64 * 1024 * 1024)
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
	const config_setting_t	*stats_s[5];	/* stats.path, .metrics,
						   .healthz, .listen, .tasks,
						   as set */
};

typedef int (*conf_set_fn)(struct conf_ctx *, const config_setting_t *);

static int	conf_set_listen(struct conf_ctx *, const config_setting_t *);
static int	conf_set_trusted_proxies(struct conf_ctx *,
		    const config_setting_t *);
static int	conf_set_workers(struct conf_ctx *, const config_setting_t *);
static int	conf_set_max_connections(struct conf_ctx *,
		    const config_setting_t *);
static int	conf_set_limits(struct conf_ctx *, const config_setting_t *);
static int	conf_set_timeouts(struct conf_ctx *, const config_setting_t *);
static int	conf_set_log(struct conf_ctx *, const config_setting_t *);
static int	conf_set_apps(struct conf_ctx *, const config_setting_t *);
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
	"listen", "trusted_proxies", "workers", "reuseport", "user", "group",
	"pid_file", "max_connections", "limits", "timeouts", "log", "stats",
	"apps", "server_name", NULL
};
static const conf_set_fn conf_root_fns[] = {
	conf_set_listen, conf_set_trusted_proxies, conf_set_workers,
	conf_set_reuseport, conf_set_user,
	conf_set_group, conf_set_pid_file, conf_set_max_connections,
	conf_set_limits, conf_set_timeouts, conf_set_log, conf_set_stats,
	conf_set_apps, conf_set_server_name
};

static const char *const conf_limits_names[] = {
	"request_line", "header_size", "header_count", "body", NULL
};
static const char *const conf_timeouts_names[] = {
	"header", "body", "keepalive", "send", "shutdown", "drain",
	"heartbeat", "ready", NULL
};
static const char *const conf_log_names[] = {
	"error", "level", "syslog_facility", "syslog_socket", "access",
	"format", "escape", "flush", NULL
};
static const char *const conf_app_names[] = {
	"module", "mount", "name", "settings", "body", "timeout", "stack_size",
	"cancel_on_disconnect", NULL
};
static const char *const conf_stats_names[] = {
	"path", "metrics", "healthz", "listen", "tasks", NULL
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
 * A listen entry's options, after its address, nginx's syntax: NAME=VALUE
 * or a bare NAME, separated by spaces.  One row per option: its parser gets
 * the value (NULL for a bare name) and sets its field of l, or says why
 * not.  conf_dump prints the options that differ from their default back
 * through print.
 */
struct conf_listen_opt {
	const char	*name;
	int		(*parse)(struct conf_listen *l, const char *val,
			    char *why, size_t whylen);
	/* Appends " name=value" when not the default; what it wrote. */
	int		(*print)(const struct conf_listen *l, char *buf,
			    size_t len);
};

/* backlog=N: listen(2)'s queue of connections not yet accepted. */
static int
conf_listen_backlog(struct conf_listen *l, const char *val, char *why,
    size_t whylen)
{
	unsigned long n;

	if (val == NULL || *val == '\0' || strspn(val, "0123456789") !=
	    strlen(val) || strlen(val) > 5 || (n = strtoul(val, NULL, 10)) < 1 ||
	    n > CONF_BACKLOG_MAX) {
		(void)snprintf(why, whylen, "backlog= must be a number "
		    "between 1 and %d", CONF_BACKLOG_MAX);
		return -1;
	}
	l->backlog = (int)n;
	return 0;
}

static int
conf_listen_backlog_print(const struct conf_listen *l, char *buf, size_t len)
{
	if (l->backlog == CONF_DEFAULT_BACKLOG)
		return 0;
	return snprintf(buf, len, " backlog=%d", l->backlog);
}

/* proxy_protocol: every connection begins with a PROXY v1 or v2 header
 * (src/http/proxyproto.c), whose address is the peer's. */
static int
conf_listen_proxy_protocol(struct conf_listen *l, const char *val, char *why,
    size_t whylen)
{
	if (val != NULL) {
		(void)snprintf(why, whylen, "proxy_protocol takes no value");
		return -1;
	}
	l->proxy_protocol = 1;
	return 0;
}

static int
conf_listen_proxy_protocol_print(const struct conf_listen *l, char *buf,
    size_t len)
{
	return l->proxy_protocol ? snprintf(buf, len, " proxy_protocol") : 0;
}

static const struct conf_listen_opt conf_listen_opts[] = {
	{ "backlog", conf_listen_backlog, conf_listen_backlog_print },
	{ "proxy_protocol", conf_listen_proxy_protocol,
	  conf_listen_proxy_protocol_print },
};
#define CONF_LISTEN_NOPTS	\
	(sizeof(conf_listen_opts) / sizeof(conf_listen_opts[0]))

/*
 * Parses the options in s (what follows the address) into l, whose
 * defaults are set.  0, or -1 with the reason in why.  An option given
 * twice is refused: which one would win is not obvious.
 */
static int
conf_parse_listen_opts(const char *s, struct conf_listen *l, char *why,
    size_t whylen)
{
	char word[64], known[64], *val;
	unsigned seen = 0;
	size_t n, k, nlen;

	for (;;) {
		s += strspn(s, " ");
		if (*s == '\0')
			return 0;
		n = strcspn(s, " ");
		if (n >= sizeof(word)) {
			(void)snprintf(why, whylen, "unknown option \"%.20s"
			    "...\"", s);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		val = strchr(word, '=');
		nlen = val != NULL ? (size_t)(val - word) : n;
		if (val != NULL)
			*val++ = '\0';
		for (k = 0; k < CONF_LISTEN_NOPTS; k++)
			if (strlen(conf_listen_opts[k].name) == nlen &&
			    strncmp(conf_listen_opts[k].name, word, nlen) == 0)
				break;
		if (k == CONF_LISTEN_NOPTS) {
			known[0] = '\0';
			for (k = 0; k < CONF_LISTEN_NOPTS; k++)
				(void)snprintf(known + strlen(known),
				    sizeof(known) - strlen(known), "%s%s",
				    k > 0 ? ", " : "", conf_listen_opts[k].name);
			(void)snprintf(why, whylen, "unknown option \"%.40s\" "
			    "(known: %s)", word, known);
			return -1;
		}
		if (seen & (1u << k)) {
			(void)snprintf(why, whylen, "option %s given twice",
			    word);
			return -1;
		}
		seen |= 1u << k;
		if (conf_listen_opts[k].parse(l, val, why, whylen) == -1)
			return -1;
	}
}

/* Appends l's options that differ from their defaults to buf (for -T). */
static void
conf_listen_opts_print(const struct conf_listen *l, char *buf, size_t len)
{
	size_t k, used = strlen(buf);
	int n;

	for (k = 0; k < CONF_LISTEN_NOPTS && used < len; k++) {
		n = conf_listen_opts[k].print(l, buf + used, len - used);
		if (n > 0)
			used += (size_t)n < len - used ? (size_t)n : len - used;
	}
}

/*
 * Parses "ADDR:PORT" (rt_addr_parse's: dotted IPv4, "[IPv6]" or "*", then
 * a decimal port 0..65535; or PORT alone, for "*:PORT"), then its
 * options, into l, canonical.  0, or -1 with the reason in why.  Numeric
 * only: a name would make -t depend on DNS, and bind whichever address
 * the resolver said first.
 */
static int
conf_parse_listen(const char *str, struct conf_listen *l, char *why,
    size_t whylen)
{
	char s[CONF_ADDR_MAX + 2];
	struct rt_addr a;
	const char *opts;
	size_t alen;

	/* The address ends at the first space; the options follow. */
	alen = strcspn(str, " ");
	opts = str + alen;
	if (alen >= sizeof(s)) {
		(void)snprintf(why, whylen, "expected \"ADDR:PORT\"");
		return -1;
	}
	memcpy(s, str, alen);
	s[alen] = '\0';
	l->backlog = CONF_DEFAULT_BACKLOG;
	if (rt_addr_parse(&a, s, why, whylen) != 0)
		return -1;
	(void)snprintf(l->host, sizeof(l->host), "%s", a.host);
	l->port = a.port;
	(void)snprintf(l->addr, sizeof(l->addr), "%s", a.str);
	return conf_parse_listen_opts(opts, l, why, whylen);
}

/* "*" binds 0.0.0.0 (rt_addr_parse): the same address twice. */
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
		/* "ADDR:PORT", then maybe options after a space. */
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
		/* "ADDR:0" twice is one socket (the master keys its
		 * listeners by address): it cannot serve two ways. */
		for (j = 0; j < i; j++)
			if (l.port == 0 && c->listen[j].port == 0 &&
			    strcmp(conf_listen_key(c->listen[j].host),
			    conf_listen_key(l.host)) == 0 &&
			    l.proxy_protocol != c->listen[j].proxy_protocol)
				return conf_fail(x, e, "\"%s\" is one socket "
				    "with listen[%d]: give them the same options "
				    "or fixed ports", l.addr, j);
		c->listen[i] = l;
	}
	c->nlisten = (size_t)n;
	return 0;
}

/* trusted_proxies = [ "CIDR", ... ]: who may say who the client is. */
static int
conf_set_trusted_proxies(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const config_setting_t *e;
	const char *str = NULL;
	char v[128], why[128];
	int i, n, t = config_setting_type(s);

	if (t == CONFIG_TYPE_STRING)
		n = 1;
	else if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
		n = config_setting_length(s);
	else {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be a list of \"CIDR\" strings, "
		    "not %s", v);
	}
	if (n > CONF_TRUSTED_MAX)
		return conf_fail(x, s, "at most %d networks, not %d",
		    CONF_TRUSTED_MAX, n);
	for (i = 0; i < n; i++) {
		e = t == CONFIG_TYPE_STRING ? s : config_setting_get_elem(s,
		    (unsigned)i);
		if (conf_string(x, e, "a string \"CIDR\"", &str) == -1)
			return -1;
		if (http_cidr_parse(str, &c->trusted[i], why,
		    sizeof(why)) == -1) {
			conf_value(e, v, sizeof(v));
			return conf_fail(x, e, "%s: %s", v, why);
		}
	}
	c->ntrusted = (size_t)n;
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
		/* 0: no drain, the stop begins at once. */
		{ &to->drain, 0, CONF_TIMEOUT_MAX },
		{ &to->heartbeat, CONF_MASTER_TIMEOUT_MIN,
		    CONF_MASTER_TIMEOUT_MAX },
		{ &to->ready, CONF_MASTER_TIMEOUT_MIN,
		    CONF_MASTER_TIMEOUT_MAX },
	};
	const config_setting_t *s;
	int i, k;

	if (conf_group(x, g, "header; body; keepalive; send; shutdown; "
	    "drain; heartbeat; ready;") == -1)
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

/* "stderr" (or, with off, "off"), kw2 if not NULL, or an absolute path. */
static int
conf_log_path2(struct conf_ctx *x, const config_setting_t *s, const char *kw,
    const char *kw2, char **dst)
{
	const char *str = NULL;
	char v[128], what[64];

	if (kw2 != NULL)
		(void)snprintf(what, sizeof(what), "\"%s\", \"%s\" or an "
		    "absolute path", kw, kw2);
	else
		(void)snprintf(what, sizeof(what), "\"%s\" or an absolute "
		    "path", kw);
	if (conf_string(x, s, what, &str) == -1)
		return -1;
	if (strcmp(str, kw) == 0)
		return conf_strset(x, s, dst,
		    strcmp(kw, "off") == 0 ? NULL : kw);
	if (kw2 != NULL && strcmp(str, kw2) == 0)
		return conf_strset(x, s, dst, kw2);
	/* Relative to what?  The daemon's cwd is / under systemd: say so
	 * now rather than write the log somewhere surprising. */
	if (str[0] != '/' || strlen(str) >= PATH_MAX) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be %s, not %s", what, v);
	}
	return conf_strset(x, s, dst, str);
}

/*
 * Compiles log.format (the setting s) into the conf: the presets
 * by name, with their own escaping; anything else is a template, escaped
 * as log.escape says.  Refused with FILE:LINE when it does not compile.
 */
static int
conf_log_format(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const char *tpl = c->access_format;
	int esc = c->access_escape;
	char err[256];

	if (strcmp(tpl, "combined") == 0) {
		tpl = HTTP_LOGFMT_COMBINED;
		esc = HTTP_LOGFMT_ESC_DEFAULT;
	} else if (strcmp(tpl, "json") == 0) {
		tpl = HTTP_LOGFMT_JSON;
		esc = HTTP_LOGFMT_ESC_JSON;
	}
	if (http_logfmt_compile(&c->access_fmt, tpl, esc, err,
	    sizeof(err)) == 0)
		return 0;
	return conf_fail(x, s, "%s", err);
}

static int
conf_log_path(struct conf_ctx *x, const config_setting_t *s, const char *kw,
    char **dst)
{
	return conf_log_path2(x, s, kw, NULL, dst);
}

/* An absolute path that fits in a sockaddr_un (the message says 108). */
_Static_assert(sizeof(((struct sockaddr_un *)NULL)->sun_path) == 108,
    "sun_path is not 108 bytes here: fix conf_socket_path's message");
static int
conf_socket_path(struct conf_ctx *x, const config_setting_t *s, char **dst)
{
	static const char what[] = "an absolute path shorter than 108 bytes";
	const char *str = NULL;
	char v[128];

	if (conf_string(x, s, what, &str) == -1)
		return -1;
	if (str[0] != '/' || strlen(str) >= sizeof(((struct sockaddr_un *)
	    NULL)->sun_path)) {
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
	const config_setting_t *fmt = g;
	const char *str = NULL;
	char v[128];
	int i, k, level, fac;

	if (conf_group(x, g, "error; level; syslog_facility; syslog_socket; "
	    "access; format; escape; flush;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_log_names)) == -1)
			return -1;
		switch (k) {
		case 0:
			if (conf_log_path2(x, s, "stderr", "syslog",
			    &c->error_log) == -1)
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
		case 2:
			if (config_setting_type(s) == CONFIG_TYPE_STRING &&
			    (fac = log_facility_parse(
			    config_setting_get_string(s))) != -1) {
				c->syslog_facility = fac;
				break;
			}
			conf_value(s, v, sizeof(v));
			return conf_fail(x, s, "must be a syslog facility "
			    "(\"daemon\", \"user\", \"local0\" to \"local7\", "
			    "\"mail\", \"auth\", \"authpriv\", \"syslog\", "
			    "\"lpr\", \"news\", \"uucp\", \"cron\", \"ftp\"), "
			    "not %s", v);
		case 3:
			if (conf_socket_path(x, s, &c->syslog_socket) == -1)
				return -1;
			break;
		case 4:
			if (conf_log_path(x, s, "off", &c->access_log) == -1)
				return -1;
			break;
		case 5:
			fmt = s;
			if (conf_string(x, s, "\"combined\", \"json\" or a "
			    "template", &str) == -1 ||
			    conf_strset(x, s, &c->access_format, str) == -1)
				return -1;
			break;
		case 6:
			if (config_setting_type(s) == CONFIG_TYPE_STRING) {
				str = config_setting_get_string(s);
				if (strcmp(str, "default") == 0 ||
				    strcmp(str, "json") == 0) {
					c->access_escape = str[0] == 'j' ?
					    HTTP_LOGFMT_ESC_JSON :
					    HTTP_LOGFMT_ESC_DEFAULT;
					break;
				}
			}
			conf_value(s, v, sizeof(v));
			return conf_fail(x, s, "must be \"default\" or "
			    "\"json\", not %s", v);
		default:
			if (conf_number(x, s, 0, 3600, &c->access_flush) == -1)
				return -1;
			break;
		}
	}
	return conf_log_format(x, fmt);
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
	if (str[0] != '/' || len >= CONF_STATS_PATH_MAX ||
	    strspn(str, pchar) != len || strstr(str, "//") != NULL) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be %s, not %s", what, v);
	}
	return conf_strset(x, s, dst, str);
}

/* stats.listen: "off", or the one "ADDR:PORT" of the stats listener. */
static int
conf_stats_listen(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const char *str = NULL;
	char v[128], why[128];

	if (conf_string(x, s, "\"off\" or a string \"ADDR:PORT\"", &str) ==
	    -1)
		return -1;
	c->has_stats_listen = 0;
	if (strcmp(str, "off") == 0)
		return 0;
	memset(&c->stats_listen, 0, sizeof(c->stats_listen));
	if (conf_parse_listen(str, &c->stats_listen, why, sizeof(why)) == -1) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "%s: %s", v, why);
	}
	/* The stats pages are for a scraper on a private address, which
	 * connects itself: no proxy speaks for it. */
	if (c->stats_listen.proxy_protocol) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "%s: proxy_protocol is for the public "
		    "listeners", v);
	}
	c->has_stats_listen = 1;
	return 0;
}

static int
conf_set_stats(struct conf_ctx *x, const config_setting_t *g)
{
	struct asyncd_conf *c = x->conf;
	char **dst[] = { &c->stats_path, &c->metrics_path, &c->healthz_path,
	    NULL, &c->tasks_path };
	const config_setting_t *s;
	int i, k;

	if (conf_group(x, g, "path; metrics; healthz; listen; tasks;") == -1)
		return -1;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_stats_names)) == -1)
			return -1;
		if (k == 3 ? conf_stats_listen(x, s) == -1 :
		    conf_stats_path(x, s, dst[k]) == -1)
			return -1;
		x->stats_s[k] = s;
	}
	return 0;
}

/*
 * The built-in app's pages differ from each other (a route of an app on
 * one of them is refused when the apps load, with both routes named).
 * The error points at what the file set.
 */
int
conf_listen_private(const struct conf_listen *l)
{
	struct in6_addr a6;
	struct in_addr a4;
	uint32_t h;

	if (strcmp(l->host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, l->host, &a4) == 1) {
		h = ntohl(a4.s_addr);
		return (h >> 24) == 127 || (h >> 24) == 10 ||
		    (h >> 20) == 0xac1 || (h >> 16) == 0xc0a8;
	}
	if (inet_pton(AF_INET6, l->host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (a6.s6_addr[0] & 0xfe) == 0xfc ||
		    IN6_IS_ADDR_LINKLOCAL(&a6);
	return 0;	/* "*", "::" or a name: anyone may reach it */
}

static int
conf_check_stats(struct conf_ctx *x)
{
	static const char *const names[] = { "stats.path", "stats.metrics",
	    "stats.healthz", "stats.listen", "stats.tasks" };
	const struct asyncd_conf *c = x->conf;
	const char *paths[5] = { c->stats_path, c->metrics_path,
	    c->healthz_path, NULL, c->tasks_path };
	const struct conf_listen *l = &c->stats_listen;
	size_t n;
	int i, j, k;

	/* Its own address: a public one's would fail to bind, at a reload
	 * with no line number. */
	for (n = 0; c->has_stats_listen && n < c->nlisten; n++)
		if (l->port != 0 && l->port == c->listen[n].port &&
		    strcmp(conf_listen_key(c->listen[n].host),
		    conf_listen_key(l->host)) == 0)
			return conf_fail(x, x->stats_s[3], "\"%s\" is also in "
			    "listen", l->addr);
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++) {
			if (paths[i] == NULL || paths[j] == NULL ||
			    strcmp(paths[i], paths[j]) != 0)
				continue;
			k = x->stats_s[j] != NULL ? j : i;
			return conf_fail(x, x->stats_s[k], "\"%s\" is also %s",
			    paths[k], names[k == j ? i : j]);
		}
	return 0;
}

/*
 * The mount prefix of an app: "/" or a pattern's literal segments
 * ("/api/v1"): no trailing '/', no parameter, nothing to escape.
 */
static int
conf_mount(struct conf_ctx *x, const config_setting_t *s, char **dst)
{
	static const char what[] = "\"/\" or a path such as \"/api\"";
	static const char pchar[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";
	const char *str = NULL;
	char v[128];
	size_t len;

	if (conf_string(x, s, what, &str) == -1)
		return -1;
	len = strlen(str);
	if (str[0] != '/' || len >= HTTP_PATTERN_MAX / 2 ||
	    strspn(str, pchar) != len || strstr(str, "//") != NULL ||
	    (len > 1 && str[len - 1] == '/')) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be %s (no trailing '/'), not %s",
		    what, v);
	}
	return conf_strset(x, s, dst, str);
}

/* An app's name when none is given: the module's file name without
 * directories and ".so". */
static int
conf_app_default_name(struct conf_ctx *x, const config_setting_t *g,
    struct conf_app *a)
{
	const char *base = strrchr(a->module, '/');
	size_t n;

	base = base != NULL ? base + 1 : a->module;
	n = strlen(base);
	if (n >= 3 && strcmp(base + n - 3, ".so") == 0)
		n -= 3;
	if (n == 0 || n >= CONF_APP_NAME_MAX)
		return conf_fail(x, g, "give the app a name (name = \"...\")");
	if ((a->name = strndup(base, n)) == NULL)
		return conf_fail(x, g, "out of memory");
	return 0;
}

static int
conf_set_app(struct conf_ctx *x, const config_setting_t *g,
    struct conf_app *a)
{
	const config_setting_t *s;
	const char *str = NULL;
	long long n;
	char v[128];
	int i, k;

	if (conf_group(x, g, "module = \"...\"; mount = \"/\"; settings = "
	    "{ ... };") == -1)
		return -1;
	a->where = g;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_app_names)) == -1)
			return -1;
		switch (k) {
		case 0:
			if (conf_string(x, s, "a module's name or path",
			    &str) == -1)
				return -1;
			if (str[0] == '\0' || strlen(str) >= PATH_MAX)
				return conf_fail(x, s, "must be a module's "
				    "name or path");
			if (conf_strset(x, s, &a->module, str) == -1)
				return -1;
			break;
		case 1:
			if (conf_mount(x, s, &a->mount) == -1)
				return -1;
			break;
		case 2:
			if (conf_string(x, s, "a name", &str) == -1)
				return -1;
			if (str[0] == '\0' || strlen(str) >= CONF_APP_NAME_MAX ||
			    !http_token(str, strlen(str))) {
				conf_value(s, v, sizeof(v));
				return conf_fail(x, s, "must be 1 to %d "
				    "letters, digits or -._~, not %s",
				    CONF_APP_NAME_MAX - 1, v);
			}
			if (conf_strset(x, s, &a->name, str) == -1)
				return -1;
			break;
		case 3:
			if (conf_group(x, s, "the app's own settings") == -1)
				return -1;
			a->settings = s;
			break;
		case 4:
			if (conf_int(x, s, 0, CONF_BODY_MAX, &n) == -1)
				return -1;
			a->opts.body_max = (uint64_t)n;
			break;
		case 5:
			if (conf_number(x, s, 0, CONF_APP_TIMEOUT_MAX,
			    &a->opts.timeout) == -1)
				return -1;
			break;
		case 6:
			if (conf_int(x, s, CONF_APP_STACK_MIN,
			    CONF_APP_STACK_MAX, &n) == -1)
				return -1;
			a->opts.stack_size = (size_t)n;
			break;
		default:
			if (conf_bool(x, s, &a->opts.cancel_on_disconnect) ==
			    -1)
				return -1;
			break;
		}
	}
	if (a->module == NULL)
		return conf_fail(x, g, "missing module");
	if (a->mount == NULL && conf_strset(x, g, &a->mount, "/") == -1)
		return -1;
	if (a->name == NULL && conf_app_default_name(x, g, a) == -1)
		return -1;
	return 0;
}

static int
conf_set_apps(struct conf_ctx *x, const config_setting_t *s)
{
	struct asyncd_conf *c = x->conf;
	const config_setting_t *e;
	char v[128];
	size_t k;
	int i;

	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		conf_value(s, v, sizeof(v));
		return conf_fail(x, s, "must be a list ( { module = ...; "
		    "mount = ...; }, ... ), not %s", v);
	}
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++) {
		if (c->napps == CONF_APPS_MAX)
			return conf_fail(x, e, "more than %d apps",
			    CONF_APPS_MAX);
		/* Counted at once: conf_free frees its strings. */
		if (conf_set_app(x, e, &c->apps[c->napps++]) == -1)
			return -1;
		for (k = 0; k + 1 < c->napps; k++)
			if (strcmp(c->apps[k].name, c->apps[c->napps - 1].name)
			    == 0)
				return conf_fail(x, e, "a second app called "
				    "\"%s\" (give one another name)",
				    c->apps[k].name);
	}
	return 0;
}

/* ---- an app's settings ------------------------------------------------------ */

/*
 * What a module's configure reads through asyncd_settings_*: a group of
 * the configuration, and where errors go.  Every setting read is marked
 * (libconfig's hook pointer); conf_settings_finish() then finds those that
 * were not, which are typos.  The root is made by conf_settings_new; the
 * elements of lists it hands out are freed with it.
 */
struct asyncd_settings {
	const config_setting_t	*g;		/* NULL: no settings given */
	const config_setting_t	*where;		/* the app's group */
	struct conf_ctx		 x;		/* for conf_fail */
	struct asyncd_settings	*root;
	struct asyncd_settings	*next;		/* the root's elements */
};

static char conf_used;		/* the hook's value: "read" */

static void
conf_unmark(const config_setting_t *g)
{
	const config_setting_t *e;
	int i;

	config_setting_set_hook((config_setting_t *)(uintptr_t)g, NULL);
	for (i = 0; (e = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++)
		conf_unmark(e);
}

static void
conf_mark(const config_setting_t *s)
{
	config_setting_set_hook((config_setting_t *)(uintptr_t)s, &conf_used);
}

struct asyncd_settings *
conf_settings_new(const struct asyncd_conf *conf, size_t app, char *err,
    size_t errlen)
{
	struct asyncd_settings *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->g = conf->apps[app].settings;
	s->where = conf->apps[app].where;
	s->x.conf = (struct asyncd_conf *)(uintptr_t)conf;
	s->x.path = conf->path;
	s->x.text = conf->text;
	s->x.err = err;
	s->x.errlen = errlen;
	s->root = s;
	if (s->g != NULL)
		conf_unmark(s->g);
	return s;
}

void
conf_settings_free(struct asyncd_settings *s)
{
	struct asyncd_settings *e, *next;

	if (s == NULL)
		return;
	for (e = s->next; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(s);
}

/* The first setting of g not read (depth first), or NULL. */
static const config_setting_t *
conf_unread(const config_setting_t *g)
{
	const config_setting_t *e, *u;
	int i;

	for (i = 0; (e = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if (config_setting_get_hook(e) != &conf_used)
			return e;
		if (config_setting_is_aggregate(e) &&
		    config_setting_type(e) != CONFIG_TYPE_ARRAY &&
		    (u = conf_unread(e)) != NULL)
			return u;
	}
	return NULL;
}

int
conf_settings_finish(struct asyncd_settings *s)
{
	const config_setting_t *u;

	if (s->g == NULL || (u = conf_unread(s->g)) == NULL)
		return 0;
	/* A list's elements are groups: an unread one was never asked for. */
	if (config_setting_name(u) == NULL)
		return conf_fail(&s->x, u, "not read by the app (does it take "
		    "this list?)");
	return conf_fail(&s->x, u, "unknown setting of the app");
}

int
conf_app_fail(const struct asyncd_conf *conf, size_t app, char *err,
    size_t errlen, const char *fmt, ...)
{
	struct conf_ctx x = { (struct asyncd_conf *)(uintptr_t)conf,
	    conf->path, conf->text, err, errlen, 0, { NULL } };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (conf->apps[app].where == NULL) {
		(void)snprintf(err, errlen, "%s: app %s: %s", conf->path,
		    conf->apps[app].name, msg);
		return -1;
	}
	return conf_fail(&x, conf->apps[app].where, "app %s: %s",
	    conf->apps[app].name, msg);
}

/* The member called name of s's group, marked read; NULL if absent. */
static const config_setting_t *
conf_member(const struct asyncd_settings *s, const char *name)
{
	const config_setting_t *m;

	if (s->g == NULL || name == NULL ||
	    (m = config_setting_get_member(s->g, name)) == NULL)
		return NULL;
	conf_mark(m);
	return m;
}

int
asyncd_settings_int(const struct asyncd_settings *s, const char *name,
    long long def, long long lo, long long hi, long long *out)
{
	const config_setting_t *m = conf_member(s, name);

	if (m == NULL) {
		*out = def;
		return 0;
	}
	return conf_int((struct conf_ctx *)(uintptr_t)&s->x, m, lo, hi, out);
}

int
asyncd_settings_number(const struct asyncd_settings *s, const char *name,
    double def, double lo, double hi, double *out)
{
	const config_setting_t *m = conf_member(s, name);

	if (m == NULL) {
		*out = def;
		return 0;
	}
	return conf_number((struct conf_ctx *)(uintptr_t)&s->x, m, lo, hi,
	    out);
}

int
asyncd_settings_bool(const struct asyncd_settings *s, const char *name,
    int def, int *out)
{
	const config_setting_t *m = conf_member(s, name);

	if (m == NULL) {
		*out = def;
		return 0;
	}
	return conf_bool((struct conf_ctx *)(uintptr_t)&s->x, m, out);
}

int
asyncd_settings_string(const struct asyncd_settings *s, const char *name,
    const char *def, const char **out)
{
	const config_setting_t *m = conf_member(s, name);

	if (m == NULL) {
		*out = def;
		return 0;
	}
	return conf_string((struct conf_ctx *)(uintptr_t)&s->x, m, "a string",
	    out);
}

int
asyncd_settings_count(const struct asyncd_settings *s, const char *name)
{
	const config_setting_t *m = conf_member(s, name), *e;
	char v[128];
	int i, n;

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_LIST)
		goto bad;
	n = config_setting_length(m);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(m, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			goto bad;
	}
	return n;
bad:
	conf_value(m, v, sizeof(v));
	return conf_fail((struct conf_ctx *)(uintptr_t)&s->x, m, "must be a "
	    "list of groups ( { ... }, ... ), not %s", v);
}

const struct asyncd_settings *
asyncd_settings_elem(const struct asyncd_settings *s, const char *name, int i)
{
	const config_setting_t *m = conf_member(s, name), *e;
	struct asyncd_settings *el;

	if (m == NULL || i < 0 || config_setting_type(m) != CONFIG_TYPE_LIST ||
	    (e = config_setting_get_elem(m, (unsigned)i)) == NULL ||
	    config_setting_type(e) != CONFIG_TYPE_GROUP)
		return NULL;
	if ((el = calloc(1, sizeof(*el))) == NULL)
		return NULL;
	conf_mark(e);
	el->g = e;
	el->where = s->where;
	el->x = s->x;
	el->root = s->root;
	el->next = s->root->next;
	s->root->next = el;
	return el;
}

int
asyncd_settings_fail(const struct asyncd_settings *s, const char *name,
    const char *fmt, ...)
{
	const config_setting_t *at = name != NULL && s->g != NULL ?
	    config_setting_get_member(s->g, name) : NULL;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at == NULL)
		at = s->g;
	if (at == NULL)
		return conf_fail((struct conf_ctx *)(uintptr_t)&s->x, s->where,
		    "settings%s%s: %s", name != NULL ? "." : "", name != NULL ?
		    name : "", msg);
	return conf_fail((struct conf_ctx *)(uintptr_t)&s->x, at, "%s", msg);
}

/* ---- 32-bit integer literals ---------------------------------------------- */

/*
 * Why a lexer of our own: libconfig 1.5 (Debian's) stores a too large
 * literal already wrapped, as a plain 32-bit int of the right line, so
 * nothing its API returns tells 705032704 written from 5000000000 written;
 * and it has no hook to see a literal as it scans (1.7's include function
 * is about files, not values).  So the text libconfig parsed (well-formed,
 * @includes expanded by conftext.c) is lexed again here, only as far as
 * telling numbers from names, strings and comments.
 */
struct conf_lex {
	const char	*buf;		/* NUL-terminated */
	size_t		 len, i;
	unsigned	 line;		/* of buf[i], in the expanded text */
};

#define CONF_LEX_DIGITS		"0123456789"
#define CONF_LEX_XDIGITS	"0123456789abcdefABCDEF"
#define CONF_LEX_ALPHA		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define CONF_LEX_NAME		CONF_LEX_ALPHA CONF_LEX_DIGITS "-_*"

/* Whether the byte k ahead is one of set (never the terminating NUL). */
static int
conf_lex_at(const struct conf_lex *lx, size_t k, const char *set)
{
	char c;

	if (lx->i + k >= lx->len || (c = lx->buf[lx->i + k]) == '\0')
		return 0;
	return strchr(set, c) != NULL;
}

static void
conf_lex_while(struct conf_lex *lx, const char *set)
{
	while (conf_lex_at(lx, 0, set))
		lx->i++;
}

/* Skips past the end of a block comment or a string, counting lines. */
static void
conf_lex_skip_to(struct conf_lex *lx, const char *end, int escapes)
{
	size_t n = strlen(end);

	while (lx->i < lx->len && strncmp(lx->buf + lx->i, end, n) != 0) {
		if (escapes && lx->buf[lx->i] == '\\' && lx->i + 1 < lx->len)
			lx->i++;
		if (lx->buf[lx->i] == '\n')
			lx->line++;
		lx->i++;
	}
	lx->i += n;
}

/* At a number: skips it; -1 with the error set if libconfig wrapped it. */
static int
conf_lex_number(struct conf_ctx *x, struct conf_lex *lx)
{
	size_t start = lx->i, n;
	int hex = lx->buf[lx->i] == '0' && conf_lex_at(lx, 1, "xX");
	unsigned long long v;
	const char *file;
	unsigned fline;
	char num[64];

	if (hex)
		lx->i += 2;
	conf_lex_while(lx, hex ? CONF_LEX_XDIGITS : CONF_LEX_DIGITS);
	n = lx->i - start;
	if (!hex && conf_lex_at(lx, 0, ".eE")) {
		conf_lex_while(lx, CONF_LEX_DIGITS ".eE+-");	/* a float */
		return 0;
	}
	if (conf_lex_at(lx, 0, "L"))
		return 0;		/* 64-bit, as asked */
	if (n >= sizeof(num))
		n = sizeof(num) - 1;	/* still too large: errno says so */
	memcpy(num, lx->buf + start, n);
	num[n] = '\0';
	errno = 0;
	v = strtoull(num, NULL, hex ? 16 : 10);
	if (errno != ERANGE && v <= INT32_MAX)
		return 0;
	file = conf_text_where(x->text, lx->line, &fline);
	(void)snprintf(x->err, x->errlen, "%s:%u: %s is too large for a "
	    "32-bit integer (libconfig would wrap it; write %sL if you mean "
	    "it)", file, fline, num, num);
	return -1;
}

/*
 * Finds integer literals that libconfig 1.5 wrapped: decimal above
 * INT32_MAX or hex above 0x7fffffff, without the L suffix.  0, or -1 with
 * the error set.
 */
static int
conf_scan(struct conf_ctx *x)
{
	struct conf_lex lx = { x->text->buf, x->text->len, 0, 1 };
	char c;

	while (lx.i < lx.len) {
		c = lx.buf[lx.i];
		if (c == '\n') {
			lx.line++;
			lx.i++;
		} else if (c == '#' || (c == '/' && conf_lex_at(&lx, 1, "/"))) {
			while (lx.i < lx.len && lx.buf[lx.i] != '\n')
				lx.i++;
		} else if (c == '/' && conf_lex_at(&lx, 1, "*")) {
			lx.i += 2;
			conf_lex_skip_to(&lx, "*/", 0);
		} else if (c == '"') {
			lx.i++;
			conf_lex_skip_to(&lx, "\"", 1);
		} else if (conf_lex_at(&lx, 0, CONF_LEX_ALPHA "*")) {
			/* A name (or true/false): its digits are not numbers. */
			conf_lex_while(&lx, CONF_LEX_NAME);
		} else if (conf_lex_at(&lx, 0, CONF_LEX_DIGITS) ||
		    (c == '.' && conf_lex_at(&lx, 1, CONF_LEX_DIGITS))) {
			if (conf_lex_number(x, &lx) == -1)
				return -1;
		} else
			lx.i++;
	}
	return 0;
}

/* ---- load, dump, free ----------------------------------------------------- */

int
conf_init(struct asyncd_conf *c)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->listen[0].addr, sizeof(c->listen[0].addr), "%s",
	    CONF_DEFAULT_LISTEN);
	(void)snprintf(c->listen[0].host, sizeof(c->listen[0].host),
	    "127.0.0.1");
	c->listen[0].port = 8000;
	c->listen[0].backlog = CONF_DEFAULT_BACKLOG;
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
	c->timeouts.drain = CONF_DEFAULT_TIMEOUT_DRAIN;
	c->timeouts.heartbeat = CONF_DEFAULT_TIMEOUT_HEARTBEAT;
	c->timeouts.ready = CONF_DEFAULT_TIMEOUT_READY;
	c->log_level = LOG_LEVEL_INFO;
	c->access_escape = HTTP_LOGFMT_ESC_DEFAULT;
	c->access_flush = 1;
	if ((c->access_format = strdup("combined")) == NULL ||
	    http_logfmt_compile(&c->access_fmt, HTTP_LOGFMT_COMBINED,
	    HTTP_LOGFMT_ESC_DEFAULT, NULL, 0) != 0)
		return -1;
	c->error_log = strdup("stderr");
	c->syslog_facility = LOG_FACILITY_DAEMON;
	c->syslog_socket = strdup(CONF_DEFAULT_SYSLOG_SOCKET);
	c->server_name = strdup(CONF_DEFAULT_SERVER_NAME);
	c->stats_path = strdup(CONF_DEFAULT_STATS_PATH);
	c->metrics_path = strdup(CONF_DEFAULT_METRICS_PATH);
	c->healthz_path = strdup(CONF_DEFAULT_HEALTHZ_PATH);
	c->tasks_path = strdup(CONF_DEFAULT_TASKS_PATH);
	if (c->error_log == NULL || c->syslog_socket == NULL ||
	    c->server_name == NULL ||
	    c->stats_path == NULL || c->metrics_path == NULL ||
	    c->healthz_path == NULL || c->tasks_path == NULL) {
		conf_free(c);
		return -1;
	}
	return 0;
}

/*
 * Reads the file and its @includes (conftext.c) and has libconfig parse
 * them into c->cf, keeping both with the configuration (the apps' settings
 * live in them).  0, or -1 with the error set.
 */
static int
conf_parse(struct conf_ctx *x, const char *path)
{
	struct asyncd_conf *c = x->conf;
	struct conf_text *tp;
	config_t *cfp;
	const char *file;
	unsigned line;

	if ((c->text = tp = calloc(1, sizeof(*tp))) == NULL ||
	    (c->cf = cfp = calloc(1, sizeof(*cfp))) == NULL)
		goto nomem;
	config_init(cfp);		/* before anything can fail: conf_free */
	if ((c->path = strdup(path)) == NULL)
		goto nomem;
	if (conf_text_read(tp, path, x->err, x->errlen) == -1)
		return -1;
	x->text = tp;
	/*
	 * conftext.c expanded every @include; should libconfig still see
	 * one, it must fail to open it, never open a directory (and exit)
	 * or a FIFO (and block): nothing can be opened under /dev/null.
	 */
	config_set_include_dir(cfp, "/dev/null");
	if (config_read_string(cfp, tp->buf) == CONFIG_FALSE) {
		file = conf_text_where(tp, (unsigned)config_error_line(cfp),
		    &line);
		(void)snprintf(x->err, x->errlen, "%s:%u: %s", file, line,
		    config_error_text(cfp));
		return -1;
	}
	return conf_scan(x);
nomem:
	(void)snprintf(x->err, x->errlen, "%s: out of memory", path);
	return -1;
}

/* Walks every setting of the parsed tree into x->conf.  0 or -1. */
static int
conf_walk(struct conf_ctx *x)
{
	const config_setting_t *root, *s;
	struct asyncd_conf *c = x->conf;
	int i, k;

	root = config_root_setting((const config_t *)c->cf);
	for (i = 0; (s = config_setting_get_elem(root, (unsigned)i)) != NULL;
	    i++) {
		if ((k = conf_lookup(x, s, conf_root_names)) == -1)
			return -1;
		/* No duplicate to check: libconfig rejects them. */
		if (conf_root_fns[k](x, s) == -1)
			return -1;
	}
	if (conf_check_stats(x) == -1)
		return -1;
	if (c->have_uid && !c->have_gid) {
		c->gid = x->user_gid;
		c->have_gid = 1;
	}
	return 0;
}

int
conf_load(const char *path, struct asyncd_conf *conf, char *err,
    size_t errlen)
{
	struct asyncd_conf c;
	struct conf_ctx x = { &c, path, NULL, err, errlen, 0, { NULL } };

	memset(conf, 0, sizeof(*conf));
	if (conf_init(&c) == -1) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (conf_parse(&x, path) == -1 || conf_walk(&x) == -1) {
		conf_free(&c);
		return -1;
	}
	*conf = c;
	return 0;
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

/* A setting's value (an app's settings) in libconfig syntax, recursively;
 * depth is the indentation of the line it is on. */
static void
conf_dump_setting(FILE *fp, const config_setting_t *s, int depth)
{
	const config_setting_t *e;
	int i, n, t = config_setting_type(s), j;

	switch (t) {
	case CONFIG_TYPE_INT:
		(void)fprintf(fp, "%d", config_setting_get_int(s));
		break;
	case CONFIG_TYPE_INT64:
		(void)fprintf(fp, "%lldL",
		    (long long)config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		conf_dump_number(fp, config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		(void)fprintf(fp, "%s", config_setting_get_bool(s) ? "true" :
		    "false");
		break;
	case CONFIG_TYPE_STRING:
		conf_dump_string(fp, config_setting_get_string(s));
		break;
	case CONFIG_TYPE_GROUP:
		(void)fprintf(fp, "{\n");
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned)i);
			for (j = 0; j <= depth; j++)
				(void)fputc('\t', fp);
			(void)fprintf(fp, "%s = ", config_setting_name(e));
			conf_dump_setting(fp, e, depth + 1);
			(void)fprintf(fp, ";\n");
		}
		for (j = 0; j < depth; j++)
			(void)fputc('\t', fp);
		(void)fprintf(fp, "}");
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		(void)fprintf(fp, "%s", t == CONFIG_TYPE_ARRAY ? "[ " : "( ");
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			if (i > 0)
				(void)fprintf(fp, ", ");
			conf_dump_setting(fp, config_setting_get_elem(s,
			    (unsigned)i), depth + 1);
		}
		(void)fprintf(fp, "%s", t == CONFIG_TYPE_ARRAY ? " ]" : " )");
		break;
	}
}

void
conf_dump(FILE *fp, const struct asyncd_conf *c)
{
	const struct conf_timeouts *to = &c->timeouts;
	char entry[CONF_ADDR_MAX + 128];
	size_t i;

	(void)fprintf(fp, "# the effective configuration of %s\n",
	    c->path != NULL ? c->path : "(defaults)");
	(void)fprintf(fp, "listen = [ ");
	for (i = 0; i < c->nlisten; i++) {
		(void)fprintf(fp, "%s", i ? ", " : "");
		(void)snprintf(entry, sizeof(entry), "%s", c->listen[i].addr);
		conf_listen_opts_print(&c->listen[i], entry, sizeof(entry));
		conf_dump_string(fp, entry);
	}
	(void)fprintf(fp, " ];\ntrusted_proxies = [ ");
	for (i = 0; i < c->ntrusted; i++) {
		(void)fprintf(fp, "%s", i ? ", " : "");
		http_cidr_format(&c->trusted[i], entry, sizeof(entry));
		conf_dump_string(fp, entry);
	}
	(void)fprintf(fp, "%s];\n", c->ntrusted > 0 ? " " : "");
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
	(void)fprintf(fp, ";\n\tdrain = ");
	conf_dump_number(fp, to->drain);
	(void)fprintf(fp, ";\n\theartbeat = ");
	conf_dump_number(fp, to->heartbeat);
	(void)fprintf(fp, ";\n\tready = ");
	conf_dump_number(fp, to->ready);
	(void)fprintf(fp, ";\n};\n");
	(void)fprintf(fp, "log = {\n\terror = ");
	conf_dump_string(fp, c->error_log != NULL ? c->error_log : "stderr");
	(void)fprintf(fp, ";\n\tlevel = \"%s\";\n"
	    "\tsyslog_facility = \"%s\";\n\tsyslog_socket = ",
	    log_level_name(c->log_level),
	    log_facility_name(c->syslog_facility) != NULL ?
	    log_facility_name(c->syslog_facility) : "daemon");
	conf_dump_string(fp, c->syslog_socket != NULL ? c->syslog_socket :
	    CONF_DEFAULT_SYSLOG_SOCKET);
	(void)fprintf(fp, ";\n\taccess = ");
	conf_dump_string(fp, c->access_log != NULL ? c->access_log : "off");
	(void)fprintf(fp, ";\n\tformat = ");
	conf_dump_string(fp, c->access_format);
	(void)fprintf(fp, ";\n\tescape = \"%s\";\n\tflush = ",
	    c->access_escape == HTTP_LOGFMT_ESC_JSON ? "json" : "default");
	conf_dump_number(fp, c->access_flush);
	(void)fprintf(fp, ";\n};\n");
	(void)fprintf(fp, "stats = {\n\tpath = ");
	conf_dump_string(fp, c->stats_path != NULL ? c->stats_path : "off");
	(void)fprintf(fp, ";\n\tmetrics = ");
	conf_dump_string(fp, c->metrics_path != NULL ? c->metrics_path :
	    "off");
	(void)fprintf(fp, ";\n");
	(void)fprintf(fp, "\thealthz = ");
	conf_dump_string(fp, c->healthz_path != NULL ? c->healthz_path :
	    "off");
	(void)fprintf(fp, ";\n\tlisten = ");
	(void)snprintf(entry, sizeof(entry), "%s", c->has_stats_listen ?
	    c->stats_listen.addr : "off");
	if (c->has_stats_listen)
		conf_listen_opts_print(&c->stats_listen, entry, sizeof(entry));
	conf_dump_string(fp, entry);
	(void)fprintf(fp, ";\n\ttasks = ");
	conf_dump_string(fp, c->tasks_path != NULL ? c->tasks_path : "off");
	(void)fprintf(fp, ";\n};\n");
	(void)fprintf(fp, "apps = (");
	for (i = 0; i < c->napps; i++) {
		const struct conf_app *a = &c->apps[i];

		(void)fprintf(fp, "%s\n\t{\n\t\tname = ", i ? "," : "");
		conf_dump_string(fp, a->name);
		(void)fprintf(fp, ";\n\t\tmodule = ");
		conf_dump_string(fp, a->module);
		(void)fprintf(fp, ";\n\t\tmount = ");
		conf_dump_string(fp, a->mount);
		(void)fprintf(fp, ";\n");
		if (a->opts.body_max != 0)
			(void)fprintf(fp, "\t\tbody = %lluL;\n",
			    (unsigned long long)a->opts.body_max);
		if (a->opts.timeout != 0) {
			(void)fprintf(fp, "\t\ttimeout = ");
			conf_dump_number(fp, a->opts.timeout);
			(void)fprintf(fp, ";\n");
		}
		if (a->opts.stack_size != 0)
			(void)fprintf(fp, "\t\tstack_size = %zu;\n",
			    a->opts.stack_size);
		if (a->opts.cancel_on_disconnect)
			(void)fprintf(fp, "\t\tcancel_on_disconnect = true;\n");
		if (a->settings != NULL) {
			(void)fprintf(fp, "\t\tsettings = ");
			conf_dump_setting(fp, a->settings, 2);
			(void)fprintf(fp, ";\n");
		}
		(void)fprintf(fp, "\t}");
	}
	(void)fprintf(fp, "%s);\n", c->napps > 0 ? "\n" : "");
	(void)fprintf(fp, "server_name = ");
	conf_dump_string(fp, c->server_name != NULL ? c->server_name : "");
	(void)fprintf(fp, ";\n");
}

void
conf_free(struct asyncd_conf *c)
{
	size_t i;

	free(c->path);
	free(c->error_log);
	free(c->syslog_socket);
	free(c->access_log);
	free(c->access_format);
	free(c->server_name);
	free(c->user);
	free(c->group);
	free(c->pid_file);
	free(c->stats_path);
	free(c->metrics_path);
	free(c->healthz_path);
	free(c->tasks_path);
	for (i = 0; i < c->napps; i++) {
		free(c->apps[i].name);
		free(c->apps[i].module);
		free(c->apps[i].mount);
	}
	if (c->cf != NULL) {
		config_destroy(c->cf);
		free(c->cf);
	}
	if (c->text != NULL) {
		conf_text_free(c->text);
		free(c->text);
	}
	memset(c, 0, sizeof(*c));
}
