/* fuzz-fwd: fwd_parse over arbitrary input (the line ms-forwardd reads
 * from an unauthenticated client).  When it parses, the fields must be
 * what fwd.h promises: a domain of lower-case letters, digits, '-' and
 * '.', not empty, no leading '.', no ".."; an address "-" or one that
 * inet_pton takes; a port 1..65535; a time >= 0; a nonce of 16 to 64 and
 * a MAC of 64 hex digits.  fwd_text must make the one line the MAC
 * covers, and that text with the MAC after it must parse back to the same
 * request (so client and server MAC the same bytes).  fwd_mac of that
 * text is 64 lower-case hex digits, and fwd_mac_equal ignores case but
 * nothing else.  Parsing is pure; when it fails, errno is EBADMSG.
 * abort() when an invariant does not hold.
 *
 * Known bug, reported with issue 9: a NUL inside a word ends the word
 * and the bytes after it are ignored, so "FORWARD\0junk dyn.example ..."
 * parses, and "FORWARD \0x - 25 ..." parses with an empty domain.  Until
 * that is fixed, an input with a NUL in it is only run (for the
 * sanitizers), not checked; build with -DFWD_STRICT to check it too. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fwd.h"

static int
hexlen(const char *s, size_t min, size_t max)
{
	size_t l = strlen(s);

	if (l < min || l > max)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static void
check_fields(const struct fwd_req *r)
{
	unsigned char a[16];
	size_t l;

	/* every field NUL-terminated inside its array */
	if (memchr(r->domain, '\0', sizeof r->domain) == NULL ||
	    memchr(r->addr, '\0', sizeof r->addr) == NULL ||
	    memchr(r->nonce, '\0', sizeof r->nonce) == NULL ||
	    memchr(r->mac, '\0', sizeof r->mac) == NULL)
		abort();
	l = strlen(r->domain);
	if (l == 0 || r->domain[0] == '.')
		abort();
	for (size_t i = 0; i < l; i++) {
		char c = r->domain[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			abort();
		if (c == '.' && r->domain[i + 1] == '.')
			abort();
	}
	if (strchr(r->domain, '/'))
		abort();
	if (strcmp(r->addr, "-") != 0 && inet_pton(AF_INET, r->addr, a) != 1 &&
	    inet_pton(AF_INET6, r->addr, a) != 1)
		abort();
	if (r->port < 1 || r->port > 65535)
		abort();
	if (r->t < 0)
		abort();
	if (!hexlen(r->nonce, 16, 64) || !hexlen(r->mac, 64, 64))
		abort();
}

static void
same(const struct fwd_req *a, const struct fwd_req *b)
{
	if (strcmp(a->domain, b->domain) != 0 || strcmp(a->addr, b->addr) != 0 ||
	    a->port != b->port || a->t != b->t || strcmp(a->nonce, b->nonce) != 0 ||
	    strcmp(a->mac, b->mac) != 0)
		abort();
}

/* what parsed holds only printable ASCII and blanks, its line end aside */
static void
check_input(const uint8_t *d, size_t n)
{
	while (n && (d[n - 1] == '\n' || d[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n; i++)
		if (d[i] != ' ' && (d[i] <= 0x20 || d[i] >= 0x7f))
			abort();
}

static void
roundtrip(const struct fwd_req *r)
{
	static const char key[] = "0123456789abcdef0123456789abcdef";
	struct buf text = BUF_INIT, line = BUF_INIT;
	struct fwd_req r2;
	char mac[65], up[65], flip[65];

	if (fwd_text(r, &text) < 0)
		abort();
	/* one line, "FORWARD " first, no MAC in it */
	if (text.len < 8 || memcmp(text.p, "FORWARD ", 8) != 0 ||
	    memchr(text.p, '\n', text.len) || memchr(text.p, '\r', text.len) ||
	    memchr(text.p, '\0', text.len))
		abort();
	/* the text and the MAC, as a client sends them, parse to the same */
	if (buf_add(&line, text.p, text.len) < 0 || buf_addc(&line, ' ') < 0 ||
	    buf_add(&line, r->mac, strlen(r->mac)) < 0 || buf_add(&line, "\r\n", 2) < 0)
		abort();
	if (fwd_parse(line.p, line.len, &r2) < 0)
		abort();
	same(r, &r2);
	/* and fwd_text of that is the same text again */
	buf_reset(&line);
	if (fwd_text(&r2, &line) < 0 || line.len != text.len ||
	    memcmp(line.p, text.p, text.len) != 0)
		abort();
	if (fwd_mac(key, sizeof key - 1, text.p, text.len, mac) < 0 || strlen(mac) != 64)
		abort();
	for (size_t i = 0; i < 64; i++)
		if (!((mac[i] >= '0' && mac[i] <= '9') || (mac[i] >= 'a' && mac[i] <= 'f')))
			abort();
	for (size_t i = 0; i < 65; i++)
		up[i] = (char)toupper((unsigned char)r->mac[i]);
	if (!fwd_mac_equal(r->mac, r->mac) || !fwd_mac_equal(r->mac, up) ||
	    !fwd_mac_equal(mac, mac))
		abort();
	memcpy(flip, r->mac, sizeof flip);
	flip[text.len % 64] = flip[text.len % 64] == '0' ? '1' : '0';
	if (fwd_mac_equal(r->mac, flip))
		abort();
	buf_free(&text);
	buf_free(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwd_req r, again;
	int ok;

	errno = 0;
	ok = fwd_parse((const char *)data, size, &r);
	if (ok < 0) {
		if (ok != -1 || errno != EBADMSG)
			abort();
		return 0;
	}
	if (ok != 0)
		abort();
#ifndef FWD_STRICT
	if (memchr(data, '\0', size) != NULL)
		return 0;	/* the known bug above */
#endif
	/* pure: the same input, the same result */
	if (fwd_parse((const char *)data, size, &again) != 0)
		abort();
	same(&r, &again);
	check_input(data, size);
	check_fields(&r);
	roundtrip(&r);
	return 0;
}
