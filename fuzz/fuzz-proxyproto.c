/*
 * fuzz-proxyproto.c - libFuzzer target for src/http/proxyproto.c (the
 * PROXY protocol header) and src/http/realip.c (CIDRs, X-Forwarded-For).
 *
 * The input is what a connection sent first, in a heap block of exactly
 * its size (ASan sees a read past it).  Checked:
 *   - the answer is AGAIN, INVALID, or a length within the input and
 *     HTTP_PROXY_MAX, and never AGAIN once HTTP_PROXY_MAX bytes are there;
 *   - it agrees with the answer for the input less its last byte: a
 *     header found there is found again (bytes after a header are the
 *     request's, never the header's), a refusal stays a refusal, and a
 *     header ending at the last byte was AGAIN without it;
 *   - a header's addresses are IPv4 or IPv6 with their lengths.
 * The same bytes are then an X-Forwarded-For value walked for a trusted
 * peer (the client stays an IPv4 or IPv6 address), and, up to a NUL, a
 * CIDR: one that parses prints back as one that parses the same.
 *
 * Built with -DFUZZ_REPLAY it has a main() that runs every file of a corpus
 * directory (argv[1], or $top_srcdir/fuzz/corpus/proxyproto) through the
 * same checks, for `make check` without clang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static void
fail(const char *what, size_t size)
{
	fprintf(stderr, "fuzz-proxyproto: invariant broken: %s (input %zu "
	    "bytes)\n", what, size);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
parse_exact(const uint8_t *data, size_t size, struct http_proxy_hdr *h)
{
	uint8_t *copy = malloc(size > 0 ? size : 1);
	int r;

	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	r = http_proxy_parse(copy, size, h);
	free(copy);
	return r;
}

static void
check_sa(const struct sockaddr_storage *ss, socklen_t len, size_t size)
{
	if (!(ss->ss_family == AF_INET && len == sizeof(struct sockaddr_in)) &&
	    !(ss->ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6)))
		fail("an address of another family or length", size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_proxy_hdr h, hp;
	struct http_cidr set[2], c, c2;
	struct sockaddr_storage client;
	socklen_t clen;
	char s[128], why[128], back[128];
	int r, rp;

	r = parse_exact(data, size, &h);
	if (r != HTTP_PROXY_AGAIN && r != HTTP_PROXY_INVALID &&
	    (r < 0 || (size_t)r > size || r > HTTP_PROXY_MAX))
		fail("a length outside the input", size);
	if (r == HTTP_PROXY_AGAIN && size >= HTTP_PROXY_MAX)
		fail("AGAIN past HTTP_PROXY_MAX", size);
	if (r > 0 && h.has_addr) {
		check_sa(&h.src, h.srclen, size);
		check_sa(&h.dst, h.dstlen, size);
		if (h.src.ss_family != h.dst.ss_family)
			fail("two families", size);
	}
	if (r > 0 && h.version != 1 && h.version != 2)
		fail("a version other than 1 and 2", size);
	if (size > 0) {
		rp = parse_exact(data, size - 1, &hp);
		if (rp == HTTP_PROXY_INVALID && r != HTTP_PROXY_INVALID)
			fail("a refusal taken back by one more byte", size);
		if (rp > 0 && r != rp)
			fail("a header changed by a byte after it", size);
		if (r > 0 && (size_t)r == size && rp != HTTP_PROXY_AGAIN)
			fail("a header whole before its last byte", size);
	}

	/* X-Forwarded-For from a trusted peer 10.0.0.1. */
	if (http_cidr_parse("10.0.0.0/8", &set[0], why, sizeof(why)) != 0 ||
	    http_cidr_parse("2001:db8::/32", &set[1], why, sizeof(why)) != 0)
		fail("the trusted set", size);
	memset(&client, 0, sizeof(client));
	client.ss_family = AF_INET;
	((struct sockaddr_in *)(void *)&client)->sin_addr.s_addr =
	    htonl(0x0a000001);
	clen = sizeof(struct sockaddr_in);
	r = http_xff_walk(set, 2, (const char *)data, size, &client, &clen);
	if (r != 0 && r != 1)
		fail("xff: neither 0 nor 1", size);
	check_sa(&client, clen, size);

	/* A CIDR, up to the first NUL. */
	(void)snprintf(s, sizeof(s), "%.*s", (int)(size < sizeof(s) - 1 ?
	    size : sizeof(s) - 1), (const char *)data);
	if (http_cidr_parse(s, &c, why, sizeof(why)) == 0) {
		http_cidr_format(&c, back, sizeof(back));
		if (http_cidr_parse(back, &c2, why, sizeof(why)) != 0 ||
		    memcmp(&c, &c2, sizeof(c)) != 0)
			fail("a CIDR that does not print back", size);
	}
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
		(void)snprintf(dir, sizeof(dir), "%s/fuzz/corpus/proxyproto",
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
	printf("fuzz-proxyproto: %zu inputs replayed\n", files);
	return files > 0 ? 0 : 1;
}
#endif
