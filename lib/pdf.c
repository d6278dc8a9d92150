/* pdf: actions and scripts of PDF documents disarmed in place (see doc.h).
 *
 * A light tokeniser walks the raw bytes: comments (% to the end of the
 * line), literal strings (nested parentheses, backslash escapes), hex
 * strings, names, dictionaries, arrays and other tokens; nothing in a
 * string or a comment is looked at.  After the keyword "stream" the body
 * is skipped: by the /Length of the dictionary just before it when that
 * is a direct number and "endstream" follows it, else up to the next
 * "endstream" (or the end of the input).
 *
 * Active names: /JavaScript /JS /OpenAction /AA /Launch /EmbeddedFile
 * /EmbeddedFiles /RichMedia /XFA /SubmitForm /ImportData, compared after
 * #xx escapes are decoded, case as written (PDF names are case-sensitive).
 * Each one outside strings and comments, key or not, is disarmed by one
 * fixed rule: the first byte after the slash becomes 'Z' (/JavaScript ->
 * /ZavaScript, /JS -> /ZS, /J#61vaScript -> /Z#61vaScript, /XFA -> /ZFA).
 * Only regular bytes change, so the tokens and every offset stay as they
 * were; no active name starts with Z, so the result is never active and
 * a second pass finds nothing.
 *
 * Stream bodies are content, not objects, except in object streams (a
 * /Type /ObjStm, or /N with /First, in the stream dictionary):
 *  - unfiltered object stream: its body is tokenised like the file, and
 *    its names disarmed in place;
 *  - /FlateDecode (alone or as the only filter in an array), any stream:
 *    inflated (zlib or raw deflate) under the caps below and tokenised;
 *    an active name in there cannot be edited in place: 2;
 *  - an object stream we cannot decode (another filter or a chain,
 *    an indirect /Filter, a /Predictor, corrupt data, a cap reached): 2,
 *    since what is inside is unknown.  Other streams that we cannot decode
 *    (images, fonts) are passed over.
 * Caps (struct doc_limits): one stream inflates to at most lim.part
 * bytes and to at most lim.ratio times its compressed size (below
 * PDF_RATIOFLOOR no ratio applies); the object streams together to at
 * most lim.total, and the other streams together to at most lim.total of
 * their own, so that a document's images and fonts never use up what its
 * object streams need.  An inflation that reaches a cap is searched as far
 * as it got.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "doc.h"
#include "grow.h"

#define PDF_RATIOFLOOR	((size_t)1 << 20)
#define PDF_NAMEMAX	64	/* decoded bytes compared; longer names are not ours */

static const char *const active[] = {
	"JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile",
	"EmbeddedFiles", "RichMedia", "XFA", "SubmitForm", "ImportData",
};
#define NACTIVE (sizeof active / sizeof active[0])

enum tok { T_END, T_NAME, T_STR, T_HEX, T_DOPEN, T_DCLOSE, T_AOPEN, T_ACLOSE,
	T_WORD, T_OTHER };

enum mode {
	M_FILE,		/* the file: streams handled, names recorded */
	M_OBJSTM,	/* an unfiltered object stream: names recorded */
	M_DECODED,	/* inflated bytes: the first name found ends it */
};

struct hit {
	size_t off;	/* the slash */
	int name;	/* index in active[] */
};

struct ctx {
	const char *p;
	size_t n;
	struct hit *hit;
	size_t nhit, caphit;
	unsigned seen;		/* active names found, a bit each */
	int order[NACTIVE];	/* in the order first found */
	int norder;
	struct buf dec;		/* scratch: one inflated stream */
	struct doc_limits lim;
	size_t inflated[2];	/* by other streams [0], object streams [1] */
	int two;		/* found what cannot be edited in place */
	char twowhy[128];
};

static int
isws(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static int
isdelim(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
	    c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

static int
isregular(unsigned char c)
{
	return !isws(c) && !isdelim(c);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The next token of q[*i, hi): its bytes [*ts, *i). */
static enum tok
lex(const char *q, size_t *ip, size_t hi, size_t *ts)
{
	size_t i = *ip, depth;
	unsigned char c;
	enum tok t;
	const char *e;

	for (;;) {
		while (i < hi && isws((unsigned char)q[i]))
			i++;
		if (i < hi && q[i] == '%') {
			while (i < hi && q[i] != '\r' && q[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	*ts = i;
	if (i >= hi) {
		*ip = i;
		return T_END;
	}
	c = (unsigned char)q[i];
	switch (c) {
	case '(':
		for (depth = 1, i++; i < hi && depth > 0; i++)
			if (q[i] == '\\')
				i++;
			else if (q[i] == '(')
				depth++;
			else if (q[i] == ')')
				depth--;
		t = T_STR;
		break;
	case '<':
		if (i + 1 < hi && q[i + 1] == '<') {
			i += 2;
			t = T_DOPEN;
		} else {
			e = memchr(q + i, '>', hi - i);
			i = e != NULL ? (size_t)(e - q) + 1 : hi;
			t = T_HEX;
		}
		break;
	case '>':
		if (i + 1 < hi && q[i + 1] == '>') {
			i += 2;
			t = T_DCLOSE;
		} else {
			i++;
			t = T_OTHER;
		}
		break;
	case '[':
		i++;
		t = T_AOPEN;
		break;
	case ']':
		i++;
		t = T_ACLOSE;
		break;
	case '/':
		for (i++; i < hi && isregular((unsigned char)q[i]); i++)
			;
		t = T_NAME;
		break;
	default:
		if (isdelim(c)) {
			i++;
			t = T_OTHER;
			break;
		}
		while (i < hi && isregular((unsigned char)q[i]))
			i++;
		t = T_WORD;
		break;
	}
	if (i > hi)
		i = hi;
	*ip = i;
	return t;
}

/* The name token q[s, e) (slash included) decoded into d; its length, or
 * -1 when longer than PDF_NAMEMAX. */
static int
namedec(const char *q, size_t s, size_t e, char *d)
{
	size_t i;
	int len = 0, h1, h2;

	for (i = s + 1; i < e; i++) {
		if (len == PDF_NAMEMAX)
			return -1;
		if (q[i] == '#' && i + 2 < e &&
		    (h1 = hexval((unsigned char)q[i + 1])) >= 0 &&
		    (h2 = hexval((unsigned char)q[i + 2])) >= 0) {
			d[len++] = (char)(h1 << 4 | h2);
			i += 2;
		} else
			d[len++] = q[i];
	}
	return len;
}

static int
nameis(const char *q, size_t s, size_t e, const char *want)
{
	char d[PDF_NAMEMAX];
	int len = namedec(q, s, e, d);

	return len >= 0 && (size_t)len == strlen(want) && memcmp(d, want, len) == 0;
}

/* Which active name q[s, e) is, or -1. */
static int
activename(const char *q, size_t s, size_t e)
{
	char d[PDF_NAMEMAX];
	int len = namedec(q, s, e, d);
	size_t k;

	if (len < 2)
		return -1;
	for (k = 0; k < NACTIVE; k++)
		if ((size_t)len == strlen(active[k]) && memcmp(d, active[k], len) == 0)
			return (int)k;
	return -1;
}

static int
addhit(struct ctx *c, size_t off, int name)
{
	struct hit *nh;

	if ((nh = grow(c->hit, c->nhit, &c->caphit, sizeof *nh, 16)) == NULL)
		return -1;
	c->hit = nh;
	c->hit[c->nhit].off = off;
	c->hit[c->nhit++].name = name;
	if (!(c->seen & 1u << name)) {
		c->seen |= 1u << name;
		c->order[c->norder++] = name;
	}
	return 0;
}

/* What a stream dictionary says. */
struct sdict {
	int haslen;
	size_t len;
	int nfilter;		/* -1: not a direct name or array */
	int allflate;
	char other[PDF_NAMEMAX + 1];	/* the first filter not FlateDecode */
	int objstm;
	int predictor;
};

static int
isnum(const char *q, size_t s, size_t e, unsigned long long *v)
{
	unsigned long long x = 0;
	size_t i;

	if (s == e)
		return 0;
	for (i = s; i < e; i++) {
		if (q[i] < '0' || q[i] > '9')
			return 0;
		if (x < (1ull << 60))
			x = x * 10 + (unsigned)(q[i] - '0');
	}
	*v = x;
	return 1;
}

static void
readdict(const char *q, size_t ds, size_t de, struct sdict *d)
{
	size_t i = ds + 2, ts, i2, ts2, i3, ts3;
	enum tok t, t2, t3;
	int level = 0, hasn = 0, hasfirst = 0, len;
	unsigned long long v, gen;
	char name[PDF_NAMEMAX];

	memset(d, 0, sizeof *d);
	while ((t = lex(q, &i, de, &ts)) != T_END) {
		if (t == T_DOPEN || t == T_AOPEN) {
			level++;
			continue;
		}
		if (t == T_DCLOSE || t == T_ACLOSE) {
			level--;
			continue;
		}
		if (t != T_NAME)
			continue;
		if (nameis(q, ts, i, "Predictor")) {
			i2 = i;
			if (lex(q, &i2, de, &ts2) == T_WORD && isnum(q, ts2, i2, &v) && v > 1)
				d->predictor = 1;
			continue;
		}
		if (level != 0)
			continue;
		if (nameis(q, ts, i, "N"))
			hasn = 1;
		else if (nameis(q, ts, i, "First"))
			hasfirst = 1;
		else if (nameis(q, ts, i, "Type")) {
			i2 = i;
			if (lex(q, &i2, de, &ts2) == T_NAME && nameis(q, ts2, i2, "ObjStm"))
				d->objstm = 1;
		} else if (nameis(q, ts, i, "Length")) {
			i2 = i;
			if (lex(q, &i2, de, &ts2) != T_WORD || !isnum(q, ts2, i2, &v))
				continue;
			i3 = i2;
			t2 = lex(q, &i3, de, &ts3);
			if (t2 == T_WORD && isnum(q, ts3, i3, &gen)) {
				t3 = lex(q, &i3, de, &ts3);
				if (t3 == T_WORD && i3 - ts3 == 1 && q[ts3] == 'R')
					continue;	/* indirect */
			}
			d->haslen = 1;
			d->len = v > (unsigned long long)SIZE_MAX ? SIZE_MAX : (size_t)v;
		} else if (nameis(q, ts, i, "Filter")) {
			/* A name, or an array of names; else not read. */
			i2 = i;
			d->allflate = 1;
			t2 = lex(q, &i2, de, &ts2);
			if (t2 == T_NAME) {
				i3 = i2;
				i2 = ts2;
				t3 = T_ACLOSE;
			} else if (t2 == T_AOPEN) {
				i3 = de;
				t3 = T_END;
			} else {
				d->nfilter = -1;
				continue;
			}
			while ((t2 = lex(q, &i2, i3, &ts2)) == T_NAME) {
				d->nfilter++;
				if (nameis(q, ts2, i2, "FlateDecode"))
					continue;
				if (d->allflate) {
					len = namedec(q, ts2, i2, name);
					if (len < 0)
						len = 0;
					memcpy(d->other, name, len);
					d->other[len] = '\0';
				}
				d->allflate = 0;
			}
			if (t2 != T_ACLOSE && !(t3 == T_ACLOSE && t2 == T_END))
				d->nfilter = -1;
			if (t3 == T_END && t2 != T_ACLOSE)
				level++;	/* still inside the array */
			i = i2;
		}
	}
	if (hasn && hasfirst)
		d->objstm = 1;
}

/* Inflate q[0, len) into c->dec, counted against the total of object
 * streams (objstm 1) or of the others (0).  0 complete, 1 incomplete
 * (corrupt, truncated or a cap reached; c->dec holds what came out), -1
 * ENOMEM. */
static int
inflatebody(struct ctx *c, const char *q, size_t len, int objstm)
{
	z_stream z;
	size_t cap, room;
	int zr = Z_OK, raw;

	cap = c->lim.part;
	if (len < cap / c->lim.ratio)
		cap = len * c->lim.ratio;
	if (cap < PDF_RATIOFLOOR)
		cap = PDF_RATIOFLOOR;
	if (cap > c->lim.part)
		cap = c->lim.part;
	if (cap > c->lim.total - c->inflated[objstm])
		cap = c->lim.total - c->inflated[objstm];
	for (raw = 0; raw < 2; raw++) {
		c->dec.len = 0;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, raw ? -MAX_WBITS : MAX_WBITS + 32) != Z_OK) {
			errno = ENOMEM;
			return -1;
		}
		z.next_in = (unsigned char *)(uintptr_t)q;
		z.avail_in = len > UINT_MAX ? UINT_MAX : (unsigned)len;
		for (;;) {
			room = cap - c->dec.len;
			if (room == 0)
				break;
			if (room > 65536)
				room = 65536;
			if (buf_reserve(&c->dec, room) < 0) {
				inflateEnd(&z);
				return -1;
			}
			z.next_out = (unsigned char *)c->dec.p + c->dec.len;
			z.avail_out = (unsigned)room;
			zr = inflate(&z, Z_NO_FLUSH);
			c->dec.len += room - z.avail_out;
			if (zr != Z_OK)
				break;
			if (z.avail_out == room && z.avail_in == 0)
				break;	/* no progress: input used up */
		}
		inflateEnd(&z);
		if (zr == Z_DATA_ERROR && c->dec.len == 0 && !raw)
			continue;	/* maybe a raw deflate stream */
		break;
	}
	c->inflated[objstm] += c->dec.len;
	return zr == Z_STREAM_END ? 0 : 1;
}

static int tokenise(struct ctx *c, const char *q, size_t lo, size_t hi,
    enum mode m);

static void
settwo(struct ctx *c, const char *what)
{
	if (!c->two)
		snprintf(c->twowhy, sizeof c->twowhy, "%s", what);
	c->two = 1;
}

/* The body q[bs, be) of a stream whose dictionary is d. */
static int
streambody(struct ctx *c, const char *q, size_t bs, size_t be,
    const struct sdict *d)
{
	char msg[128];
	int r;

	if (d->nfilter == 0) {
		if (d->objstm)
			return tokenise(c, q, bs, be, M_OBJSTM);
		return 0;
	}
	if (d->nfilter > 0 && d->allflate) {
		if (d->objstm && d->predictor) {
			settwo(c, "PDF object stream with a predictor not read");
			return 0;
		}
		if (c->inflated[d->objstm] >= c->lim.total) {
			if (d->objstm)
				settwo(c, "PDF object stream past the total limit");
			return 0;
		}
		if ((r = inflatebody(c, q + bs, be - bs, d->objstm)) < 0)
			return -1;
		if (r == 1 && d->objstm)
			settwo(c, "PDF object stream that does not inflate in full");
		return tokenise(c, c->dec.p ? c->dec.p : "", 0, c->dec.len, M_DECODED);
	}
	if (d->objstm) {
		if (d->nfilter > 0)
			snprintf(msg, sizeof msg, "PDF object stream with /%s not decoded",
			    d->other);
		else
			snprintf(msg, sizeof msg, "PDF object stream with a filter not read");
		settwo(c, msg);
	}
	return 0;
}

/* Tokenise q[lo, hi). */
static int
tokenise(struct ctx *c, const char *q, size_t lo, size_t hi, enum mode m)
{
	size_t i = lo, ts, dstart = 0, ds = 0, de = 0, bs, be, after, k;
	int depth = 0, hasdict = 0, a;
	struct sdict d;
	const char *e;
	char msg[128];
	enum tok t;

	while (!c->two && (t = lex(q, &i, hi, &ts)) != T_END) {
		switch (t) {
		case T_NAME:
			if ((a = activename(q, ts, i)) < 0)
				break;
			if (m == M_DECODED) {
				snprintf(msg, sizeof msg,
				    "PDF /%s inside a compressed stream", active[a]);
				settwo(c, msg);
				return 0;
			}
			if (addhit(c, (size_t)(q - c->p) + ts, a) < 0)
				return -1;
			break;
		case T_DOPEN:
			if (depth++ == 0)
				dstart = ts;
			break;
		case T_DCLOSE:
			if (depth > 0 && --depth == 0) {
				ds = dstart;
				de = i;
				hasdict = 1;
			}
			break;
		case T_WORD:
			if (m != M_FILE || i - ts != 6 || memcmp(q + ts, "stream", 6) != 0)
				break;
			bs = i;
			if (bs < hi && q[bs] == '\r')
				bs++;
			if (bs < hi && q[bs] == '\n')
				bs++;
			if (hasdict)
				readdict(q, ds, de, &d);
			else
				memset(&d, 0, sizeof d);
			be = after = hi;
			if (d.haslen && d.len <= hi - bs) {
				for (k = bs + d.len; k < hi && isws((unsigned char)q[k]); k++)
					;
				if (hi - k >= 9 && memcmp(q + k, "endstream", 9) == 0) {
					be = bs + d.len;
					after = k + 9;
				} else
					d.haslen = 0;
			} else
				d.haslen = 0;
			if (!d.haslen &&
			    (e = memmem(q + bs, hi - bs, "endstream", 9)) != NULL) {
				be = (size_t)(e - q);
				after = be + 9;
			}
			if (streambody(c, q, bs, be, &d) < 0)
				return -1;
			i = after;
			depth = 0;
			hasdict = 0;
			break;
		default:
			break;
		}
	}
	return 0;
}

int
doc_is_pdf(const char *p, size_t n)
{
	return memmem(p, n < 1024 ? n : 1024, "%PDF-", 5) != NULL;
}

int
pdf_strip(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg)
{
	struct ctx c = { .p = p, .n = n };
	size_t k, len0 = out->len, wl;
	int rc = -1, e;

	if (found)
		*found = 0;
	if (!doc_is_pdf(p, n))
		return 0;
	doc_limits_get(lim, &c.lim);
	if (tokenise(&c, p, 0, n, M_FILE) < 0)
		goto done;
	if (c.two) {
		if (whylen > 0)
			snprintf(why, whylen, "%s", c.twowhy);
		rc = 2;
		goto done;
	}
	if (c.nhit == 0) {
		rc = 0;
		goto done;
	}
	if (removed != NULL && removed(arg, "/JavaScript", p, n) != 0)
		goto done;
	if (buf_add(out, p, n) < 0) {
		out->len = len0;
		goto done;
	}
	for (k = 0; k < c.nhit; k++)
		out->p[len0 + c.hit[k].off + 1] = 'Z';
	if (whylen > 0) {
		snprintf(why, whylen, "PDF");
		for (k = 0; k < (size_t)c.norder; k++) {
			wl = strlen(why);
			snprintf(why + wl, whylen - wl, " /%s", active[c.order[k]]);
		}
		wl = strlen(why);
		snprintf(why + wl, whylen - wl, " disarmed");
	}
	rc = 1;
done:
	e = errno;
	if (found && (rc == 1 || rc == 2))
		*found = DOC_PDFACTION;
	free(c.hit);
	buf_free(&c.dec);
	errno = e;
	return rc;
}
