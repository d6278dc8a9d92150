/* mime: see mime.h */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "grow.h"
#include "header.h"
#include "mime.h"
#include "qp.h"
#include "rfc2047.h"
#include "uu.h"

#define MAXSECT 100		/* RFC 2231 sections taken for one parameter */
#define CSMAX 64		/* longest RFC 2231 charset name kept */
#define SNIFF 4096		/* bytes looked at to tell text from binary */

/* An open multipart: its parts are found one at a time. */
struct frame {
	size_t pos;		/* where the next part starts */
	size_t end;		/* end of the multipart's body */
	size_t boff, blen;	/* its boundary, in walk.bounds */
	size_t depth;		/* the depth of its parts */
	int digest;		/* multipart/digest: parts default to message/rfc822 */
	int done;		/* its close delimiter was seen */
};

/* A part to walk: its bytes and what it inherits. */
struct node {
	size_t off, end, depth;
	int digest;
	int message;		/* its header is a message header */
};

struct walk {
	const char *msg;
	size_t n;
	struct mime_limits lim;
	size_t maxdecoded;
	int (*leaf)(void *, const struct mime_part *);
	void *arg;
	struct mime_result *res;
	int rc;			/* leaf()'s value when it stopped the walk */
	size_t index;
	struct frame *fr;
	size_t nfr, frcap;
	size_t ctrest, cdrest;	/* where the parameters start in ct, cd */
	int hasct, hascte, hascd;
	struct buf bounds;	/* the boundaries of the open multiparts */
	struct buf ct, cte, cd;	/* unfolded values of the current part's fields */
	struct buf tmp, tmp2;	/* parameter assembly */
	struct buf name;	/* the current leaf's file name */
	struct buf data;	/* the current leaf's decoded bytes */
	struct buf uudata;	/* the current uu block's decoded bytes */
	struct mime_part part;	/* the current leaf */
	struct mime_part uu;	/* the current uu block */
};

struct param {
	const char *name;
	size_t namelen;
	const char *val;
	size_t vallen;
	int quoted;
};

void
mime_limits_default(struct mime_limits *l)
{
	l->depth = 20;
	l->parts = 1000;
	l->factor = 10;
	l->decoded = (size_t)512 << 20;
	l->header = (size_t)256 << 10;
}

/* A literal shorter than MIME_TOKMAX into a token field. */
static void
setstr(char *dst, const char *lit)
{
	memcpy(dst, lit, strlen(lit) + 1);
}

static int
limit(struct walk *w, int which)
{
	w->res->limit = which;
	return 1;
}

static void
anomaly(struct walk *w, unsigned a)
{
	w->res->anomalies |= a;
}

/* ---- tokens and parameters (RFC 2045 5.1, RFC 2231) ---- */

static int
is_tokc(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip blanks and (nested) comments; a comment is an anomaly of its own,
 * since parsers disagree about them. */
static size_t
skip_cfws(struct walk *w, const char *v, size_t n, size_t i)
{
	size_t depth = 0;

	while (i < n) {
		if (depth) {
			if (v[i] == '\\')
				i++;
			else if (v[i] == '(')
				depth++;
			else if (v[i] == ')')
				depth--;
			i++;
		} else if (is_wsp(v[i]))
			i++;
		else if (v[i] == '(') {
			anomaly(w, MIME_A_PARAM);
			depth = 1;
			i++;
		} else
			break;
	}
	return i < n ? i : n;
}

/* Copy a token to dst, lower-cased; bytes that cannot be in a token become
 * '?'.  Too long: truncated, an anomaly. */
static void
tokcpy(struct walk *w, char *dst, const char *s, size_t n)
{
	size_t i;

	if (n > MIME_TOKMAX - 1) {
		anomaly(w, MIME_A_TYPE);
		n = MIME_TOKMAX - 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (c <= 32 || c >= 127)
			c = '?';
		dst[i] = (char)c;
	}
	dst[n] = '\0';
}

/* A token at v[i]: its end. */
static size_t
token(const char *v, size_t n, size_t i)
{
	while (i < n && is_tokc((unsigned char)v[i]))
		i++;
	return i;
}

/* The next "; name=value" at *pos in v[0..n).  Junk where a ';' belongs is
 * skipped up to the next ';' outside quotes. */
static int
param_next(struct walk *w, const char *v, size_t n, size_t *pos,
    struct param *p)
{
	size_t i = *pos, j;

	for (;;) {
		i = skip_cfws(w, v, n, i);
		if (i >= n) {
			*pos = n;
			return 0;
		}
		if (v[i] != ';') {
			anomaly(w, MIME_A_PARAM);
			for (; i < n && v[i] != ';'; i++)
				if (v[i] == '"')
					for (i++; i < n && v[i] != '"'; i++)
						if (v[i] == '\\')
							i++;
			continue;
		}
		i = skip_cfws(w, v, n, i + 1);
		j = token(v, n, i);
		if (j == i)
			continue;	/* ";;", or junk: seen above */
		p->name = v + i;
		p->namelen = j - i;
		i = skip_cfws(w, v, n, j);
		if (i >= n || v[i] != '=') {
			anomaly(w, MIME_A_PARAM);
			continue;
		}
		i = skip_cfws(w, v, n, i + 1);
		if (i < n && v[i] == '"') {
			for (j = i + 1; j < n && v[j] != '"'; j++)
				if (v[j] == '\\' && j + 1 < n)
					j++;
			if (j >= n) {
				anomaly(w, MIME_A_PARAM);
				j = n;
			}
			p->val = v + i + 1;
			p->vallen = j - (i + 1);
			p->quoted = 1;
			i = j < n ? j + 1 : n;
		} else {
			for (j = i; j < n && v[j] != ';' && !is_wsp(v[j]); j++)
				;
			p->val = v + i;
			p->vallen = j - i;
			p->quoted = 0;
			i = j;
		}
		*pos = i;
		return 1;
	}
}

/* Append a value to out, without the backslashes of a quoted-string. */
static int
unquote(const char *s, size_t n, int quoted, struct buf *out)
{
	size_t i, k;

	if (!quoted)
		return buf_add(out, s, n);
	if (buf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		k = s[i] == '\\' && i + 1 < n ? ++i : i;
		out->p[out->len++] = s[k];
	}
	return 0;
}

/* Append s[0..n) with %XX decoded (RFC 2231 extended values). */
static int
pct_decode(const char *s, size_t n, struct buf *out)
{
	size_t i;
	int h, l;

	if (buf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n && (h = qp_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = qp_hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(h << 4 | l);
			i += 2;
		}
		out->p[out->len++] = c;
	}
	return 0;
}

/* An extended value "charset'language'%XX...": its charset into cs (empty
 * when too long or absent) and the offset of the encoded text. */
static size_t
ext_prefix(struct walk *w, const char *s, size_t n, char *cs, size_t *cslen)
{
	const char *q1 = memchr(s, '\'', n), *q2;

	*cslen = 0;
	if (q1 == NULL || (q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - s))) == NULL) {
		anomaly(w, MIME_A_PARAM);
		return 0;
	}
	if ((size_t)(q1 - s) <= CSMAX) {
		*cslen = (size_t)(q1 - s);
		memcpy(cs, s, *cslen);
	}
	return (size_t)(q2 + 1 - s);
}

struct sect {
	size_t num;
	int ext;
	struct param p;
};

/* Append the value of parameter want in v[start..n) to out: an RFC 2231
 * value (want*= or want*0*= ...) before a plain one, its sections joined,
 * %XX decoded and converted from its charset; with text set, encoded-words
 * in a plain value are decoded too.  1 found, 0 not, -1 ENOMEM. */
static int
param_get(struct walk *w, const char *v, size_t n, size_t start,
    const char *want, int text, struct buf *out)
{
	struct sect s[MAXSECT];
	struct param p, plain = { 0 }, ext = { 0 };
	size_t ns = 0, wl = strlen(want), pos = start, k, i, num, rl, off, cslen = 0;
	int hasplain = 0, hasext = 0, e;
	const char *rest;
	char cs[CSMAX];

	while (param_next(w, v, n, &pos, &p)) {
		if (p.namelen < wl || strncasecmp(p.name, want, wl) != 0)
			continue;
		if (p.namelen == wl) {
			if (hasplain++)
				anomaly(w, MIME_A_DUPLICATE);
			else
				plain = p;
			continue;
		}
		if (p.name[wl] != '*')
			continue;
		rest = p.name + wl + 1;
		rl = p.namelen - wl - 1;
		if (rl == 0) {
			if (hasext++)
				anomaly(w, MIME_A_DUPLICATE);
			else
				ext = p;
			continue;
		}
		for (k = 0, num = 0; k < rl && rest[k] >= '0' && rest[k] <= '9'; k++)
			if (num < MAXSECT)
				num = num * 10 + (size_t)(rest[k] - '0');
		e = k < rl && rest[k] == '*';
		if (k == 0 || k + (size_t)e != rl)
			continue;	/* another parameter, e.g. "name*x" */
		if (num >= MAXSECT || ns == MAXSECT) {
			anomaly(w, MIME_A_PARAM);
			continue;
		}
		for (i = 0; i < ns && s[i].num != num; i++)
			;
		if (i < ns) {
			anomaly(w, MIME_A_DUPLICATE);
			continue;
		}
		s[ns].num = num;
		s[ns].ext = e;
		s[ns++].p = p;
	}

	w->tmp.len = 0;
	if (hasext) {
		w->tmp2.len = 0;
		if (unquote(ext.val, ext.vallen, ext.quoted, &w->tmp2) < 0)
			return -1;
		off = ext_prefix(w, w->tmp2.p, w->tmp2.len, cs, &cslen);
		if (pct_decode(w->tmp2.p + off, w->tmp2.len - off, &w->tmp) < 0)
			return -1;
		return cs_to_utf8(cs, cslen, w->tmp.p, w->tmp.len, out) < 0 ? -1 : 1;
	}
	if (ns > 0) {
		for (num = 0; ; num++) {
			for (i = 0; i < ns && s[i].num != num; i++)
				;
			if (i == ns)
				break;
			w->tmp2.len = 0;
			if (unquote(s[i].p.val, s[i].p.vallen, s[i].p.quoted, &w->tmp2) < 0)
				return -1;
			off = 0;
			if (num == 0 && s[i].ext)
				off = ext_prefix(w, w->tmp2.p, w->tmp2.len, cs, &cslen);
			if (s[i].ext ? pct_decode(w->tmp2.p + off, w->tmp2.len - off, &w->tmp) < 0 :
			    buf_add(&w->tmp, w->tmp2.p, w->tmp2.len) < 0)
				return -1;
		}
		if (num < ns)
			anomaly(w, MIME_A_PARAM);	/* a gap, or no section 0 */
		if (num > 0)
			return cs_to_utf8(cs, cslen, w->tmp.p, w->tmp.len, out) < 0 ? -1 : 1;
	}
	if (!hasplain)
		return 0;
	if (!text)
		return unquote(plain.val, plain.vallen, plain.quoted, out) < 0 ? -1 : 1;
	if (unquote(plain.val, plain.vallen, plain.quoted, &w->tmp) < 0 ||
	    rfc2047_decode(w->tmp.p, w->tmp.len, out) < 0)
		return -1;
	return 1;
}

/* ---- the walk ---- */

static int
is_identity(const char *enc)
{
	return *enc == '\0' || strcmp(enc, "7bit") == 0 ||
	    strcmp(enc, "8bit") == 0 || strcmp(enc, "binary") == 0;
}

/* The first field of a kind is used; a second one is an anomaly. */
static int
take(struct walk *w, const struct hdr *h, struct buf *b, int *has)
{
	if ((*has)++) {
		anomaly(w, MIME_A_DUPLICATE);
		return 0;
	}
	b->len = 0;
	return hdr_unfold(h, b);
}

static int
read_header(struct walk *w, const struct node *nd, size_t *bodyoff)
{
	size_t pos = nd->off, prev;
	struct hdr h;
	int r;

	w->hasct = w->hascte = w->hascd = 0;
	w->ct.len = w->cte.len = w->cd.len = 0;
	for (;;) {
		prev = pos;
		r = hdr_next(w->msg, nd->end, &pos, &h);
		if (pos - nd->off > w->lim.header)
			return limit(w, MIME_LIMIT_HEADER);
		if (!r)
			break;
		if (h.namelen < 8 || strncasecmp(h.name, "Content-", 8) != 0)
			continue;
		if ((hdr_is(&h, "Content-Type") && take(w, &h, &w->ct, &w->hasct) < 0) ||
		    (hdr_is(&h, "Content-Transfer-Encoding") &&
		    take(w, &h, &w->cte, &w->hascte) < 0) ||
		    (hdr_is(&h, "Content-Disposition") && take(w, &h, &w->cd, &w->hascd) < 0))
			return -1;
	}
	/* The body starts at a line that is neither a field nor empty. */
	if (pos == prev && pos < nd->end)
		anomaly(w, MIME_A_HEADER);
	*bodyoff = pos;
	return 0;
}

/* Type, subtype, encoding of the current part into w->part. */
static void
parse_type(struct walk *w, const struct node *nd)
{
	struct mime_part *p = &w->part;
	const char *v = w->ct.p;
	size_t n = w->ct.len, i, j, k, l;

	setstr(p->type, nd->digest ? "message" : "text");
	setstr(p->subtype, nd->digest ? "rfc822" : "plain");
	w->ctrest = n;
	if (w->hasct) {
		i = skip_cfws(w, v, n, 0);
		j = token(v, n, i);
		k = skip_cfws(w, v, n, j);
		l = k;
		if (j > i && k < n && v[k] == '/') {
			k = skip_cfws(w, v, n, k + 1);
			l = token(v, n, k);
		}
		if (l > k) {
			tokcpy(w, p->type, v + i, j - i);
			tokcpy(w, p->subtype, v + k, l - k);
			w->ctrest = l;
		} else
			anomaly(w, MIME_A_TYPE);	/* the default stays */
	}
	p->encoding[0] = '\0';
	if (w->hascte) {
		i = skip_cfws(w, w->cte.p, w->cte.len, 0);
		j = token(w->cte.p, w->cte.len, i);
		tokcpy(w, p->encoding, w->cte.p + i, j - i);
	}
	w->cdrest = w->cd.len;
	if (w->hascd) {
		i = skip_cfws(w, w->cd.p, w->cd.len, 0);
		w->cdrest = token(w->cd.p, w->cd.len, i);
	}
}

/* Is there a delimiter line "--boundary[--]" followed by blanks only, at
 * the start of a line in msg[pos..end)?  1 with its start, the start of the
 * next line and whether it closes. */
static int
find_delim(struct walk *w, const char *b, size_t blen, size_t pos, size_t end,
    size_t *d, size_t *next, int *close)
{
	const char *m = w->msg, *lf;
	size_t i = pos, q;

	while (i < end) {
		if (end - i >= 2 + blen && m[i] == '-' && m[i + 1] == '-' &&
		    memcmp(m + i + 2, b, blen) == 0) {
			q = i + 2 + blen;
			*close = end - q >= 2 && m[q] == '-' && m[q + 1] == '-';
			if (*close)
				q += 2;
			while (q < end && (m[q] == ' ' || m[q] == '\t'))
				q++;
			if (q == end || m[q] == '\n' ||
			    (m[q] == '\r' && (q + 1 == end || m[q + 1] == '\n'))) {
				*d = i;
				lf = memchr(m + q, '\n', end - q);
				*next = lf ? (size_t)(lf - m) + 1 : end;
				return 1;
			}
			anomaly(w, MIME_A_NESTED);
		}
		lf = memchr(m + i, '\n', end - i);
		if (lf == NULL)
			break;
		i = (size_t)(lf - m) + 1;
	}
	return 0;
}

/* A multipart: push it, or *leaf when it has no usable boundary. */
static int
open_multipart(struct walk *w, const struct node *nd, size_t bodyoff, int *leaf)
{
	struct frame *f;
	size_t boff = w->bounds.len, blen, i, m, d, next;
	const char *b, *o;
	int r, close;

	*leaf = 1;
	r = param_get(w, w->ct.p, w->ct.len, w->ctrest, "boundary", 0, &w->bounds);
	if (r < 0)
		return -1;
	blen = w->bounds.len - boff;
	if (r == 0 || blen == 0) {
		anomaly(w, MIME_A_BOUNDARY);
		w->bounds.len = boff;
		return 0;
	}
	b = w->bounds.p + boff;
	for (i = 0; i < w->nfr; i++) {
		o = w->bounds.p + w->fr[i].boff;
		m = w->fr[i].blen < blen ? w->fr[i].blen : blen;
		if (memcmp(o, b, m) == 0)
			anomaly(w, MIME_A_NESTED);
	}
	if (!find_delim(w, b, blen, bodyoff, nd->end, &d, &next, &close) || close) {
		/* No part at all: what is there is walked as one leaf. */
		anomaly(w, MIME_A_BOUNDARY);
		w->bounds.len = boff;
		return 0;
	}
	if ((f = grow(w->fr, w->nfr, &w->frcap, sizeof *f, 16)) == NULL)
		return -1;
	w->fr = f;
	f = &w->fr[w->nfr++];
	f->pos = next;
	f->end = nd->end;
	f->boff = boff;
	f->blen = blen;
	f->depth = nd->depth + 1;
	f->digest = strcmp(w->part.subtype, "digest") == 0;
	f->done = 0;
	*leaf = 0;
	return 0;
}

static int
deliver(struct walk *w, struct mime_part *p)
{
	int r;

	if (p->datalen > w->maxdecoded - w->res->decoded)
		return limit(w, MIME_LIMIT_DECODED);
	w->res->decoded += p->datalen;
	w->res->leaves++;
	p->index = ++w->index;
	if ((r = w->leaf(w->arg, p)) != 0) {
		w->rc = r;
		w->res->stopped = 1;
		return 1;
	}
	return 0;
}

/* Does the start of p look like text: no NUL, few other controls? */
static int
looks_text(const char *p, size_t n)
{
	size_t i, ctl = 0;

	if (n > SNIFF)
		n = SNIFF;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0)
			return 0;
		if ((c < 32 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 127)
			ctl++;
	}
	return n > 0 && ctl * 32 <= n;
}

static int
is_b64c(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* The uuencoded blocks in the decoded text of the current leaf. */
static int
uu_blocks(struct walk *w, int identity)
{
	const struct mime_part *c = &w->part;
	struct mime_part *u = &w->uu;
	struct uu_block b;
	size_t pos = 0;
	int bad, r;

	while (uu_next(c->data, c->datalen, &pos, &b)) {
		if (w->res->parts >= w->lim.parts)
			return limit(w, MIME_LIMIT_PARTS);
		w->res->parts++;
		w->uudata.len = 0;
		if (uu_decode(c->data, c->datalen, &b, &w->uudata, &bad) < 0)
			return -1;
		memset(u, 0, sizeof *u);
		u->kind = MIME_KIND_UU;
		u->depth = c->depth + 1;
		setstr(u->type, "application");
		setstr(u->subtype, "octet-stream");
		setstr(u->encoding, b.base64 ? "base64" : "x-uuencode");
		u->name = b.name;
		u->namelen = b.namelen;
		u->data = w->uudata.p ? w->uudata.p : "";
		u->datalen = w->uudata.len;
		u->carrier = c->index;
		u->textoff = b.off;
		u->textlen = b.len;
		if (identity) {
			u->off = c->bodyoff + b.off;
			u->len = b.len;
			u->bodyoff = c->bodyoff + b.dataoff;
			u->bodylen = b.datalen;
		} else {
			u->flags |= MIME_F_INDIRECT | (c->flags & MIME_F_MESSAGE);
			u->off = c->off;
			u->len = c->len;
			u->bodyoff = c->bodyoff;
			u->bodylen = c->bodylen;
		}
		if (b.base64)
			u->flags |= MIME_F_BASE64;
		if (b.truncated) {
			u->flags |= MIME_F_TRUNCATED;
			anomaly(w, MIME_A_TRUNCATED);
		}
		if (bad)
			u->flags |= MIME_F_BADDATA;
		if ((r = deliver(w, u)) != 0)
			return r;
	}
	return 0;
}

/* A leaf: decode it, deliver it, then the uu blocks in its text. */
static int
do_leaf(struct walk *w, const struct node *nd, size_t bodyoff, unsigned flags)
{
	struct mime_part *p = &w->part;
	const char *body = w->msg + bodyoff, *q;
	size_t blen = nd->end - bodyoff, i;
	int bad = 0, trunc = 0, uu = 0, identity = 0, r, r2;

	p->kind = MIME_KIND_PART;
	p->depth = nd->depth;
	p->off = nd->off;
	p->len = nd->end - nd->off;
	p->bodyoff = bodyoff;
	p->bodylen = blen;
	p->carrier = p->textoff = p->textlen = 0;

	/* charset and file name */
	w->name.len = 0;
	p->charset[0] = '\0';
	if (w->hasct) {
		if ((r = param_get(w, w->ct.p, w->ct.len, w->ctrest, "charset", 0, &w->name)) < 0)
			return -1;
		if (r)
			tokcpy(w, p->charset, w->name.p, w->name.len);
		w->name.len = 0;
	}
	r = 0;
	if (w->hascd &&
	    (r = param_get(w, w->cd.p, w->cd.len, w->cdrest, "filename", 1, &w->name)) < 0)
		return -1;
	if ((r == 0 || w->name.len == 0) && w->hasct) {	/* filename="" */
		w->name.len = 0;
		if ((r2 = param_get(w, w->ct.p, w->ct.len, w->ctrest, "name", 1, &w->name)) < 0)
			return -1;
		r |= r2;
	}
	p->name = NULL;
	p->namelen = 0;
	if (r) {
		if ((p->name = buf_cstr(&w->name)) == NULL)
			return -1;
		p->namelen = w->name.len;
	}

	/* transfer decoding */
	w->data.len = 0;
	if (is_identity(p->encoding)) {
		identity = 1;
	} else if (strcmp(p->encoding, "base64") == 0) {
		if (b64_decode_mail(body, blen, &w->data, &trunc) < 0)
			return -1;
		/* Data after the padding: another decoder might take it. */
		if ((q = memchr(body, '=', blen)) != NULL)
			for (i = (size_t)(q - body); i < blen; i++)
				if (is_b64c((unsigned char)body[i])) {
					bad = 1;
					anomaly(w, MIME_A_ENCODING);
					break;
				}
	} else if (strcmp(p->encoding, "quoted-printable") == 0) {
		if (qp_decode(body, blen, &w->data, &bad) < 0)
			return -1;
	} else if (strcmp(p->encoding, "x-uuencode") == 0 ||
	    strcmp(p->encoding, "uuencode") == 0 || strcmp(p->encoding, "x-uue") == 0) {
		identity = uu = 1;
	} else {
		identity = 1;
		flags |= MIME_F_UNKNOWNENC;
		anomaly(w, MIME_A_ENCODING);
	}
	if (identity) {
		p->data = body;
		p->datalen = blen;
	} else {
		p->data = w->data.p ? w->data.p : "";
		p->datalen = w->data.len;
	}
	if (trunc) {
		flags |= MIME_F_TRUNCATED;
		anomaly(w, MIME_A_TRUNCATED);
	}
	if (bad)
		flags |= MIME_F_BADDATA;
	if (nd->message)
		flags |= MIME_F_MESSAGE;
	p->flags = flags;
	if ((r = deliver(w, p)) != 0)
		return r;
	if (uu || strcmp(p->type, "text") == 0 ||
	    (p->name == NULL && looks_text(p->data, p->datalen)))
		return uu_blocks(w, identity);
	return 0;
}

/* Walk one part: a leaf is delivered, a multipart pushed, a message
 * followed into (a loop, not recursion).  0 go on, 1 stop, -1 error. */
static int
walk_node(struct walk *w, struct node nd)
{
	struct mime_part *p = &w->part;
	size_t bodyoff;
	unsigned flags;
	int r, leaf, ismsg;

	for (;;) {
		if (w->res->parts >= w->lim.parts)
			return limit(w, MIME_LIMIT_PARTS);
		w->res->parts++;
		if (nd.depth > w->lim.depth)
			return limit(w, MIME_LIMIT_DEPTH);
		if (nd.depth > w->res->depth)
			w->res->depth = nd.depth;
		if ((r = read_header(w, &nd, &bodyoff)) != 0)
			return r;
		parse_type(w, &nd);
		flags = 0;
		ismsg = strcmp(p->type, "message") == 0 &&
		    (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0 ||
		    strcmp(p->subtype, "news") == 0);
		if (strcmp(p->type, "multipart") == 0) {
			if (!is_identity(p->encoding))
				anomaly(w, MIME_A_ENCODING);	/* and ignored */
			if ((r = open_multipart(w, &nd, bodyoff, &leaf)) != 0 || !leaf)
				return r;
			flags |= MIME_F_NOBOUNDARY;
		} else if (ismsg && is_identity(p->encoding)) {
			nd.off = bodyoff;
			nd.depth++;
			nd.digest = 0;
			nd.message = 1;
			continue;
		} else if (ismsg) {
			anomaly(w, MIME_A_ENCODING);
			flags |= MIME_F_ENCODED;
		}
		return do_leaf(w, &nd, bodyoff, flags);
	}
}

/* The next part of the innermost open multipart, or close it. */
static int
next_part(struct walk *w)
{
	struct frame *f = &w->fr[w->nfr - 1];
	struct node nd;
	size_t d, next, e;
	int close;

	if (f->done && f->pos < f->end &&
	    find_delim(w, w->bounds.p + f->boff, f->blen, f->pos, f->end, &d, &next, &close)) {
		/* Delimiters after the close one (a nested multipart that used
		 * the same boundary, say): go on with the parts they start. */
		anomaly(w, MIME_A_BOUNDARY);
		f->pos = next;
		f->done = close;
		return 0;
	}
	if (f->done || f->pos >= f->end) {
		if (!f->done)
			anomaly(w, MIME_A_NOCLOSE);
		w->bounds.len = f->boff;
		w->nfr--;
		return 0;
	}
	nd.off = f->pos;
	nd.depth = f->depth;
	nd.digest = f->digest;
	nd.message = 0;
	if (find_delim(w, w->bounds.p + f->boff, f->blen, f->pos, f->end, &d, &next, &close)) {
		/* The line end before a delimiter belongs to the delimiter. */
		e = d;
		if (e > f->pos && w->msg[e - 1] == '\n') {
			e--;
			if (e > f->pos && w->msg[e - 1] == '\r')
				e--;
		}
		nd.end = e;
		f->pos = next;
		f->done = close;
	} else {
		anomaly(w, MIME_A_NOCLOSE);
		nd.end = f->end;
		f->pos = f->end;
		f->done = 1;
	}
	return walk_node(w, nd);	/* may move w->fr: f is not used after */
}

int
mime_walk(const char *msg, size_t n, const struct mime_limits *lim,
    int (*leaf)(void *arg, const struct mime_part *part), void *arg,
    struct mime_result *res)
{
	struct walk *w;
	struct node root = { 0, n, 0, 0, 1 };
	int r, err;

	memset(res, 0, sizeof *res);
	if (msg == NULL)
		msg = "";	/* n is 0: no NULL + 0 below */
	if ((w = calloc(1, sizeof *w)) == NULL)
		return -1;
	w->msg = msg;
	w->n = n;
	if (lim)
		w->lim = *lim;
	else
		mime_limits_default(&w->lim);
	w->maxdecoded = w->lim.factor && n > SIZE_MAX / w->lim.factor ?
	    SIZE_MAX : n * w->lim.factor;
	if (w->maxdecoded > w->lim.decoded)
		w->maxdecoded = w->lim.decoded;
	w->leaf = leaf;
	w->arg = arg;
	w->res = res;
	/* Every buffer gets storage now: no NULL + 0 for an empty value. */
	if (buf_reserve(&w->bounds, 0) < 0 || buf_reserve(&w->ct, 0) < 0 ||
	    buf_reserve(&w->cte, 0) < 0 || buf_reserve(&w->cd, 0) < 0 ||
	    buf_reserve(&w->tmp, 0) < 0 || buf_reserve(&w->tmp2, 0) < 0 ||
	    buf_reserve(&w->name, 0) < 0 || buf_reserve(&w->data, 0) < 0 ||
	    buf_reserve(&w->uudata, 0) < 0) {
		r = -1;
		goto out;
	}

	/* An mbox "From " line before the header, as in a file by hand. */
	if (n >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *lf = memchr(msg, '\n', n);

		root.off = lf ? (size_t)(lf - msg) + 1 : n;
		anomaly(w, MIME_A_HEADER);
	}
	r = walk_node(w, root);
	while (r == 0 && w->nfr > 0)
		r = next_part(w);
out:
	err = errno;
	buf_free(&w->bounds);
	buf_free(&w->ct);
	buf_free(&w->cte);
	buf_free(&w->cd);
	buf_free(&w->tmp);
	buf_free(&w->tmp2);
	buf_free(&w->name);
	buf_free(&w->data);
	buf_free(&w->uudata);
	free(w->fr);
	r = r < 0 ? -1 : res->stopped ? w->rc : 0;
	free(w);
	errno = err;
	return r;
}

/* ---- replacing a part ---- */

int
mime_replace(const char *msg, size_t n, size_t off, size_t len,
    const char *newpart, size_t newlen, struct buf *out)
{
	if (off > n || len > n - off) {
		errno = EINVAL;
		return -1;
	}
	if (buf_add(out, msg, off) < 0 || buf_add(out, newpart, newlen) < 0 ||
	    buf_add(out, msg + off + len, n - off - len) < 0)
		return -1;
	return 0;
}

/* The line end the message uses: the part's first, else the message's. */
static const char *
eol_style(const char *msg, size_t n, size_t off, size_t len)
{
	const char *lf = memchr(msg + off, '\n', len);

	if (lf == NULL)
		lf = memchr(msg, '\n', n);
	return lf && lf > msg && lf[-1] == '\r' ? "\r\n" : "\n";
}

/* Untrusted bytes for a sentence: controls (and, with ascii, 8-bit bytes)
 * become '?'. */
static int
add_clean(struct buf *b, const char *s, size_t n, int ascii)
{
	size_t i;

	if (buf_reserve(b, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		b->p[b->len++] = c < 32 || c == 127 || (ascii && c > 127) ? '?' : (char)c;
	}
	return 0;
}

int
mime_notice(const char *msg, size_t n, const struct mime_part *p,
    const char *reason, size_t reasonlen, struct buf *out)
{
	struct buf t = BUF_INIT;
	struct hdr h;
	const char *eol;
	size_t pos, end;
	int mv = 0, r = -1, inline_uu;

	if (p->off > n || p->len > n - p->off) {
		errno = EINVAL;
		return -1;
	}
	eol = eol_style(msg, n, p->off, p->len);
	inline_uu = p->kind == MIME_KIND_UU && !(p->flags & MIME_F_INDIRECT);
	if (p->kind == MIME_KIND_UU) {
		if (buf_adds(&t, inline_uu ? "[The uuencoded file \"" :
		    "The text part that held the uuencoded file \"") < 0 ||
		    add_clean(&t, p->name, p->namelen, inline_uu) < 0 ||
		    buf_adds(&t, "\" was removed: ") < 0)
			goto out;
	} else if (p->name) {
		if (buf_adds(&t, "The attachment \"") < 0 ||
		    add_clean(&t, p->name, p->namelen, 0) < 0 ||
		    buf_printf(&t, "\" (%s/%s) was removed: ", p->type, p->subtype) < 0)
			goto out;
	} else if (buf_printf(&t, "Part %zu (%s/%s) was removed: ", p->index,
	    p->type, p->subtype) < 0)
		goto out;
	if (add_clean(&t, reason, reasonlen, inline_uu) < 0)
		goto out;

	if (inline_uu) {
		/* One line of text in place of the block, ended as it was. */
		if (buf_addc(&t, ']') < 0 || buf_add(out, t.p, t.len) < 0)
			goto out;
		if (p->len > 0 && msg[p->off + p->len - 1] == '\n' &&
		    buf_adds(out, p->len > 1 && msg[p->off + p->len - 2] == '\r' ?
		    "\r\n" : "\n") < 0)
			goto out;
		r = 0;
		goto out;
	}

	/* A part in place of the part: its other header fields kept. */
	pos = p->off;
	end = p->off + p->len;
	while (hdr_next(msg, end, &pos, &h)) {
		if (hdr_has_prefix(&h, "Content-"))
			continue;
		if (hdr_is(&h, "MIME-Version"))
			mv = 1;
		if (buf_add(out, msg + h.off, h.len) < 0)
			goto out;
		if ((h.len == 0 || msg[h.off + h.len - 1] != '\n') && buf_adds(out, eol) < 0)
			goto out;
	}
	if ((p->flags & MIME_F_MESSAGE) && !mv &&
	    buf_printf(out, "MIME-Version: 1.0%s", eol) < 0)
		goto out;
	if (buf_printf(out, "Content-Type: text/plain; charset=utf-8%s"
	    "Content-Transfer-Encoding: quoted-printable%s"
	    "Content-Disposition: inline%s%s", eol, eol, eol, eol) < 0 ||
	    qp_encode(t.p, t.len, eol, out) < 0 || buf_adds(out, eol) < 0)
		goto out;
	r = 0;
out:
	buf_free(&t);
	return r;
}

const char *
mime_limit_name(int limit)
{
	static const char *const names[] = { "none", "depth", "parts",
	    "decoded", "header" };

	return limit >= 0 && (size_t)limit < sizeof names / sizeof names[0] ?
	    names[limit] : NULL;
}

const char *
mime_anomaly_name(unsigned bit)
{
	static const char *const names[] = { "boundary", "noclose", "nested",
	    "header", "duplicate", "type", "encoding", "truncated", "param" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (bit == 1u << i)
			return names[i];
	return NULL;
}
