/* fwd: see fwd.h */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "control.h"
#include "fwd.h"
#include "msg.h"

/* The next blank-separated word of line[*i..n) into dst. */
static int
word(const char *line, size_t n, size_t *i, char *dst, size_t dstsz)
{
	size_t s;

	while (*i < n && line[*i] == ' ')
		(*i)++;
	s = *i;
	while (*i < n && line[*i] != ' ')
		(*i)++;
	if (*i == s || *i - s >= dstsz)
		return -1;
	/* every byte, NUL included: a word is printable ASCII only */
	for (size_t k = s; k < *i; k++)
		if ((unsigned char)line[k] <= 0x20 || (unsigned char)line[k] >= 0x7f)
			return -1;
	memcpy(dst, line + s, *i - s);
	dst[*i - s] = '\0';
	return 0;
}

static int
allhex(const char *s, size_t min, size_t max)
{
	size_t l = strlen(s);

	if (l < min || l > max)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
fwd_parse(const char *line, size_t n, struct fwd_req *r)
{
	char verb[16], port[8], t[24], *end;
	unsigned char a[16];
	size_t i = 0;
	unsigned long p;

	memset(r, 0, sizeof *r);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (word(line, n, &i, verb, sizeof verb) < 0 || strcmp(verb, "FORWARD") != 0 ||
	    word(line, n, &i, r->domain, sizeof r->domain) < 0 ||
	    word(line, n, &i, r->addr, sizeof r->addr) < 0 ||
	    word(line, n, &i, port, sizeof port) < 0 ||
	    word(line, n, &i, t, sizeof t) < 0 ||
	    word(line, n, &i, r->nonce, sizeof r->nonce) < 0 ||
	    word(line, n, &i, r->mac, sizeof r->mac) < 0)
		goto bad;
	while (i < n && line[i] == ' ')
		i++;
	if (i != n)
		goto bad;
	/* a domain: letters, digits, '-', '.'; no "..", no leading '.' */
	for (size_t k = 0; r->domain[k]; k++) {
		char c = r->domain[k];
		if (!(isalnum((unsigned char)c) || c == '-' || c == '.') ||
		    (c == '.' && (k == 0 || r->domain[k + 1] == '.')))
			goto bad;
		r->domain[k] = (char)tolower((unsigned char)c);
	}
	if (strcmp(r->addr, "-") != 0 && inet_pton(AF_INET, r->addr, a) != 1 &&
	    inet_pton(AF_INET6, r->addr, a) != 1)
		goto bad;
	p = strtoul(port, &end, 10);
	if (*end || p == 0 || p > 65535 || port[0] == '0')
		goto bad;
	r->port = (unsigned)p;
	if (t[0] < '0' || t[0] > '9')
		goto bad;
	errno = 0;
	r->t = strtoll(t, &end, 10);
	if (*end || errno)
		goto bad;
	if (!allhex(r->nonce, 16, 64) || !allhex(r->mac, 64, 64))
		goto bad;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
fwd_text(const struct fwd_req *r, struct buf *out)
{
	return buf_printf(out, "FORWARD %s %s %u %lld %s", r->domain, r->addr, r->port,
	    r->t, r->nonce);
}

int
fwd_mac(const char *key, size_t keylen, const char *text, size_t n, char mac[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)text, n, d, &dl) == NULL ||
	    dl != 32) {
		errno = EPROTO;
		return -1;
	}
	for (unsigned i = 0; i < dl; i++)
		snprintf(mac + 2 * i, 3, "%02x", d[i]);
	return 0;
}

int
fwd_mac_equal(const char *a, const char *b)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < 64; i++)
		diff |= (unsigned char)(tolower((unsigned char)a[i]) ^ tolower((unsigned char)b[i]));
	return diff == 0;
}

int
fwd_key(const char *domain, char *key, size_t keysz, size_t *keylen)
{
	char path[PATH_MAX];
	struct msg m;
	size_t l;
	int fd;

	if (strchr(domain, '/') || domain[0] == '.' ||
	    (size_t)snprintf(path, sizeof path, "%s/forward/%s", control_dir(), domain) >= sizeof path)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (msg_load(fd, FWD_KEYMAX + 2, &m) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	for (l = 0; l < m.len && m.p[l] != '\n' && m.p[l] != '\r'; l++)
		;
	if (l == 0 || l >= keysz) {
		msg_free(&m);
		errno = EINVAL;
		return -1;
	}
	memcpy(key, m.p, l);
	key[l] = '\0';
	*keylen = l;
	msg_free(&m);
	return 1;
}
