/* fuzz-pop3: the POP3 reply parsers of lib/pop3 (pop3_status,
 * pop3_timestamp, pop3_listing) over every line of the input (split at
 * LF, each line with its LF, copied into a buffer of its own exact size
 * so that AddressSanitizer sees any read past its end), and over the whole
 * input once.  The invariants pop3.h promises: every pointer returned lies
 * inside the line, lengths are bounded, a status is +OK or -ERR as the
 * line says, a timestamp is a NUL-terminated "<...@...>" of printable
 * characters copied from the line and never longer than its buffer, a
 * listing word is 1 to 70 printable characters after a decimal number that
 * is the number returned.  abort() when one does not hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

static int
inside(const char *in, size_t n, const char *p, size_t len)
{
	return p >= in && p <= in + n && len <= (size_t)(in + n - p);
}

static int
printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

/* The line without its trailing CRs and LFs, as the parsers see it. */
static size_t
trimmed(const char *l, size_t n)
{
	while (n && (l[n - 1] == '\n' || l[n - 1] == '\r'))
		n--;
	return n;
}

static void
check_status(const char *l, size_t n)
{
	const char *t = NULL;
	size_t tl = 0, m = trimmed(l, n);
	int r = pop3_status(l, n, &t, &tl);

	if (r == -1)
		return;
	if (r != 0 && r != 1)
		abort();
	if (r == 1 && (m < 3 || memcmp(l, "+OK", 3) != 0))
		abort();
	if (r == 0 && (m < 4 || memcmp(l, "-ERR", 4) != 0))
		abort();
	if (t == NULL || !inside(l, m, t, tl) || t < l + (r ? 3 : 4))
		abort();
	/* the text starts after the blanks and ends before the line end */
	if (tl && (t[0] == ' ' || t[tl - 1] == '\n' || t[tl - 1] == '\r'))
		abort();
	if (t + tl != l + m)
		abort();
}

static void
check_timestamp(const char *l, size_t n, size_t tssz)
{
	char *ts = malloc(tssz);	/* exactly tssz bytes: ASan sees overruns */
	size_t len;
	int r;

	if (ts == NULL)
		abort();
	r = pop3_timestamp(l, n, ts, tssz);
	if (r != 0 && r != 1)
		abort();
	if (r == 1) {
		len = strnlen(ts, tssz);
		if (len == tssz || len < 3 || ts[0] != '<' || ts[len - 1] != '>' ||
		    memchr(ts, '@', len) == NULL || !printable(ts, len) ||
		    memmem(l, n, ts, len) == NULL)
			abort();
	}
	free(ts);
}

static void
check_listing(const char *l, size_t n)
{
	const char *w = NULL;
	size_t wl = 0, m = trimmed(l, n), i;
	unsigned long num = 0, v = 0;
	int r = pop3_listing(l, n, &num, &w, &wl);

	if (r == -1)
		return;
	if (r != 0)
		abort();
	if (w == NULL || !inside(l, m, w, wl) || wl == 0 || wl > 70 || !printable(w, wl))
		abort();
	/* the number: the leading digits, then at least one blank before w */
	for (i = 0; i < m && l[i] >= '0' && l[i] <= '9'; i++) {
		if (v > (~0UL - 9) / 10)
			abort();	/* overflow should have been refused */
		v = v * 10 + (unsigned long)(l[i] - '0');
	}
	if (i == 0 || v != num || w <= l + i)
		abort();
	for (const char *c = l + i; c < w; c++)
		if (*c != ' ')
			abort();
	/* the word is whole: what follows it is a blank or the line end */
	if (w + wl < l + m && w[wl] != ' ')
		abort();
}

static void
one(const char *src, size_t n, size_t tssz)
{
	char *l = malloc(n ? n : 1);

	if (l == NULL)
		abort();
	memcpy(l, src, n);
	check_status(l, n);
	check_timestamp(l, n, tssz);
	check_listing(l, n);
	free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *in = (const char *)data, *lf;
	size_t off = 0, len, tssz;

	/* the timestamp buffer's size: struct pop3's, or a small one taken
	 * from the first byte to reach the "too long" edge */
	tssz = n && (data[0] & 1) ? (size_t)(data[0] >> 1) + 1 : 128;
	while (off < n) {
		lf = memchr(in + off, '\n', n - off);
		len = lf ? (size_t)(lf - (in + off)) + 1 : n - off;
		if (len > POP3_MAXLINE)
			len = POP3_MAXLINE;	/* as io_getline keeps it */
		one(in + off, len, tssz);
		off += lf ? (size_t)(lf - (in + off)) + 1 : n - off;
	}
	one(in, n, tssz);
	return 0;
}
