/* rtf: embedded objects taken out of RTF documents (see doc.h).
 *
 * One pass tokenises the document: groups { }, control words (letters, an
 * optional signed number, one optional space), control symbols (\' takes
 * up to two hex digits), \binN (N raw bytes, bounded by the input; only
 * the lower-case word, so that we never skip bytes a reader parses) and
 * text.  A group that holds one of the object control words directly (in
 * any case) is an object group; the outermost object group around a spot
 * is what is replaced, and everything inside it goes with it.
 *
 * Replacement: a group whose first control word is \result, that is a
 * direct child of the object group and holds no object word itself, is
 * kept as a plain group: its bytes with the \result word (and a \* just
 * before it) left out, and with the object groups inside it replaced in
 * turn.  Without one, the group becomes {NOTE}, the note escaped for RTF.
 * The replacement is always a group, so that it never runs into the
 * control word before it.  Every byte outside replaced groups is copied.
 *
 * Odd layouts: the end of the input closes every open group; an object
 * group that never closes runs to the end and its open ancestors get
 * their closing braces appended.  If the document group itself holds an
 * object word, the document becomes {\rtf1{NOTE}}.  An object word
 * outside every group removes everything from it to the end.  Groups
 * nested deeper than lim.depth, or more than lim.entries object groups:
 * EBADMSG.
 *
 * Object groups are recorded in the order they close (post-order), each
 * with the index of the first record made after it opened, so that the
 * records inside a group (or inside its \result) are a contiguous run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "doc.h"
#include "grow.h"

static const char *const objwords[] = {
	"object", "objdata", "objemb", "objlink", "objautlink", "objocx",
	"objhtml", "objclass", "objupdate",
};

struct rec {
	size_t start, end;	/* the group's bytes; end = n if unclosed */
	size_t mark;		/* records inside it: [mark, this one) */
	int depth;		/* enclosing groups */
	int closed;
	int kind;		/* REC_GROUP, REC_ROOT, REC_BARE */
	int hasres;
	size_t rs, re;		/* the \result group */
	size_t rlo, rhi;	/* records inside the \result group */
	size_t tokoff, toklen;	/* its \result word, left out */
	int rdepth, rclosed;
};

enum { REC_GROUP, REC_ROOT, REC_BARE };

struct frame {
	size_t start;
	size_t mark;
	int obj;		/* holds an object word directly */
	int words;		/* control words seen */
	int result;		/* first control word is \result */
	size_t tokoff, toklen;
	int hasres;
	size_t rs, re, rlo, rhi, rtokoff, rtoklen;
	int rdepth, rclosed;
};

struct ctx {
	const char *p;
	size_t n;
	struct doc_limits lim;
	struct frame *f;	/* the open groups, innermost last */
	size_t fcap;
	int depth;		/* open groups */
	struct rec *r;
	size_t nrec, caprec;
	size_t *tops;		/* scratch: the top-level records of a run */
	const char *note;
	struct buf *out;
	const char *err;
};

static int
isletter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
isobjword(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof objwords / sizeof objwords[0]; i++)
		if (strlen(objwords[i]) == len && strncasecmp(w, objwords[i], len) == 0)
			return 1;
	return 0;
}

static int
addrec(struct ctx *c, const struct rec *r)
{
	struct rec *nr;

	if (c->nrec >= c->lim.entries) {
		c->err = "more object groups than the entries limit";
		errno = EBADMSG;
		return -1;
	}
	nr = grow_max(c->r, c->nrec, &c->caprec, sizeof *nr, 16, c->lim.entries);
	if (nr == NULL)
		return -1;
	c->r = nr;
	c->r[c->nrec++] = *r;
	return 0;
}

/* The innermost open group ends at end (closed or not). */
static int
closegroup(struct ctx *c, size_t end, int closed)
{
	struct frame *g = &c->f[c->depth - 1], *up;
	struct rec r;

	c->depth--;
	if (g->obj) {
		memset(&r, 0, sizeof r);
		r.start = g->start;
		r.end = end;
		r.mark = g->mark;
		r.depth = c->depth;
		r.closed = closed;
		r.kind = g->start == 0 && c->depth == 0 ? REC_ROOT : REC_GROUP;
		if (g->hasres) {
			r.hasres = 1;
			r.rs = g->rs;
			r.re = g->re;
			r.rlo = g->rlo;
			r.rhi = g->rhi;
			r.tokoff = g->rtokoff;
			r.toklen = g->rtoklen;
			r.rdepth = g->rdepth;
			r.rclosed = g->rclosed;
		}
		return addrec(c, &r);
	}
	if (g->result && c->depth > 0) {
		up = &c->f[c->depth - 1];
		if (!up->hasres) {
			up->hasres = 1;
			up->rs = g->start;
			up->re = end;
			up->rlo = g->mark;
			up->rhi = c->nrec;
			up->rtokoff = g->tokoff;
			up->rtoklen = g->toklen;
			up->rdepth = c->depth;
			up->rclosed = closed;
		}
	}
	return 0;
}

/* Tokenise the whole document, recording object groups. */
static int
scan(struct ctx *c)
{
	const char *p = c->p;
	size_t n = c->n, i = 0, j, w, wl, star = (size_t)-1;
	unsigned long long v;
	int neg;
	struct frame *g;
	struct rec r;

	while (i < n) {
		switch (p[i]) {
		case '{':
			if ((size_t)c->depth >= c->lim.depth) {
				c->err = "groups nested deeper than the depth limit";
				errno = EBADMSG;
				return -1;
			}
			if ((g = grow_max(c->f, (size_t)c->depth, &c->fcap, sizeof *g, 16,
			    c->lim.depth)) == NULL)
				return -1;
			c->f = g;
			g = &c->f[c->depth++];
			memset(g, 0, sizeof *g);
			g->start = i++;
			g->mark = c->nrec;
			continue;
		case '}':
			i++;
			if (c->depth > 0 && closegroup(c, i, 1) < 0)
				return -1;
			continue;
		case '\\':
			break;
		default:
			i++;
			continue;
		}
		/* A backslash: control word or control symbol. */
		if (i + 1 >= n) {
			i++;
			continue;
		}
		if (!isletter((unsigned char)p[i + 1])) {
			if (p[i + 1] == '*') {
				star = i;
				i += 2;
				continue;
			}
			if (p[i + 1] == '\'') {
				for (j = i + 2; j < n && j < i + 4 && ishex((unsigned char)p[j]); j++)
					;
				i = j;
			} else
				i += 2;
			continue;
		}
		w = i + 1;
		for (j = w; j < n && isletter((unsigned char)p[j]); j++)
			;
		wl = j - w;
		neg = 0;
		v = 0;
		if (j + 1 < n && p[j] == '-' && p[j + 1] >= '0' && p[j + 1] <= '9') {
			neg = 1;
			j++;
		}
		for (; j < n && p[j] >= '0' && p[j] <= '9'; j++)
			if (v < (unsigned long long)n)
				v = v * 10 + (unsigned)(p[j] - '0');
		if (j < n && p[j] == ' ')
			j++;
		g = c->depth > 0 ? &c->f[c->depth - 1] : NULL;
		if (isobjword(p + w, wl)) {
			if (g == NULL) {
				/* Outside every group: the rest goes. */
				memset(&r, 0, sizeof r);
				r.start = i;
				r.end = n;
				r.mark = c->nrec;
				r.kind = REC_BARE;
				return addrec(c, &r);
			}
			g->obj = 1;
		} else if (g != NULL && g->words == 0 && wl == 6 &&
		    strncasecmp(p + w, "result", 6) == 0) {
			g->result = 1;
			g->tokoff = star != (size_t)-1 && star + 2 == i ? star : i;
			g->toklen = j - g->tokoff;
		}
		if (g != NULL)
			g->words++;
		i = j;
		if (wl == 3 && memcmp(p + w, "bin", 3) == 0 && !neg)
			i += v < n - i ? (size_t)v : n - i;
	}
	while (c->depth > 0)
		if (closegroup(c, n, 0) < 0)
			return -1;
	return 0;
}

static int
addnote(struct ctx *c)
{
	const unsigned char *s = (const unsigned char *)c->note;
	int r = 0;

	if (buf_addc(c->out, '{') < 0)
		return -1;
	for (; s != NULL && *s != '\0' && r == 0; s++)
		if (*s == '\\' || *s == '{' || *s == '}')
			r = buf_printf(c->out, "\\%c", *s);
		else if (*s < 0x20 || *s >= 0x7f)
			r = buf_printf(c->out, "\\'%02x", *s);
		else
			r = buf_addc(c->out, (char)*s);
	if (r < 0)
		return -1;
	return buf_addc(c->out, '}');
}

/* Bytes [a, b) less [skip, skip + skiplen). */
static int
gap(struct ctx *c, size_t a, size_t b, size_t skip, size_t skiplen)
{
	if (skiplen > 0 && skip >= a && skip < b) {
		if (buf_add(c->out, c->p + a, skip - a) < 0)
			return -1;
		a = skip + skiplen < b ? skip + skiplen : b;
	}
	return buf_add(c->out, c->p + a, b - a);
}

static int emit(struct ctx *c, size_t lo, size_t hi, size_t skip,
    size_t skiplen, size_t rlo, size_t rhi, int ctxdepth, size_t tbase);

/* The replacement of record r, in a run whose groups are ctxdepth deep. */
static int
replace(struct ctx *c, const struct rec *r, int ctxdepth, size_t tbase)
{
	size_t k;

	switch (r->kind) {
	case REC_BARE:
		return 0;
	case REC_ROOT:
		if (buf_adds(c->out, "{\\rtf1") < 0 || addnote(c) < 0)
			return -1;
		return buf_addc(c->out, '}');
	}
	if (r->hasres) {
		if (buf_addc(c->out, '{') < 0 ||
		    emit(c, r->rs + 1, r->rclosed ? r->re - 1 : r->re,
		    r->tokoff, r->toklen, r->rlo, r->rhi, r->rdepth, tbase) < 0 ||
		    buf_addc(c->out, '}') < 0)
			return -1;
	} else if (addnote(c) < 0)
		return -1;
	if (!r->closed)
		for (k = 0; k < (size_t)(r->depth - ctxdepth - 1); k++)
			if (buf_addc(c->out, '}') < 0)
				return -1;
	return 0;
}

/* Bytes [lo, hi) with the outermost of the records [rlo, rhi) replaced
 * and [skip, skip + skiplen) left out.  tops[tbase ...] is free scratch. */
static int
emit(struct ctx *c, size_t lo, size_t hi, size_t skip, size_t skiplen,
    size_t rlo, size_t rhi, int ctxdepth, size_t tbase)
{
	size_t nt = 0, k, at = lo;
	const struct rec *r;

	/* The outermost records, last first: each one's inner records lie
	 * just before it. */
	for (k = rhi; k > rlo; k = c->r[k - 1].mark)
		c->tops[tbase + nt++] = k - 1;
	while (nt > 0) {
		r = &c->r[c->tops[tbase + --nt]];
		if (gap(c, at, r->start, skip, skiplen) < 0 ||
		    replace(c, r, ctxdepth, tbase + nt) < 0)
			return -1;
		at = r->end;
	}
	return gap(c, at, hi, skip, skiplen);
}

int
doc_is_rtf(const char *p, size_t n)
{
	return n >= 4 && memcmp(p, "{\\rt", 4) == 0;
}

int
rtf_strip(const char *p, size_t n, const struct doc_limits *lim,
    const char *note, struct buf *out, unsigned *found, char *why,
    size_t whylen, doc_removed_fn removed, void *arg)
{
	struct ctx c = { .p = p, .n = n, .note = note, .out = out };
	size_t k, count = 0, len0 = out->len;
	const struct rec *r;
	int rc = -1, e;

	if (found)
		*found = 0;
	if (!doc_is_rtf(p, n))
		return 0;
	doc_limits_get(lim, &c.lim);
	if (scan(&c) < 0) {
		if (c.err != NULL && whylen > 0)
			snprintf(why, whylen, "RTF: %s", c.err);
		goto done;
	}
	if (c.nrec == 0) {
		rc = 0;
		goto done;
	}
	if ((c.tops = calloc(c.nrec, sizeof *c.tops)) == NULL)
		goto done;
	for (k = c.nrec; k > 0; k = c.r[k - 1].mark)
		c.tops[count++] = k - 1;
	for (k = count; k > 0; k--) {
		r = &c.r[c.tops[k - 1]];
		if (removed != NULL &&
		    removed(arg, "\\object", p + r->start, r->end - r->start) != 0)
			goto done;
	}
	if (emit(&c, 0, n, 0, 0, 0, c.nrec, -1, 0) < 0) {
		e = errno;
		out->len = len0;
		errno = e;
		goto done;
	}
	if (whylen > 0)
		snprintf(why, whylen, "%zu RTF object%s removed", count,
		    count == 1 ? "" : "s");
	if (found)
		*found = DOC_OBJECT;
	rc = 1;
done:
	e = errno;
	free(c.f);
	free(c.r);
	free(c.tops);
	errno = e;
	return rc;
}
