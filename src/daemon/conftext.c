/*
 * conftext.c - the text of a configuration: the file with its @includes
 * expanded in place, and where each line of that text came from.
 *
 * libconfig 1.5 cannot be trusted with files.  Its scanner calls exit(2)
 * ("input in flex scanner failed") when an @include names a directory or
 * "", which on a reload killed the master and every worker; an @include of
 * a FIFO blocks it in open() for as long as no one writes; an absolute
 * @include never works (it always prefixes the include directory).  So
 * libconfig never opens a file here: this reads the main file and every
 * @include itself, each opened without blocking and checked to be a
 * regular file of a bounded size, with a depth limit, and hands libconfig
 * one string.  A line map then turns libconfig's line numbers (in that
 * string) back into FILE:LINE for every message.
 *
 * An @include is recognised as libconfig 1.5 does: at the start of a line
 * (after spaces and tabs), outside strings and comments, `@include "NAME"`.
 * A relative NAME is taken from the main file's directory (libconfig's
 * include directory), an absolute one as is.  The rest of the directive's
 * line is kept, on a line of its own mapped to the directive's line.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define CONF_TEXT_DEPTH		10		/* libconfig's own limit */
#define CONF_TEXT_FILE_MAX	(1024 * 1024)	/* one file */
#define CONF_TEXT_MAX		(4 * 1024 * 1024) /* all of them */
#define CONF_TEXT_FILES_MAX	256

/* Where one line of the text came from. */
struct conf_text_line {
	uint32_t	 file;		/* index in files[] */
	uint32_t	 line;		/* 1-based, in that file */
};

/* A read in progress. */
struct conf_reader {
	struct conf_text *t;
	const char	*dir;		/* of the main file; NULL: the cwd */
	char		*err;
	size_t		 errlen;
	int		 at_bol;	/* the next byte starts a text line */
	size_t		 lines_cap;
	size_t		 buf_cap;
};

static int __attribute__((format(printf, 2, 3)))
conf_text_fail(struct conf_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
conf_text_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap != 0 ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((np = realloc(*p, n * size)) == NULL)
		return -1;
	*p = np;
	*cap = n;
	return 0;
}

/* Appends src[0, n) of file (its line *line) to the text, mapping each new
 * text line; *line follows the newlines. */
static int
conf_text_emit(struct conf_reader *r, uint32_t file, uint32_t *line,
    const char *src, size_t n)
{
	struct conf_text *t = r->t;
	size_t i;

	if (t->len + n + 2 > CONF_TEXT_MAX)
		return conf_text_fail(r, "%s: the configuration with its "
		    "@includes is larger than %d bytes", t->files[0],
		    CONF_TEXT_MAX);
	if (conf_text_grow((void **)&t->buf, &r->buf_cap, t->len + n + 2, 1)
	    != 0)
		return conf_text_fail(r, "%s: out of memory", t->files[0]);
	for (i = 0; i < n; i++) {
		if (r->at_bol) {
			if (conf_text_grow((void **)&t->lines, &r->lines_cap,
			    t->nlines + 1, sizeof(*t->lines)) != 0)
				return conf_text_fail(r, "%s: out of memory",
				    t->files[0]);
			t->lines[t->nlines].file = file;
			t->lines[t->nlines].line = *line;
			t->nlines++;
			r->at_bol = 0;
		}
		t->buf[t->len++] = src[i];
		if (src[i] == '\n') {
			(*line)++;
			r->at_bol = 1;
		}
	}
	t->buf[t->len] = '\0';
	return 0;
}

/* Why a file that is not regular cannot be read as a configuration. */
static const char *
conf_text_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Reads path whole into *out (NUL-terminated, *len bytes): opened without
 * blocking (a FIFO must not hang us), a regular file, at most
 * CONF_TEXT_FILE_MAX bytes, no NUL.  where prefixes the messages.
 */
static int
conf_text_slurp(struct conf_reader *r, const char *path, const char *where,
    char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t k;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return conf_text_fail(r, "%s%s: %s", where, path,
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		(void)conf_text_fail(r, "%s%s: %s", where, path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)conf_text_fail(r, "%s%s: %s, not a configuration file",
		    where, path, conf_text_kind(st.st_mode));
		goto fail;
	}
	if (st.st_size > CONF_TEXT_FILE_MAX) {
		(void)conf_text_fail(r, "%s%s: larger than %d bytes", where,
		    path, CONF_TEXT_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)conf_text_fail(r, "%s%s: out of memory", where, path);
		goto fail;
	}
	/* The size may change under us: read what fits, then check EOF. */
	while (n < (size_t)st.st_size) {
		k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			(void)conf_text_fail(r, "%s%s: %s", where, path,
			    strerror(errno));
			goto fail;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	(void)close(fd);	/* read-only: nothing to lose */
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		free(buf);
		return conf_text_fail(r, "%s%s: a NUL byte: not a "
		    "configuration file", where, path);
	}
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	(void)close(fd);
	return -1;
}

static int	conf_text_file(struct conf_reader *r, const char *path,
		    const char *where, int depth);

/*
 * The @include at src[*i] (its '@'), line line of file, name shown: reads
 * the named file into the text and moves *i past the closing quote.
 */
static int
conf_text_include(struct conf_reader *r, const char *src, size_t len,
    size_t *i, const char *shown, uint32_t line, int depth)
{
	char name[PATH_MAX], path[PATH_MAX], where[PATH_MAX + 32];
	size_t j = *i + 8, start;

	while (j < len && (src[j] == ' ' || src[j] == '\t'))
		j++;
	if (j >= len || src[j] != '"')
		return conf_text_fail(r, "%s:%u: @include: expected a file "
		    "name in quotes", shown, line);
	start = ++j;
	while (j < len && src[j] != '"' && src[j] != '\n' && src[j] != '\\')
		j++;
	if (j >= len || src[j] != '"')
		return conf_text_fail(r, "%s:%u: @include: the file name must "
		    "be one line, without escapes, in quotes", shown, line);
	if (j == start)
		return conf_text_fail(r, "%s:%u: @include: an empty file name",
		    shown, line);
	if (j - start >= sizeof(name))
		return conf_text_fail(r, "%s:%u: @include: the file name is "
		    "too long", shown, line);
	memcpy(name, src + start, j - start);
	name[j - start] = '\0';
	if (depth + 1 > CONF_TEXT_DEPTH)
		return conf_text_fail(r, "%s:%u: @include \"%s\": nested more "
		    "than %d deep (does it include itself?)", shown, line, name,
		    CONF_TEXT_DEPTH);
	if (name[0] == '/' || r->dir == NULL)
		(void)snprintf(path, sizeof(path), "%s", name);
	else if (snprintf(path, sizeof(path), "%s/%s", r->dir, name) >=
	    (int)sizeof(path))
		return conf_text_fail(r, "%s:%u: @include: the path is too "
		    "long", shown, line);
	(void)snprintf(where, sizeof(where), "%s:%u: @include ", shown, line);
	*i = j;		/* the closing quote */
	return conf_text_file(r, path, where, depth + 1);
}

/* Reads path (and its @includes) into the text. */
static int
conf_text_file(struct conf_reader *r, const char *path, const char *where,
    int depth)
{
	enum { NORMAL, STRING, LINE_COMMENT, BLOCK_COMMENT } state = NORMAL;
	struct conf_text *t = r->t;
	uint32_t fi, line = 1, eline = 1;
	size_t len = 0, i, seg = 0;
	char *src = NULL, **files;
	int bol = 1, rc = -1;
	const char *shown;

	if (t->nfiles == CONF_TEXT_FILES_MAX)
		return conf_text_fail(r, "%s%s: more than %d files included",
		    where, path, CONF_TEXT_FILES_MAX);
	if (conf_text_slurp(r, path, where, &src, &len) != 0)
		return -1;
	if ((files = realloc(t->files, (t->nfiles + 1) * sizeof(*files)))
	    == NULL || (files[t->nfiles] = strdup(path)) == NULL) {
		if (files != NULL)
			t->files = files;
		free(src);
		return conf_text_fail(r, "%s: out of memory", path);
	}
	t->files = files;
	fi = (uint32_t)t->nfiles++;
	shown = t->files[fi];

	for (i = 0; i < len; i++) {
		char c = src[i], d = i + 1 < len ? src[i + 1] : '\0';

		switch (state) {
		case NORMAL:
			if (bol && (c == ' ' || c == '\t'))
				break;
			if (bol && c == '@' && strncmp(src + i, "@include", 8)
			    == 0) {
				if (conf_text_emit(r, fi, &eline, src + seg,
				    i - seg) != 0)
					goto out;
				if (conf_text_include(r, src, len, &i, shown,
				    line, depth) != 0)
					goto out;
				/* The rest of the directive's line goes on
				 * a text line of its own. */
				if (!r->at_bol && conf_text_emit(r, fi, &eline,
				    "\n", 1) != 0)
					goto out;
				eline = line;
				seg = i + 1;
				bol = 0;
				continue;
			}
			bol = 0;
			if (c == '"')
				state = STRING;
			else if (c == '#' || (c == '/' && d == '/'))
				state = LINE_COMMENT;
			else if (c == '/' && d == '*') {
				state = BLOCK_COMMENT;
				i++;
			}
			break;
		case STRING:
			if (c == '\\' && d != '\0' && d != '\n')
				i++;
			else if (c == '"')
				state = NORMAL;
			break;
		case LINE_COMMENT:
			break;
		case BLOCK_COMMENT:
			if (c == '*' && d == '/') {
				state = NORMAL;
				i++;
			}
			break;
		}
		if (src[i] == '\n') {
			line++;
			bol = 1;
			if (state == LINE_COMMENT)
				state = NORMAL;
		}
	}
	if (conf_text_emit(r, fi, &eline, src + seg, len - seg) != 0)
		goto out;
	/* An included file's last line ends with it (the main file's is
	 * left as it is, for libconfig's line at the end of the text). */
	if (depth > 0 && !r->at_bol &&
	    conf_text_emit(r, fi, &eline, "\n", 1) != 0)
		goto out;
	rc = 0;
out:
	free(src);
	return rc;
}

int
conf_text_read(struct conf_text *t, const char *path, char *err,
    size_t errlen)
{
	struct conf_reader r;
	char *dir = NULL, *slash;
	int rc;

	memset(t, 0, sizeof(*t));
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.err = err;
	r.errlen = errlen;
	r.at_bol = 1;
	/* Relative @includes: from the main file's directory. */
	if ((slash = strrchr(path, '/')) != NULL) {
		if ((dir = strdup(path)) == NULL) {
			(void)snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		dir[slash - path + (slash == path)] = '\0';	/* "/x" -> "/" */
		r.dir = dir;
	}
	rc = conf_text_file(&r, path, "", 0);
	free(dir);
	if (rc == 0 && t->buf == NULL) {
		/* An empty file: an empty text. */
		if ((t->buf = strdup("")) == NULL) {
			(void)snprintf(err, errlen, "%s: out of memory", path);
			rc = -1;
		}
	}
	if (rc != 0)
		conf_text_free(t);
	return rc;
}

const char *
conf_text_where(const struct conf_text *t, unsigned line, unsigned *file_line)
{
	if (t->nlines == 0) {
		*file_line = line;
		return t->nfiles > 0 ? t->files[0] : "";
	}
	/* libconfig blames the line after the last for an error at the end
	 * of the text (tests/unit/test-daemon-config.c keeps it so). */
	if (line == 0)
		line = 1;
	if (line > t->nlines) {
		*file_line = t->lines[t->nlines - 1].line + 1;
		return t->files[t->lines[t->nlines - 1].file];
	}
	*file_line = t->lines[line - 1].line;
	return t->files[t->lines[line - 1].file];
}

void
conf_text_free(struct conf_text *t)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->buf);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}
