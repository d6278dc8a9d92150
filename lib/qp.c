/* qp: see qp.h */
#include <string.h>

#include "buf.h"
#include "qp.h"

int
qp_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

/* Length of the line end at s[i] (LF, CRLF, or a CR ending the input),
 * 0 if there is none there; i == n counts as an end of 0 bytes. */
static int
at_eol(const char *s, size_t n, size_t i, size_t *len)
{
	if (i == n) {
		*len = 0;
		return 1;
	}
	if (s[i] == '\n') {
		*len = 1;
		return 1;
	}
	if (s[i] == '\r' && (i + 1 == n || s[i + 1] == '\n')) {
		*len = i + 1 == n ? 1 : 2;
		return 1;
	}
	return 0;
}

int
qp_decode(const char *s, size_t n, struct buf *out, int *bad)
{
	size_t i = 0, j, el;
	int hi, lo;

	if (bad)
		*bad = 0;
	if (buf_reserve(out, n) < 0)
		return -1;
	/* Nothing below grows out beyond n bytes: the adds cannot fail. */
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			if (i + 2 < n && (hi = qp_hexval((unsigned char)s[i + 1])) >= 0 &&
			    (lo = qp_hexval((unsigned char)s[i + 2])) >= 0) {
				buf_addc(out, (char)(hi << 4 | lo));
				i += 3;
				continue;
			}
			for (j = i + 1; j < n && (s[j] == ' ' || s[j] == '\t'); j++)
				;
			if (at_eol(s, n, j, &el)) {	/* soft line break */
				i = j + el;
				continue;
			}
			if (bad)
				*bad = 1;
			buf_addc(out, '=');
			i++;
			continue;
		}
		if (c == ' ' || c == '\t') {
			for (j = i; j < n && (s[j] == ' ' || s[j] == '\t'); j++)
				;
			if (!at_eol(s, n, j, &el))
				buf_add(out, s + i, j - i);
			i = j;
			continue;
		}
		buf_addc(out, (char)c);
		i++;
	}
	return 0;
}

int
qp_encode(const char *p, size_t n, const char *eol, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, w;
	char e[3];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int last;	/* the last character before a line end */

		if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		if (c == '\n') {
			if (buf_adds(out, eol) < 0)
				return -1;
			col = 0;
			continue;
		}
		last = i + 1 == n || p[i + 1] == '\n' ||
		    (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n');
		if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
			e[0] = (char)c;
			w = 1;
		} else {
			e[0] = '=';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			w = 3;
		}
		if (col + w > 75) {
			if (buf_addc(out, '=') < 0 || buf_adds(out, eol) < 0)
				return -1;
			col = 0;
		}
		if (buf_add(out, e, w) < 0)
			return -1;
		col += w;
	}
	return 0;
}
