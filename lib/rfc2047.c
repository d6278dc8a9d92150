/* rfc2047: see rfc2047.h */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "qp.h"
#include "rfc2047.h"

#define CHARSET_MAX 64	/* longest charset name taken in an encoded-word */

static int
cs_is(const char *cs, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(cs, name, n) == 0;
}

int
cs_to_utf8(const char *cs, size_t cslen, const char *p, size_t n,
    struct buf *out)
{
	static const char *const utf8[] = { "utf-8", "utf8", "us-ascii",
	    "ascii", "ansi_x3.4-1968", NULL };
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1",
	    "iso_8859-1", "latin1", "latin-1", "l1", "cp819", NULL };
	const char *star = memchr(cs, '*', cslen);
	size_t i;

	if (star)
		cslen = (size_t)(star - cs);
	for (i = 0; utf8[i]; i++)
		if (cs_is(cs, cslen, utf8[i]))
			return buf_add(out, p, n) < 0 ? -1 : 1;
	for (i = 0; latin1[i]; i++)
		if (cs_is(cs, cslen, latin1[i]))
			break;
	if (latin1[i] == NULL)
		return buf_add(out, p, n) < 0 ? -1 : 0;
	if (n > ((size_t)-1) / 2) {
		errno = EOVERFLOW;
		return -1;
	}
	if (buf_reserve(out, 2 * n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80)
			out->p[out->len++] = (char)c;
		else {
			out->p[out->len++] = (char)(0xc0 | c >> 6);
			out->p[out->len++] = (char)(0x80 | (c & 0x3f));
		}
	}
	return 1;
}

/* An encoded-word at s[i]: "=?" charset "?" B|Q "?" text "?=", where
 * neither charset nor text holds '?' or a blank.  1 with its parts and the
 * offset past it in *end; 0 if it is not one. */
static int
word(const char *s, size_t n, size_t i, size_t *cs, size_t *cslen,
    char *enc, size_t *txt, size_t *txtlen, size_t *end)
{
	size_t j;

	if (i + 1 >= n || s[i] != '=' || s[i + 1] != '?')
		return 0;
	*cs = i + 2;
	for (j = *cs; j < n && s[j] != '?' && s[j] != ' ' && s[j] != '\t'; j++)
		if (j - *cs >= CHARSET_MAX)
			return 0;
	if (j == *cs || j + 2 >= n || s[j] != '?' || s[j + 2] != '?')
		return 0;
	*cslen = j - *cs;
	*enc = s[j + 1];
	if (*enc != 'B' && *enc != 'b' && *enc != 'Q' && *enc != 'q')
		return 0;
	*txt = j + 3;
	for (j = *txt; j < n && s[j] != '?' && s[j] != ' ' && s[j] != '\t'; j++)
		;
	if (j + 1 >= n || s[j] != '?' || s[j + 1] != '=')
		return 0;
	*txtlen = j - *txt;
	*end = j + 2;
	return 1;
}

static int
decode_word(const char *s, size_t cs, size_t cslen, char enc, size_t txt,
    size_t txtlen, struct buf *tmp, struct buf *out)
{
	size_t i;
	int h, l;

	tmp->len = 0;
	if (enc == 'B' || enc == 'b') {
		if (b64_decode_mail(s + txt, txtlen, tmp, NULL) < 0)
			return -1;
	} else {
		if (buf_reserve(tmp, txtlen) < 0)
			return -1;
		for (i = 0; i < txtlen; i++) {
			char c = s[txt + i];

			if (c == '_')
				c = ' ';
			else if (c == '=' && i + 2 < txtlen &&
			    (h = qp_hexval((unsigned char)s[txt + i + 1])) >= 0 &&
			    (l = qp_hexval((unsigned char)s[txt + i + 2])) >= 0) {
				c = (char)(h << 4 | l);
				i += 2;
			}
			tmp->p[tmp->len++] = c;
		}
	}
	return cs_to_utf8(s + cs, cslen, tmp->p, tmp->len, out) < 0 ? -1 : 0;
}

int
rfc2047_decode(const char *s, size_t n, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	size_t i = 0, lit = 0, cs, cslen, txt, txtlen, end;
	size_t gap;
	int after = 0;		/* the last thing copied was a decoded word */
	char enc;
	const char *q;

	if (n == 0)
		return 0;
	while (i < n) {
		q = memchr(s + i, '=', n - i);
		if (q == NULL)
			break;
		i = (size_t)(q - s);
		if (!word(s, n, i, &cs, &cslen, &enc, &txt, &txtlen, &end)) {
			i++;
			continue;
		}
		/* Copy the literal run before the word, unless it is nothing
		 * but blanks between two words. */
		if (after) {
			for (gap = lit; gap < i && (s[gap] == ' ' || s[gap] == '\t' ||
			    s[gap] == '\r' || s[gap] == '\n'); gap++)
				;
			if (gap < i && buf_add(out, s + lit, i - lit) < 0)
				goto fail;
		} else if (buf_add(out, s + lit, i - lit) < 0)
			goto fail;
		if (decode_word(s, cs, cslen, enc, txt, txtlen, &tmp, out) < 0)
			goto fail;
		after = 1;
		i = lit = end;
	}
	if (buf_add(out, s + lit, n - lit) < 0)
		goto fail;
	buf_free(&tmp);
	return 0;
fail:
	buf_free(&tmp);
	return -1;
}
