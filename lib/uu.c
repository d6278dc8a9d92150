/* uu: see uu.h */
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "uu.h"

/* One line at i: its content p[i..i+*len) without CR LF, and the offset
 * of the next line. */
static size_t
line(const char *p, size_t n, size_t i, size_t *len)
{
	const char *lf = memchr(p + i, '\n', n - i);
	size_t e = lf ? (size_t)(lf - p) : n;

	*len = e - i;
	if (*len > 0 && p[e - 1] == '\r')
		(*len)--;
	return lf ? e + 1 : n;
}

/* s[0..l) is the word w followed by nothing but blanks. */
static int
is_word(const char *s, size_t l, const char *w)
{
	size_t k = strlen(w);

	if (l < k || memcmp(s, w, k) != 0)
		return 0;
	for (; k < l; k++)
		if (s[k] != ' ' && s[k] != '\t')
			return 0;
	return 1;
}

/* "begin MODE NAME" or "begin-base64 MODE NAME" */
static int
is_begin(const char *s, size_t l, struct uu_block *b)
{
	size_t i, d;

	if (l >= 6 && memcmp(s, "begin ", 6) == 0) {
		b->base64 = 0;
		i = 6;
	} else if (l >= 13 && memcmp(s, "begin-base64 ", 13) == 0) {
		b->base64 = 1;
		i = 13;
	} else
		return 0;
	while (i < l && s[i] == ' ')
		i++;
	for (d = 0; i < l && s[i] >= '0' && s[i] <= '7'; i++, d++)
		;
	if (d == 0 || d > 6)
		return 0;
	if (i < l && s[i] != ' ' && s[i] != '\t')
		return 0;
	while (i < l && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (l > i && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		l--;
	b->name = s + i;
	b->namelen = l - i;
	return 1;
}

static int
is_uuline(const char *s, size_t l)
{
	size_t i;

	for (i = 0; i < l; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x60)
			return 0;
	return 1;
}

static int
is_b64line(const char *s, size_t l)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < l; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return 0;
	}
	return l > 0;
}

/* The lines after a begin line at i: fill the data range and the end of the
 * block; 1 if it is a block at all. */
static int
body(const char *p, size_t n, size_t i, struct uu_block *b)
{
	size_t l, next, lines = 0;
	int zero = 0;	/* classic: the zero-length line was seen */

	b->dataoff = i;
	b->truncated = 1;
	for (; i < n; i = next) {
		next = line(p, n, i, &l);
		if (b->base64 ? is_word(p + i, l, "====") : is_word(p + i, l, "end")) {
			b->datalen = i - b->dataoff;
			b->truncated = 0;
			b->len = next - b->off;
			return 1;
		}
		if (b->base64) {
			if (!is_b64line(p + i, l))
				break;
		} else {
			if (zero || !is_uuline(p + i, l))
				break;
			if (l == 0 || ((p[i] - 0x20) & 63) == 0)
				zero = 1;
		}
		lines++;
	}
	b->datalen = i - b->dataoff;
	b->len = i - b->off;
	return lines > 0;
}

int
uu_next(const char *p, size_t n, size_t *pos, struct uu_block *b)
{
	size_t i, l, next;

	for (i = *pos; i < n; i = next) {
		next = line(p, n, i, &l);
		if (l < 6 || p[i] != 'b' || !is_begin(p + i, l, b))
			continue;
		b->off = i;
		if (body(p, n, next, b)) {
			*pos = b->off + b->len;
			return 1;
		}
	}
	*pos = n;
	return 0;
}

int
uu_decode(const char *p, size_t n, const struct uu_block *b,
    struct buf *out, int *bad)
{
	size_t i, end, l, next, want, k, j, got, c, max;
	unsigned char v[4];

	*bad = 0;
	if (b->dataoff > n || b->datalen > n - b->dataoff)
		return 0;
	end = b->dataoff + b->datalen;
	if (b->base64)
		return b64_decode_mail(p + b->dataoff, b->datalen, out, bad);
	/* A line of c characters after its length character decodes to at
	 * most about 3c/4 bytes: never more than the data itself. */
	if (buf_reserve(out, b->datalen) < 0)
		return -1;
	for (i = b->dataoff; i < end; i = next) {
		next = line(p, end, i, &l);
		if (l == 0)
			continue;
		want = (size_t)((p[i] - 0x20) & 63);
		if (want == 0)
			continue;
		c = l - 1;
		max = c / 4 * 3 + (c % 4 >= 2 ? c % 4 - 1 : 0);
		if (want > max) {
			*bad = 1;
			want = max;
		} else if (c > (want + 2) / 3 * 4 + 1)
			*bad = 1;	/* more characters than the length says */
		for (k = 0, got = 0; got < want; k += 4) {
			for (j = 0; j < 4; j++)
				v[j] = 1 + k + j < l ?
				    (unsigned char)((p[i + 1 + k + j] - 0x20) & 63) : 0;
			unsigned char o[3] = {
				(unsigned char)(v[0] << 2 | v[1] >> 4),
				(unsigned char)(v[1] << 4 | v[2] >> 2),
				(unsigned char)(v[2] << 6 | v[3]),
			};
			j = want - got < 3 ? want - got : 3;
			if (buf_add(out, o, j) < 0)
				return -1;
			got += j;
		}
	}
	return 0;
}
