/* cidr: see cidr.h */
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "control.h"
#include "grow.h"

/* An address as 16 bytes; IPv4 and IPv4-mapped IPv6 come out as v6 = 0
 * with the 4 bytes first. */
static int
addr(const char *s, unsigned char a[16], int *v6, int *mapped)
{
	static const unsigned char prefix[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	memset(a, 0, 16);
	*mapped = 0;
	if (inet_pton(AF_INET, s, a) == 1) {
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		if (memcmp(a, prefix, 12) == 0) {
			memmove(a, a + 12, 4);
			memset(a + 4, 0, 12);
			*v6 = 0;
			*mapped = 1;
		} else
			*v6 = 1;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
cidr_parse(const char *s, size_t n, struct cidr *c)
{
	char tmp[64];
	char *slash, *end;
	unsigned long bits;
	int mapped;

	if (n == 0 || n >= sizeof tmp)
		goto bad;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	slash = strchr(tmp, '/');
	if (slash)
		*slash++ = '\0';
	if (addr(tmp, c->a, &c->v6, &mapped) < 0)
		goto bad;
	c->bits = c->v6 ? 128 : 32;
	if (slash) {
		if (*slash < '0' || *slash > '9')
			goto bad;
		bits = strtoul(slash, &end, 10);
		/* an IPv4-mapped prefix is written with an IPv6 length:
		 * ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
		if (mapped) {
			if (bits < 96 || bits > 128)
				goto bad;
			bits -= 96;
		}
		if (*end || bits > c->bits)
			goto bad;
		c->bits = (unsigned)bits;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
cidr_key(const struct cidr *c, char *out, size_t n)
{
	unsigned char a[16];
	char txt[INET6_ADDRSTRLEN];
	unsigned full = c->bits / 8, rest = c->bits % 8;

	memset(a, 0, sizeof a);
	memcpy(a, c->a, full);
	if (rest)
		a[full] = (unsigned char)(c->a[full] & (0xff << (8 - rest)));
	inet_ntop(c->v6 ? AF_INET6 : AF_INET, a, txt, sizeof txt);
	if ((size_t)snprintf(out, n, "%s/%u", txt, c->bits) >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
cidr_match(const struct cidr *c, const char *ip)
{
	unsigned char a[16];
	unsigned full, rest;
	int v6, mapped;

	if (addr(ip, a, &v6, &mapped) < 0 || v6 != c->v6)
		return 0;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->a, full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & mask) != (c->a[full] & mask))
			return 0;
	}
	return 1;
}

struct loadctx {
	struct cidrlist *l;
	size_t line;
};

static int
add(void *arg, const char *s, size_t n, size_t lineno)
{
	struct loadctx *lc = arg;
	struct cidrlist *l = lc->l;
	struct cidr *nv;

	lc->line = lineno;
	if ((nv = grow(l->v, l->n, &l->cap, sizeof *nv, 16)) == NULL)
		return -1;
	l->v = nv;
	if (cidr_parse(s, n, &l->v[l->n]) < 0)
		return -1;
	l->n++;
	return 0;
}

int
cidrlist_load(const char *path, struct cidrlist *l, size_t *badline)
{
	struct loadctx lc = { l, 0 };

	memset(l, 0, sizeof *l);
	if (control_each(path, 1, add, &lc) < 0) {
		if (badline)
			*badline = lc.line;
		return -1;
	}
	return 0;
}

int
cidrlist_match(const struct cidrlist *l, const char *ip)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cidr_match(&l->v[i], ip))
			return 1;
	return 0;
}

void
cidrlist_free(struct cidrlist *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}
