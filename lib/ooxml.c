/* ooxml: see doc.h.
 *
 * The zip is read from its central directory (what Office reads); every
 * local header must agree with its central entry, entries must not
 * overlap and no local header may hide between them.  The VBA parts are
 * found by their base name, by the content type [Content_Types].xml gives
 * them (Override, or Default by extension) and by the type of the
 * relationships that point at them; they go, with their own .rels part.
 * [Content_Types].xml and every kept .rels part lose exactly the byte
 * ranges of the elements that name a removed part or a VBA type; those
 * two kinds of parts are deflated anew, every other entry is copied byte
 * for byte.  Part names are compared as OPC compares them: case-folded,
 * %-escapes and backslashes undone, "." and ".." resolved.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "diag.h"
#include "doc.h"
#include "grow.h"

#define RATIOFLOOR 65536	/* smaller parts are not held to lim.ratio */
#define EOCDLEN  22
#define CDLEN    46
#define LHLEN    30

/* why an element is in a list */
enum { E_OVERRIDE, E_DEFAULT, E_REL, E_REF };

/* the scanner's modes: a .rels part, [Content_Types].xml, the source
 * part of a .rels part (elements whose r:id names a removed relationship) */
enum { X_RELS, X_CT, X_SRC };

/* what cannot be taken out (the answer is 2) */
enum { B_NONE, B_XLM, B_ACTIVEX };

struct elem {
	size_t start, end;	/* the element's bytes, end tag included */
	int kind;
	int vba;		/* its content type or relationship type is VBA */
	int bad;		/* its type is a macro sheet's or an ActiveX control's */
	int fetch;		/* a relationship Office follows on open */
	int remote;		/* ... whose target is not a local path */
	int hasname;		/* a part name (or extension) was given */
	size_t noff, nlen;	/* that name, normalised, in ctx.names */
	int hasid;
	size_t idoff, idlen;	/* the relationship's Id, in ctx.names */
	size_t toff, tlen;	/* its target as written (decoded), in ctx.names */
};

struct ent {
	const unsigned char *cd;	/* its central directory record */
	size_t cdlen;
	const char *name;		/* raw, as in the zip */
	size_t namelen;
	size_t noff, nlen;		/* normalised, in ctx.names */
	unsigned flags, method;
	uint32_t crc, csize, usize, lho;
	size_t data;			/* offset of the data */
	size_t end;			/* one past data (and data descriptor) */
	int rels;			/* a .rels part */
	int override;			/* [Content_Types].xml has an Override for it */
	int vba;			/* removed: 1 VBA part, 2 the .rels of one */
	int bad;			/* B_XLM, B_ACTIVEX: cannot be taken out */
	int nremote;			/* .rels: remote relationships it loses */
	int edited;			/* repl holds its new (inflated) bytes */
	struct buf repl;
	struct elem *el;		/* its interesting elements (CT, .rels) */
	size_t nel, elcap;
};

struct ctx {
	const char *p;
	size_t n;
	struct doc_limits lim;
	char *why;
	size_t whylen;
	struct ent *e;
	size_t ne;
	size_t *sorted;			/* entry indexes by normalised name */
	struct buf names;		/* normalised names */
	size_t inflated;		/* bytes inflated so far */
	size_t eocd, cdoff;		/* where they are */
	struct ext *ids;		/* X_SRC: the Ids to look for, sorted */
	size_t nids;
	struct buf val;			/* X_SRC: an attribute value, decoded */
	struct piece *pc;		/* elements taken out, for removed() */
	size_t npc, pccap;
	unsigned found;			/* DOC_* */
};

struct ext {
	const char *s;
	size_t n;
};

/* an element taken out of a kept part */
struct piece {
	struct buf name;
	struct buf data;
};

static const char *const vbanames[] = {
	"vbaproject.bin", "vbaprojectsignature.bin",
	"vbaprojectsignatureagile.bin", "vbaprojectsignaturev3.bin",
	"vbadata.xml", NULL
};

static unsigned
get16(const unsigned char *b)
{
	return b[0] | (unsigned)b[1] << 8;
}

static uint32_t
get32(const unsigned char *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void
put16(unsigned char *b, unsigned v)
{
	b[0] = v & 0xff;
	b[1] = v >> 8 & 0xff;
}

static void
put32(unsigned char *b, uint32_t v)
{
	b[0] = v & 0xff;
	b[1] = v >> 8 & 0xff;
	b[2] = v >> 16 & 0xff;
	b[3] = v >> 24 & 0xff;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
xmlws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* -1 with errno set, why filled (when not filled already) */
static int
fail(struct ctx *c, int err, const char *msg)
{
	if (c->why && c->whylen && !c->why[0] && msg)
		snprintf(c->why, c->whylen, "zip: %s", msg);
	errno = err;
	return -1;
}

static const char *
nameof(const struct ctx *c, size_t off)
{
	return c->names.p + off;
}

/* Append s[0..n) to b with %-escapes undone, backslashes made slashes and
 * letters folded to lower case (ASCII, Latin-1, and the few non-ASCII
 * letters whose case folding is an ASCII letter). */
static int
fold(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u;
	struct buf d = BUF_INIT;
	size_t i;
	int h, l, rc = -1;

	for (i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (ch == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
		    (l = hexval(s[i + 2])) >= 0) {
			ch = h << 4 | l;
			i += 2;
		}
		if (buf_addc(&d, ch == '\\' ? '/' : (char)ch) < 0)
			goto out;
	}
	u = (const unsigned char *)d.p;
	for (i = 0; i < d.len; i++) {
		unsigned char ch = u[i], o = 0;

		if (ch == 0xc4 && i + 1 < d.len && (u[i + 1] == 0xb0 || u[i + 1] == 0xb1))
			o = 'i', i++;		/* dotted I, dotless i */
		else if (ch == 0xc5 && i + 1 < d.len && u[i + 1] == 0xbf)
			o = 's', i++;		/* long s */
		else if (ch == 0xe2 && i + 2 < d.len && u[i + 1] == 0x84 && u[i + 2] == 0xaa)
			o = 'k', i += 2;	/* Kelvin sign */
		if (o) {
			if (buf_addc(b, o) < 0)
				goto out;
			continue;
		}
		if (ch == 0xc3 && i + 1 < d.len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9e &&
		    u[i + 1] != 0x97) {
			if (buf_addc(b, (char)0xc3) < 0 || buf_addc(b, (char)(u[i + 1] + 0x20)) < 0)
				goto out;
			i++;
			continue;
		}
		if (buf_addc(b, lower(ch)) < 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&d);
	return rc;
}

/* Resolve "." and ".." and drop empty segments of the folded path
 * s[0..n) (no leading slash in the result); append it to c->names and
 * give its offset and length. */
static int
resolve(struct ctx *c, const char *s, size_t n, size_t *off, size_t *len)
{
	size_t start = c->names.len, i = 0, j, seg;

	while (i <= n) {
		j = i;
		while (j < n && s[j] != '/')
			j++;
		seg = j - i;
		if (seg == 0 || (seg == 1 && s[i] == '.'))
			;
		else if (seg == 2 && s[i] == '.' && s[i + 1] == '.') {
			while (c->names.len > start && c->names.p[c->names.len - 1] != '/')
				c->names.len--;
			if (c->names.len > start)
				c->names.len--;
		} else {
			if (c->names.len > start && buf_addc(&c->names, '/') < 0)
				return -1;
			if (buf_add(&c->names, s + i, seg) < 0)
				return -1;
		}
		i = j + 1;
	}
	*off = start;
	*len = c->names.len - start;
	return buf_addc(&c->names, '\0');	/* names are also C strings */
}

static int
namecmp(const struct ctx *c, size_t a, size_t b)
{
	const struct ent *x = &c->e[a], *y = &c->e[b];
	size_t m = x->nlen < y->nlen ? x->nlen : y->nlen;
	int r = memcmp(nameof(c, x->noff), nameof(c, y->noff), m);

	if (r)
		return r;
	return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

/* the entry with normalised name s[0..n), or -1 */
static long
lookup(const struct ctx *c, const char *s, size_t n)
{
	size_t lo = 0, hi = c->ne;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ent *x = &c->e[c->sorted[mid]];
		size_t m = x->nlen < n ? x->nlen : n;
		int r = memcmp(nameof(c, x->noff), s, m);

		if (r == 0)
			r = x->nlen < n ? -1 : x->nlen > n;
		if (r == 0)
			return (long)c->sorted[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* qsort has no context argument: sort with a merge sort of our own */
static void
msort(const struct ctx *c, size_t *v, size_t *tmp, size_t n,
    int (*cmp)(const struct ctx *, size_t, size_t))
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	msort(c, v, tmp, h, cmp);
	msort(c, v + h, tmp, n - h, cmp);
	while (i < h && j < n)
		tmp[k++] = cmp(c, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

static int
offcmp(const struct ctx *c, size_t a, size_t b)
{
	return c->e[a].lho < c->e[b].lho ? -1 : c->e[a].lho > c->e[b].lho;
}

/* Find the end of central directory record: the last "PK\5\6" in the
 * tail must be it, its comment reaching exactly to the end. */
static int
eocd(struct ctx *c, size_t *at)
{
	const unsigned char *u = (const unsigned char *)c->p;
	size_t i, lo;

	if (c->n < EOCDLEN)
		return fail(c, EBADMSG, "too short for a zip");
	lo = c->n - EOCDLEN > 65535 ? c->n - EOCDLEN - 65535 : 0;
	for (i = c->n - EOCDLEN + 1; i-- > lo;)
		if (memcmp(u + i, "PK\5\6", 4) == 0) {
			if (i + EOCDLEN + get16(u + i + 20) != c->n)
				return fail(c, EBADMSG, "no end of central directory record at the end");
			*at = i;
			return 0;
		}
	return fail(c, EBADMSG, "no end of central directory record");
}

/* Walk an extra field: a ZIP64 record is not read here, and a Unicode
 * path (Info-ZIP 0x7075, which some readers take for the name) must be
 * the name itself. */
static int
extra(struct ctx *c, const unsigned char *x, size_t n, const char *name, size_t nl)
{
	while (n >= 4) {
		size_t l = get16(x + 2);

		if (get16(x) == 0x0001)
			return fail(c, ENOTSUP, "ZIP64 extra field");
		if (l > n - 4)
			break;	/* a sloppy extra field: not ours to judge */
		if (get16(x) == 0x7075 && (l < 5 || l - 5 != nl || memcmp(x + 9, name, nl) != 0))
			return fail(c, EBADMSG, "a Unicode path that is not the entry's name");
		x += 4 + l;
		n -= 4 + l;
	}
	return 0;
}

static int
central(struct ctx *c)
{
	const unsigned char *u = (const unsigned char *)c->p, *r;
	size_t at, cdoff, cdsize, pos, cdend, i, nent;

	if (eocd(c, &at) < 0)
		return -1;
	r = u + at;
	if (at >= 20 && memcmp(u + at - 20, "PK\6\7", 4) == 0)
		return fail(c, ENOTSUP, "ZIP64 end of central directory");
	nent = get16(r + 10);
	cdsize = get32(r + 12);
	cdoff = get32(r + 16);
	if (nent == 0xffff || get16(r + 8) == 0xffff || cdsize == 0xffffffff ||
	    cdoff == 0xffffffff)
		return fail(c, ENOTSUP, "ZIP64 end of central directory");
	if (get16(r + 4) != 0 || get16(r + 6) != 0 || get16(r + 8) != nent)
		return fail(c, ENOTSUP, "a zip on several disks");
	if (cdoff > at || cdsize != at - cdoff)
		return fail(c, EBADMSG, "the central directory is not where the end record says");
	c->eocd = at;
	c->cdoff = cdoff;
	if (nent > c->lim.entries)
		return fail(c, EBADMSG, "more entries than the entries limit");
	if (nent > cdsize / CDLEN)
		return fail(c, EBADMSG, "more entries than the central directory holds");
	if ((c->e = calloc(nent ? nent : 1, sizeof *c->e)) == NULL ||
	    (c->sorted = calloc(nent ? nent : 1, sizeof *c->sorted)) == NULL)
		return fail(c, ENOMEM, NULL);
	pos = cdoff;
	cdend = at;
	for (i = 0; i < nent; i++) {
		struct ent *e = &c->e[i];
		size_t nl, xl, cl;

		if (cdend - pos < CDLEN || memcmp(u + pos, "PK\1\2", 4) != 0)
			return fail(c, EBADMSG, "broken central directory entry");
		r = u + pos;
		nl = get16(r + 28);
		xl = get16(r + 30);
		cl = get16(r + 32);
		if (nl + xl + cl > cdend - pos - CDLEN)
			return fail(c, EBADMSG, "central directory entry runs past its end");
		e->cd = r;
		e->cdlen = CDLEN + nl + xl + cl;
		e->flags = get16(r + 8);
		e->method = get16(r + 10);
		e->crc = get32(r + 16);
		e->csize = get32(r + 20);
		e->usize = get32(r + 24);
		e->lho = get32(r + 42);
		e->name = (const char *)r + CDLEN;
		e->namelen = nl;
		if (nl == 0 || memchr(e->name, '\0', nl))
			return fail(c, EBADMSG, "an entry without a proper name");
		if (e->csize == 0xffffffff || e->usize == 0xffffffff || e->lho == 0xffffffff ||
		    get16(r + 34) == 0xffff)
			return fail(c, ENOTSUP, "ZIP64 entry");
		if (get16(r + 34) != 0)
			return fail(c, ENOTSUP, "a zip on several disks");
		if (extra(c, r + CDLEN + nl, xl, e->name, nl) < 0)
			return -1;
		{
			struct buf f = BUF_INIT;
			int rc = fold(&f, e->name, nl);

			if (rc == 0)
				rc = resolve(c, f.p ? f.p : "", f.len, &e->noff, &e->nlen);
			buf_free(&f);
			if (rc < 0)
				return fail(c, ENOMEM, NULL);
		}
		e->rels = e->nlen >= 5 && memcmp(nameof(c, e->noff) + e->nlen - 5, ".rels", 5) == 0;
		c->sorted[i] = i;
		pos += e->cdlen;
	}
	if (pos != cdend)
		return fail(c, EBADMSG, "the central directory has bytes after its entries");
	c->ne = nent;
	return 0;
}

/* Every local header agrees with its central entry, entries lie before
 * the central directory, do not overlap and hide no local header between
 * them. */
static int
locals(struct ctx *c)
{
	const unsigned char *u = (const unsigned char *)c->p;
	size_t cdoff = c->cdoff;
	size_t *ord, *tmp, i, prev = 0;

	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];
		const unsigned char *l;
		unsigned lf;
		size_t nl, xl, pos;

		if (e->flags & 0x41 || e->method == 99)
			return fail(c, ENOTSUP, "encrypted entry");
		if (e->lho > cdoff || cdoff - e->lho < LHLEN)
			return fail(c, EBADMSG, "local header outside the entries");
		l = u + e->lho;
		if (memcmp(l, "PK\3\4", 4) != 0)
			return fail(c, EBADMSG, "no local header where the central directory says");
		lf = get16(l + 6);
		nl = get16(l + 26);
		xl = get16(l + 28);
		if (lf & 0x41)
			return fail(c, ENOTSUP, "encrypted entry");
		if ((lf & 8) != (e->flags & 8) || get16(l + 8) != e->method ||
		    nl != e->namelen || memcmp(l + LHLEN, e->name, nl) != 0)
			return fail(c, EBADMSG, "a local header does not match its central entry");
		if (nl + xl > cdoff - e->lho - LHLEN)
			return fail(c, EBADMSG, "local header runs past the entries");
		if (extra(c, l + LHLEN + nl, xl, e->name, nl) < 0)
			return -1;
		if (!(lf & 8) && (get32(l + 14) != e->crc || get32(l + 18) != e->csize ||
		    get32(l + 22) != e->usize))
			return fail(c, EBADMSG, "a local header does not match its central entry");
		e->data = e->lho + LHLEN + nl + xl;
		if (e->csize > cdoff - e->data)
			return fail(c, EBADMSG, "entry data runs past the entries");
		pos = e->data + e->csize;
		if (lf & 8) {
			size_t room = cdoff - pos;

			if (room >= 16 && memcmp(u + pos, "PK\7\10", 4) == 0 &&
			    get32(u + pos + 4) == e->crc && get32(u + pos + 8) == e->csize &&
			    get32(u + pos + 12) == e->usize)
				pos += 16;
			else if (room >= 12 && get32(u + pos) == e->crc &&
			    get32(u + pos + 4) == e->csize && get32(u + pos + 8) == e->usize)
				pos += 12;
			else
				return fail(c, EBADMSG, "a data descriptor does not match its central entry");
		}
		e->end = pos;
	}
	if ((ord = calloc(c->ne ? c->ne : 1, sizeof *ord)) == NULL ||
	    (tmp = calloc(c->ne ? c->ne : 1, sizeof *tmp)) == NULL) {
		free(ord);
		return fail(c, ENOMEM, NULL);
	}
	for (i = 0; i < c->ne; i++)
		ord[i] = i;
	msort(c, ord, tmp, c->ne, offcmp);
	for (i = 0; i <= c->ne; i++) {
		size_t next = i < c->ne ? c->e[ord[i]].lho : cdoff;

		if (next < prev) {
			free(ord);
			free(tmp);
			return fail(c, EBADMSG, "entries overlap");
		}
		if (next - prev >= 4 && memmem(u + prev, next - prev, "PK\3\4", 4)) {
			free(ord);
			free(tmp);
			return fail(c, EBADMSG, "a local header outside the central directory");
		}
		if (i < c->ne)
			prev = c->e[ord[i]].end;
	}
	free(ord);
	free(tmp);
	return 0;
}

/* The inflated bytes of entry e into b (emptied first).  A part read
 * again (for its edit) is not counted twice against lim.total. */
static int
inflate_ent(struct ctx *c, struct ent *e, struct buf *b, int again)
{
	const unsigned char *d = (const unsigned char *)c->p + e->data;
	z_stream z;
	int zr;

	b->len = 0;
	if (e->usize > c->lim.part)
		return fail(c, EBADMSG, "a part that inflates past the part limit");
	if (!again && (c->inflated > c->lim.total || e->usize > c->lim.total - c->inflated))
		return fail(c, EBADMSG, "parts that inflate past the total limit");
	if (e->usize > RATIOFLOOR && e->usize / c->lim.ratio > e->csize)
		return fail(c, EBADMSG, "a part that inflates past the ratio limit");
	if (e->method == 0) {
		if (e->csize != e->usize)
			return fail(c, EBADMSG, "a stored entry with two sizes");
		if (buf_add(b, d, e->usize) < 0)
			return fail(c, ENOMEM, NULL);
	} else if (e->method == 8) {
		if (buf_reserve(b, (size_t)e->usize + 1) < 0)
			return fail(c, ENOMEM, NULL);
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
			return fail(c, ENOMEM, NULL);
		z.next_in = (unsigned char *)d;
		z.avail_in = e->csize;
		z.next_out = (unsigned char *)b->p;
		z.avail_out = e->usize + 1;
		zr = inflate(&z, Z_FINISH);
		b->len = z.total_out;
		inflateEnd(&z);
		if (zr == Z_MEM_ERROR)
			return fail(c, ENOMEM, NULL);
		if (zr != Z_STREAM_END || b->len != e->usize)
			return fail(c, EBADMSG, "a part does not inflate to its size");
	} else
		return fail(c, ENOTSUP, "a part compressed with a method not read here");
	if (!again)
		c->inflated += e->usize;
	if (crc32(0, (const unsigned char *)b->p, b->len) != e->crc)
		return fail(c, EBADMSG, "a part with a wrong CRC");
	return 0;
}

/* XML: attribute values decoded (references, whitespace, trimmed). */
static int
xmlvalue(struct ctx *c, const char *v, size_t n, struct buf *b)
{
	size_t i, s, e;

	b->len = 0;
	for (i = 0; i < n; i++) {
		unsigned long cp;
		unsigned char enc[4];
		size_t el;

		if (v[i] != '&') {
			if (buf_addc(b, xmlws(v[i]) ? ' ' : v[i]) < 0)
				return fail(c, ENOMEM, NULL);
			continue;
		}
		s = i + 1;
		for (e = s; e < n && v[e] != ';' && e - s < 12; e++)
			;
		if (e >= n || v[e] != ';')
			return fail(c, EBADMSG, "a bad reference in XML");
		if (e - s == 2 && memcmp(v + s, "lt", 2) == 0)
			cp = '<';
		else if (e - s == 2 && memcmp(v + s, "gt", 2) == 0)
			cp = '>';
		else if (e - s == 3 && memcmp(v + s, "amp", 3) == 0)
			cp = '&';
		else if (e - s == 4 && memcmp(v + s, "quot", 4) == 0)
			cp = '"';
		else if (e - s == 4 && memcmp(v + s, "apos", 4) == 0)
			cp = '\'';
		else if (e - s >= 2 && v[s] == '#') {
			size_t k = s + 1;
			int base = 10, dv;

			if (v[k] == 'x') {
				base = 16;
				k++;
			}
			if (k == e)
				return fail(c, EBADMSG, "a bad reference in XML");
			for (cp = 0; k < e; k++) {
				dv = hexval(v[k]);
				if (dv < 0 || dv >= base)
					return fail(c, EBADMSG, "a bad reference in XML");
				cp = cp * base + dv;
				if (cp > 0x10ffff)
					return fail(c, EBADMSG, "a bad reference in XML");
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				return fail(c, EBADMSG, "a bad reference in XML");
		} else
			return fail(c, EBADMSG, "an unknown entity in XML");
		if (cp < 0x80) {
			enc[0] = cp;
			el = 1;
		} else if (cp < 0x800) {
			enc[0] = 0xc0 | cp >> 6;
			enc[1] = 0x80 | (cp & 0x3f);
			el = 2;
		} else if (cp < 0x10000) {
			enc[0] = 0xe0 | cp >> 12;
			enc[1] = 0x80 | (cp >> 6 & 0x3f);
			enc[2] = 0x80 | (cp & 0x3f);
			el = 3;
		} else {
			enc[0] = 0xf0 | cp >> 18;
			enc[1] = 0x80 | (cp >> 12 & 0x3f);
			enc[2] = 0x80 | (cp >> 6 & 0x3f);
			enc[3] = 0x80 | (cp & 0x3f);
			el = 4;
		}
		if (buf_add(b, enc, el) < 0)
			return fail(c, ENOMEM, NULL);
		i = e;
	}
	s = 0;
	while (s < b->len && b->p[s] == ' ')
		s++;
	while (b->len > s && b->p[b->len - 1] == ' ')
		b->len--;
	if (s > 0) {
		memmove(b->p, b->p + s, b->len - s);
		b->len -= s;
	}
	return 0;
}

static int
ieq(const char *a, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++)
		if (lower(a[i]) != lit[i])
			return 0;
	return i == n && lit[i] == '\0';
}

static int
iprefix(const char *a, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && ieq(a, l, lit);
}

/* a VBA content type: application/vnd.ms-office.vbaProject and its
 * signatures, application/vnd.ms-word.vbaData+xml, and the same subtypes
 * under any other application/vnd.ms-APP. */
static int
vbatype(const char *t, size_t n)
{
	size_t i;

	if (!iprefix(t, n, "application/vnd.ms-"))
		return 0;
	for (i = 19; i < n && t[i] != '.' && t[i] != ';'; i++)
		;
	if (i >= n || t[i] != '.')
		return 0;
	return iprefix(t + i + 1, n - i - 1, "vbaproject") ||
	    iprefix(t + i + 1, n - i - 1, "vbadata");
}

/* a VBA relationship type: its last segment */
static int
vbarel(const char *t, size_t n)
{
	size_t i = n;

	while (i > 0 && t[i - 1] != '/')
		i--;
	return iprefix(t + i, n - i, "vbaproject") || ieq(t + i, n - i, "wordvbadata");
}

/* t[0..n) is lit, then nothing, "+xml" or parameters */
static int
ctis(const char *t, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	if (!iprefix(t, n, lit))
		return 0;
	return n == l || t[l] == ';' || t[l] == ' ' || ieq(t + l, n - l, "+xml") ||
	    (iprefix(t + l, n - l, "+xml") && (t[l + 4] == ';' || t[l + 4] == ' '));
}

/* a content type that cannot be taken out: an Excel 4.0 macro sheet
 * (XML or .xlsb binary, international too), an ActiveX control (its XML
 * and its persisted binary) */
static int
badtype(const char *t, size_t n)
{
	if (ctis(t, n, "application/vnd.ms-excel.macrosheet") ||
	    ctis(t, n, "application/vnd.ms-excel.intlmacrosheet"))
		return B_XLM;
	if (ctis(t, n, "application/vnd.ms-office.activex"))
		return B_ACTIVEX;
	return B_NONE;
}

/* the last segment of a relationship type */
static const char *
lastseg(const char *t, size_t n, size_t *len)
{
	size_t i = n;

	while (i > 0 && t[i - 1] != '/')
		i--;
	*len = n - i;
	return t + i;
}

static int
badrel(const char *t, size_t n)
{
	size_t l;
	const char *s = lastseg(t, n, &l);

	if (ieq(s, l, "xlmacrosheet") || ieq(s, l, "xlintlmacrosheet"))
		return B_XLM;
	if (ieq(s, l, "control") || ieq(s, l, "activexcontrolbinary"))
		return B_ACTIVEX;
	return B_NONE;
}

/* a relationship whose target Office fetches when it opens the document:
 * a template, a linked OLE object, a frame of a frameset, a subdocument */
static const char *const fetchtypes[][2] = {
	{ "attachedtemplate", "remote template" },
	{ "oleobject", "remote OLE object" },
	{ "frame", "remote frame" },
	{ "subdocument", "remote subdocument" },
	{ NULL, NULL }
};

/* its index in fetchtypes plus one, or 0 */
static int
fetchrel(const char *t, size_t n)
{
	size_t l, i;
	const char *s = lastseg(t, n, &l);

	for (i = 0; fetchtypes[i][0]; i++)
		if (ieq(s, l, fetchtypes[i][0]))
			return (int)i + 1;
	return 0;
}

/* Is the target v[0..n) anything but a local file path?  Read the way
 * that finds more: %-escapes undone, blanks and controls ignored,
 * backslashes taken for slashes.  Local: a relative or rooted path, a
 * drive letter path, a file: URL without a host whose path is one of
 * those.  Remote: a UNC path (two slashes), a file: URL with a host,
 * every other scheme. */
static int
remote_target(const char *v, size_t n)
{
	char t[1024];
	size_t i, k = 0, s, a;
	int h, l;

	for (i = 0; i < n && k < sizeof t; i++) {
		unsigned char ch = v[i];

		if (ch == '%' && i + 2 < n && (h = hexval(v[i + 1])) >= 0 &&
		    (l = hexval(v[i + 2])) >= 0) {
			ch = h << 4 | l;
			i += 2;
		}
		if (ch <= 0x20 || ch == 0x7f)
			continue;
		t[k++] = ch == '\\' ? '/' : (char)ch;
	}
	if (k == sizeof t)
		return 1;	/* too long to judge: remote */
	if (k >= 2 && t[0] == '/' && t[1] == '/')
		return 1;
	for (s = 0; s < k && ((lower(t[s]) >= 'a' && lower(t[s]) <= 'z') ||
	    (s > 0 && ((t[s] >= '0' && t[s] <= '9') || t[s] == '+' || t[s] == '-' ||
	    t[s] == '.'))); s++)
		;
	if (s == 0 || s >= k || t[s] != ':')
		return 0;	/* no scheme: a path */
	if (s == 1)
		return 0;	/* a drive letter */
	if (!ieq(t, s, "file"))
		return 1;
	i = s + 1;
	if (k - i >= 2 && t[i] == '/' && t[i + 1] == '/') {
		for (a = i + 2; a < k && t[a] != '/'; a++)
			;
		if (a > i + 2 && !ieq(t + i + 2, a - i - 2, "localhost"))
			return 1;
		i = a;
	} else if (i < k && t[i] != '/')
		return 0;	/* file:name, a relative path */
	for (s = 0; i < k && t[i] == '/'; i++, s++)
		;
	if (s >= 2)
		return 1;	/* file:////host/share */
	/* file:///C:/ or file:/C:/ */
	return !(k - i >= 2 && lower(t[i]) >= 'a' && lower(t[i]) <= 'z' &&
	    (t[i + 1] == ':' || t[i + 1] == '|'));
}

static int
addelem(struct ctx *c, struct ent *e, const struct elem *x)
{
	struct elem *ne;

	if ((ne = grow(e->el, e->nel, &e->elcap, sizeof *ne, 8)) == NULL)
		return fail(c, ENOMEM, NULL);
	e->el = ne;
	e->el[e->nel++] = *x;
	return 0;
}

/* One start tag's attributes of interest. */
struct attrs {
	const char *v[4];
	size_t vl[4];
	int match;	/* X_SRC: an r:id names a removed relationship, */
	size_t moff, mlen;	/* this one, in ctx.names */
};

/* The folder relative targets of a .rels part are resolved against:
 * the folder of its source part. */
static void
relbase(const struct ctx *c, const struct ent *e, size_t *len)
{
	const char *s = nameof(c, e->noff);
	size_t n = e->nlen;

	while (n > 0 && s[n - 1] != '/')
		n--;
	if (n > 0)
		n--;
	if (n >= 5 && memcmp(s + n - 5, "_rels", 5) == 0 && (n == 5 || s[n - 6] == '/'))
		n = n >= 6 ? n - 6 : 0;
	*len = n;
}

/* store b[0..n) in c->names */
static int
keepstr(struct ctx *c, const char *b, size_t n, size_t *off)
{
	*off = c->names.len;
	if (buf_add(&c->names, b, n) < 0 || buf_addc(&c->names, '\0') < 0)
		return fail(c, ENOMEM, NULL);
	return 0;
}

/* Record an element of interest from its attributes. */
static int
interesting(struct ctx *c, struct ent *e, int mode, const char *ln, size_t lnl,
    const struct attrs *a, size_t start, size_t end, long *rec)
{
	struct buf v = BUF_INIT;
	struct elem x;
	size_t base;
	int rc = -1, ct = mode == X_CT;

	memset(&x, 0, sizeof x);
	x.start = start;
	x.end = end;
	*rec = -1;
	if (mode == X_SRC) {
		if (!a->match)
			return 0;
		x.kind = E_REF;
		x.hasid = 1;
		x.idoff = a->moff;
		x.idlen = a->mlen;
		rc = 0;
		goto add;
	}
	if (ct && ieq(ln, lnl, "override"))
		x.kind = E_OVERRIDE;
	else if (ct && ieq(ln, lnl, "default"))
		x.kind = E_DEFAULT;
	else if (!ct && ieq(ln, lnl, "relationship"))
		x.kind = E_REL;
	else
		return 0;
	/* v[0] names a part (PartName, Extension, Target), v[1] is the type
	 * (ContentType, Type), v[2] the TargetMode, v[3] the Id */
	if (a->v[1]) {
		if (xmlvalue(c, a->v[1], a->vl[1], &v) < 0)
			goto out;
		if (x.kind == E_REL) {
			x.vba = vbarel(v.p, v.len);
			x.bad = badrel(v.p, v.len);
			x.fetch = fetchrel(v.p, v.len);
		} else {
			x.vba = vbatype(v.p, v.len);
			x.bad = badtype(v.p, v.len);
		}
	}
	if (x.kind == E_REL && a->v[3]) {
		if (xmlvalue(c, a->v[3], a->vl[3], &v) < 0 ||
		    keepstr(c, v.p ? v.p : "", v.len, &x.idoff) < 0)
			goto out;
		x.idlen = v.len;
		x.hasid = 1;
	}
	if (x.fetch && a->v[0]) {
		if (xmlvalue(c, a->v[0], a->vl[0], &v) < 0 ||
		    keepstr(c, v.p ? v.p : "", v.len, &x.toff) < 0)
			goto out;
		x.tlen = v.len;
		x.remote = remote_target(v.p ? v.p : "", v.len);
	}
	if (a->v[2]) {
		if (xmlvalue(c, a->v[2], a->vl[2], &v) < 0)
			goto out;
		if (ieq(v.p, v.len, "external")) {
			x.bad = B_NONE;	/* no part of this package */
			rc = 0;
			goto add;
		}
	}
	if (a->v[0]) {
		if (xmlvalue(c, a->v[0], a->vl[0], &v) < 0)
			goto out;
		if (x.kind == E_DEFAULT) {
			size_t s = 0;

			while (s < v.len && v.p[s] == '.')
				s++;
			{
				struct buf f = BUF_INIT;

				if (fold(&f, v.p + s, v.len - s) < 0) {
					buf_free(&f);
					goto nomem;
				}
				x.noff = c->names.len;
				x.nlen = f.len;
				if (buf_add(&c->names, f.p ? f.p : "", f.len) < 0 ||
				    buf_addc(&c->names, '\0') < 0) {
					buf_free(&f);
					goto nomem;
				}
				buf_free(&f);
			}
			x.hasname = 1;
		} else {
			size_t i, k;

			/* a fragment or query is no part of the name */
			for (i = 0; i < v.len && v.p[i] != '#' && v.p[i] != '?'; i++)
				;
			v.len = i;
			/* a URI with a scheme is no part */
			for (k = 0; k < v.len && ((lower(v.p[k]) >= 'a' && lower(v.p[k]) <= 'z') ||
			    (k > 0 && ((v.p[k] >= '0' && v.p[k] <= '9') || v.p[k] == '+' ||
			    v.p[k] == '-' || v.p[k] == '.'))); k++)
				;
			if (k > 0 && k < v.len && v.p[k] == ':') {
				rc = 0;
				goto add;
			}
			if (x.kind == E_REL && !(v.len > 0 && (v.p[0] == '/' || v.p[0] == '\\'))) {
				relbase(c, e, &base);
				{
					struct buf b = BUF_INIT;

					if (buf_add(&b, nameof(c, e->noff), base) < 0 ||
					    (base && buf_addc(&b, '/') < 0) ||
					    fold(&b, v.p ? v.p : "", v.len) < 0 ||
					    resolve(c, b.p ? b.p : "", b.len, &x.noff, &x.nlen) < 0) {
						buf_free(&b);
						goto nomem;
					}
					buf_free(&b);
				}
			} else {
				struct buf b = BUF_INIT;

				if (fold(&b, v.p ? v.p : "", v.len) < 0 ||
				    resolve(c, b.p ? b.p : "", b.len, &x.noff, &x.nlen) < 0) {
					buf_free(&b);
					goto nomem;
				}
				buf_free(&b);
			}
			x.hasname = 1;
		}
	}
	rc = 0;
add:
	*rec = (long)e->nel;
	if (addelem(c, e, &x) < 0)
		rc = -1;
	goto out;
nomem:
	rc = fail(c, ENOMEM, NULL);
out:
	buf_free(&v);
	return rc;
}

static int
namechar(unsigned char ch)
{
	return !xmlws(ch) && ch != '/' && ch != '>' && ch != '<' && ch != '=' &&
	    ch != '"' && ch != '\'' && ch != '&';
}

static int extcmp(const void *, const void *);

/* Scan the XML x[0..n) of entry e (mode X_CT: [Content_Types].xml,
 * X_RELS: a .rels part, X_SRC: a part whose relationships lose c->ids)
 * strictly enough that nothing reads two ways, and record its Override,
 * Default or Relationship elements, or the elements with an r:id in
 * c->ids, with their extents. */
static int
xmlscan(struct ctx *c, struct ent *e, int mode, const char *x, size_t n)
{
	struct { size_t off, len; long rec; } *st;
	size_t depth = 0, i = 0;
	const char *q;
	int ct = mode == X_CT;

	if (n >= 2 && ((unsigned char)x[0] == 0xfe || (unsigned char)x[0] == 0xff))
		return fail(c, ENOTSUP, "an XML part in UTF-16");
	if (memchr(x, '\0', n))
		return fail(c, EBADMSG, "a NUL byte in an XML part");
	if ((st = calloc(c->lim.depth ? c->lim.depth : 1, sizeof *st)) == NULL)
		return fail(c, ENOMEM, NULL);
	while (i < n) {
		size_t s, qs, ql, j;
		struct attrs a;
		const char *ln;
		size_t lnl;
		long rec;
		int empty = 0;

		if ((q = memchr(x + i, '<', n - i)) == NULL)
			break;
		s = q - x;
		i = s + 1;
		if (n - s >= 4 && memcmp(x + s, "<!--", 4) == 0) {
			if ((q = memmem(x + s + 4, n - s - 4, "-->", 3)) == NULL)
				goto bad;
			i = q - x + 3;
			continue;
		}
		if (n - s >= 9 && memcmp(x + s, "<![CDATA[", 9) == 0) {
			if ((q = memmem(x + s + 9, n - s - 9, "]]>", 3)) == NULL)
				goto bad;
			i = q - x + 3;
			continue;
		}
		if (n - s >= 2 && x[s + 1] == '?') {
			if ((q = memmem(x + s + 2, n - s - 2, "?>", 2)) == NULL)
				goto bad;
			i = q - x + 2;
			continue;
		}
		if (n - s >= 2 && x[s + 1] == '!') {
			free(st);
			return fail(c, EBADMSG, "a DOCTYPE or declaration in an XML part");
		}
		if (n - s >= 2 && x[s + 1] == '/') {
			for (j = s + 2; j < n && namechar(x[j]); j++)
				;
			qs = s + 2;
			ql = j - qs;
			while (j < n && xmlws(x[j]))
				j++;
			if (j >= n || x[j] != '>' || ql == 0 || depth == 0 ||
			    st[depth - 1].len != ql || memcmp(x + st[depth - 1].off, x + qs, ql) != 0)
				goto bad;
			depth--;
			if (st[depth].rec >= 0)
				e->el[st[depth].rec].end = j + 1;
			i = j + 1;
			continue;
		}
		/* a start tag */
		for (j = s + 1; j < n && namechar(x[j]); j++)
			;
		qs = s + 1;
		ql = j - qs;
		if (ql == 0)
			goto bad;
		ln = memrchr(x + qs, ':', ql);
		ln = ln ? ln + 1 : x + qs;
		lnl = x + qs + ql - ln;
		memset(&a, 0, sizeof a);
		for (;;) {
			size_t ws = j, as, al, vs;
			const char *an;
			size_t anl;
			int slot;
			char quote;

			while (j < n && xmlws(x[j]))
				j++;
			if (j >= n)
				goto bad;
			if (x[j] == '>') {
				j++;
				break;
			}
			if (x[j] == '/') {
				if (j + 1 >= n || x[j + 1] != '>')
					goto bad;
				j += 2;
				empty = 1;
				break;
			}
			if (j == ws)
				goto bad;	/* attributes need blanks between them */
			as = j;
			while (j < n && namechar(x[j]))
				j++;
			al = j - as;
			if (al == 0)
				goto bad;
			while (j < n && xmlws(x[j]))
				j++;
			if (j >= n || x[j] != '=')
				goto bad;
			j++;
			while (j < n && xmlws(x[j]))
				j++;
			if (j >= n || (x[j] != '"' && x[j] != '\''))
				goto bad;
			quote = x[j++];
			vs = j;
			if ((q = memchr(x + j, quote, n - j)) == NULL)
				goto bad;
			j = q - x;
			if (memchr(x + vs, '<', j - vs))
				goto bad;
			an = memrchr(x + as, ':', al);
			an = an ? an + 1 : x + as;
			anl = x + as + al - an;
			if (mode == X_SRC) {
				struct ext key;

				slot = -1;
				if (an == x + as || !ieq(an, anl, "id"))
					goto next;
				if (xmlvalue(c, x + vs, j - vs, &c->val) < 0) {
					free(st);
					return -1;
				}
				key.s = c->val.p ? c->val.p : "";
				key.n = c->val.len;
				if (!a.match && bsearch(&key, c->ids, c->nids, sizeof *c->ids, extcmp)) {
					a.match = 1;
					a.mlen = c->val.len;
					if (keepstr(c, key.s, key.n, &a.moff) < 0) {
						free(st);
						return -1;
					}
				}
			} else if (ieq(an, anl, ct ? "partname" : "target") ||
			    (ct && ieq(an, anl, "extension")))
				slot = 0;
			else if (ieq(an, anl, ct ? "contenttype" : "type"))
				slot = 1;
			else if (!ct && ieq(an, anl, "targetmode"))
				slot = 2;
			else if (!ct && ieq(an, anl, "id"))
				slot = 3;
			else
				slot = -1;
			if (slot >= 0) {
				if (a.v[slot]) {
					free(st);
					return fail(c, EBADMSG, "an attribute given twice in an XML part");
				}
				a.v[slot] = x + vs;
				a.vl[slot] = j - vs;
			}
next:
			j++;	/* the closing quote */
		}
		if (interesting(c, e, mode, ln, lnl, &a, s, j, &rec) < 0) {
			free(st);
			return -1;
		}
		i = j;
		if (empty)
			continue;
		if (depth == c->lim.depth) {
			free(st);
			return fail(c, EBADMSG, "XML nested deeper than the depth limit");
		}
		st[depth].off = qs;
		st[depth].len = ql;
		st[depth].rec = rec;
		depth++;
	}
	free(st);
	if (depth != 0)
		return fail(c, EBADMSG, "an XML part with an element left open");
	return 0;
bad:
	free(st);
	return fail(c, EBADMSG, "a malformed XML part");
}

/* The bytes of x[0..n) without the ranges of e's elements marked by
 * drop[]; into e->repl. */
static int
edit(struct ctx *c, struct ent *e, const char *x, size_t n, const char *drop)
{
	size_t i, pos = 0;

	e->repl.len = 0;
	for (i = 0; i < e->nel; i++) {
		if (!drop[i])
			continue;
		if (e->el[i].start < pos)
			continue;	/* inside one already dropped */
		if (buf_add(&e->repl, x + pos, e->el[i].start - pos) < 0)
			return fail(c, ENOMEM, NULL);
		pos = e->el[i].end;
	}
	if (buf_add(&e->repl, x + pos, n - pos) < 0)
		return fail(c, ENOMEM, NULL);
	e->edited = 1;
	return 0;
}

static int
removed_name(const struct ctx *c, const struct elem *x)
{
	long k;

	if (!x->hasname)
		return 0;
	k = lookup(c, nameof(c, x->noff), x->nlen);
	return k >= 0 && c->e[k].vba;
}

static int
deflate_to(struct ctx *c, const struct buf *in, struct buf *out, uint32_t *clen)
{
	z_stream z;
	size_t start = out->len;
	uLong bound;
	int zr;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return fail(c, ENOMEM, NULL);
	bound = deflateBound(&z, in->len);
	if (buf_reserve(out, bound) < 0) {
		deflateEnd(&z);
		return fail(c, ENOMEM, NULL);
	}
	z.next_in = (unsigned char *)(in->p ? in->p : "");
	z.avail_in = in->len;
	z.next_out = (unsigned char *)out->p + start;
	z.avail_out = bound;
	zr = deflate(&z, Z_FINISH);
	out->len = start + z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END)
		return fail(c, ENOMEM, NULL);
	*clen = z.total_out;
	return 0;
}

/* The new zip into out (after its first base bytes). */
static int
write_zip(struct ctx *c, struct buf *out, size_t base)
{
	const unsigned char *u = (const unsigned char *)c->p;
	const unsigned char *eo = u + c->eocd;
	size_t *newoff, i, cdstart, kept = 0, clen;
	unsigned char h[CDLEN];
	uint32_t csz, crc;
	int rc = -1;

	if ((newoff = calloc(c->ne ? c->ne : 1, sizeof *newoff)) == NULL)
		return fail(c, ENOMEM, NULL);
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];
		size_t nl = e->namelen, hs;

		if (e->vba)
			continue;
		newoff[i] = out->len - base;
		if (newoff[i] >= 0xffffffff)
			goto big;
		if (!e->edited) {
			if (buf_add(out, u + e->lho, e->end - e->lho) < 0)
				goto nomem;
			continue;
		}
		crc = crc32(0, (const unsigned char *)(e->repl.p ? e->repl.p : ""), e->repl.len);
		memcpy(h, "PK\3\4", 4);
		put16(h + 4, 20);
		put16(h + 6, e->flags & 0x800);
		put16(h + 8, 8);
		memcpy(h + 10, e->cd + 12, 4);	/* time and date */
		put32(h + 14, crc);
		put32(h + 22, e->repl.len);
		put16(h + 26, nl);
		put16(h + 28, 0);
		hs = out->len;
		if (buf_add(out, h, LHLEN) < 0 || buf_add(out, e->name, nl) < 0)
			goto nomem;
		if (deflate_to(c, &e->repl, out, &csz) < 0)
			goto out;
		put32((unsigned char *)out->p + hs + 18, csz);
		e->crc = crc;
		e->csize = csz;
		e->usize = e->repl.len;
	}
	cdstart = out->len - base;
	if (cdstart >= 0xffffffff)
		goto big;
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];
		size_t nl = e->namelen, xl = get16(e->cd + 30), cl = get16(e->cd + 32);

		if (e->vba)
			continue;
		kept++;
		memcpy(h, e->cd, CDLEN);
		put32(h + 42, newoff[i]);
		if (e->edited) {
			put16(h + 6, 20);
			put16(h + 8, e->flags & 0x800);
			put16(h + 10, 8);
			put32(h + 16, e->crc);
			put32(h + 20, e->csize);
			put32(h + 24, e->usize);
			put16(h + 30, 0);
			if (buf_add(out, h, CDLEN) < 0 || buf_add(out, e->name, nl) < 0 ||
			    buf_add(out, e->cd + CDLEN + nl + xl, cl) < 0)
				goto nomem;
		} else if (buf_add(out, h, CDLEN) < 0 ||
		    buf_add(out, e->cd + CDLEN, nl + xl + cl) < 0)
			goto nomem;
	}
	clen = out->len - base - cdstart;
	if (out->len - base >= 0xffffffff)
		goto big;
	memcpy(h, eo, EOCDLEN);
	put16(h + 8, kept);
	put16(h + 10, kept);
	put32(h + 12, clen);
	put32(h + 16, cdstart);
	if (buf_add(out, h, EOCDLEN) < 0 || buf_add(out, eo + EOCDLEN, get16(eo + 20)) < 0)
		goto nomem;
	rc = 0;
	goto out;
big:
	rc = fail(c, ENOTSUP, "the new zip would need ZIP64");
	goto out;
nomem:
	rc = fail(c, ENOMEM, NULL);
out:
	free(newoff);
	return rc;
}

static int
basename_vba(const struct ctx *c, const struct ent *e)
{
	const char *s = nameof(c, e->noff), *b = memrchr(s, '/', e->nlen);
	size_t i;

	b = b ? b + 1 : s;
	for (i = 0; vbanames[i]; i++)
		if (strlen(vbanames[i]) == (size_t)(s + e->nlen - b) &&
		    memcmp(b, vbanames[i], s + e->nlen - b) == 0)
			return 1;
	return 0;
}

/* Mark the .rels part of every removed part as removed too. */
static int
mark_rels(struct ctx *c)
{
	struct buf b = BUF_INIT;
	size_t i;
	long k;

	for (i = 0; i < c->ne; i++) {
		const struct ent *e = &c->e[i];
		const char *s = nameof(c, e->noff), *sl;
		size_t d;

		if (e->vba != 1)
			continue;
		sl = memrchr(s, '/', e->nlen);
		d = sl ? (size_t)(sl - s) + 1 : 0;
		b.len = 0;
		if (buf_add(&b, s, d) < 0 || buf_adds(&b, "_rels/") < 0 ||
		    buf_add(&b, s + d, e->nlen - d) < 0 || buf_adds(&b, ".rels") < 0) {
			buf_free(&b);
			return fail(c, ENOMEM, NULL);
		}
		if ((k = lookup(c, b.p, b.len)) >= 0 && !c->e[k].vba)
			c->e[k].vba = 2;
	}
	buf_free(&b);
	return 0;
}

static int
extcmp(const void *a, const void *b)
{
	const struct ext *x = a, *y = b;
	size_t m = x->n < y->n ? x->n : y->n;
	int r = memcmp(x->s, y->s, m);

	return r ? r : x->n < y->n ? -1 : x->n > y->n;
}

/* Parts without an Override whose extension has a Default of a VBA
 * content type are VBA parts (want 0); of a macro sheet or ActiveX
 * content type (want B_XLM, B_ACTIVEX), parts that cannot be taken out. */
static int
by_default(struct ctx *c, const struct ent *ct, int want)
{
	struct ext *v, key;
	size_t i, nv = 0;

	if ((v = calloc(ct->nel ? ct->nel : 1, sizeof *v)) == NULL)
		return fail(c, ENOMEM, NULL);
	for (i = 0; i < ct->nel; i++)
		if (ct->el[i].kind == E_DEFAULT && ct->el[i].hasname &&
		    (want ? ct->el[i].bad == want : ct->el[i].vba)) {
			v[nv].s = nameof(c, ct->el[i].noff);
			v[nv++].n = ct->el[i].nlen;
		}
	qsort(v, nv, sizeof *v, extcmp);
	for (i = 0; nv > 0 && i < c->ne; i++) {
		struct ent *e = &c->e[i];
		const char *s = nameof(c, e->noff), *dot = memrchr(s, '.', e->nlen);

		if (e->override || e == ct || dot == NULL || memchr(dot, '/', s + e->nlen - dot))
			continue;
		key.s = dot + 1;
		key.n = s + e->nlen - key.s;
		if (bsearch(&key, v, nv, sizeof *v, extcmp)) {
			if (want)
				e->bad = want;
			else
				e->vba = 1;
		}
	}
	free(v);
	return 0;
}

/* a part in a folder named activeX (any case) */
static int
in_activex(const struct ctx *c, const struct ent *e)
{
	const char *s = nameof(c, e->noff);
	size_t i = 0, j;

	for (;;) {
		for (j = i; j < e->nlen && s[j] != '/'; j++)
			;
		if (j >= e->nlen)
			return 0;	/* the last segment is the part's own name */
		if (j - i == 7 && memcmp(s + i, "activex", 7) == 0)
			return 1;
		i = j + 1;
	}
}

/* Keep an element taken out of part e: named NAME#ID, its bytes
 * x[el->start..el->end). */
static int
addpiece(struct ctx *c, const struct ent *e, const char *id, size_t idlen,
    const char *x, const struct elem *el)
{
	struct piece *np, *p;

	if ((np = grow(c->pc, c->npc, &c->pccap, sizeof *np, 4)) == NULL)
		return fail(c, ENOMEM, NULL);
	c->pc = np;
	p = &c->pc[c->npc++];
	memset(p, 0, sizeof *p);
	if (buf_add(&p->name, e->name, e->namelen) < 0 || buf_addc(&p->name, '#') < 0 ||
	    buf_add(&p->name, id, idlen) < 0 || buf_cstr(&p->name) == NULL ||
	    buf_add(&p->data, x + el->start, el->end - el->start) < 0)
		return fail(c, ENOMEM, NULL);
	return 0;
}

/* The part whose relationships the .rels part r holds (dir/_rels/N.rels
 * is dir/N's), or -1: the package's own, or none in the zip. */
static long
source_of(struct ctx *c, const struct ent *r)
{
	const char *s = nameof(c, r->noff), *sl = memrchr(s, '/', r->nlen);
	size_t d = sl ? (size_t)(sl - s) : 0, b = sl ? d + 1 : 0, p;
	struct buf n = BUF_INIT;
	long k;

	/* s[0..d) the folder, it must end in _rels; s[b..nlen-5) the name */
	if (d < 5 || memcmp(s + d - 5, "_rels", 5) != 0 || (d > 5 && s[d - 6] != '/'))
		return -1;
	if (r->nlen - b <= 5)
		return -1;	/* _rels/.rels: the package */
	p = d > 5 ? d - 5 : 0;
	if (buf_add(&n, s, p) < 0 || buf_add(&n, s + b, r->nlen - 5 - b) < 0) {
		buf_free(&n);
		fail(c, ENOMEM, NULL);
		return -2;
	}
	k = lookup(c, n.p, n.len);
	buf_free(&n);
	return k;
}

/* the part to name in why: a vbaProject.bin, else a VBA part */
static int
rank(const struct ctx *c, const struct ent *e)
{
	const char *s = nameof(c, e->noff);

	if (e->nlen >= 14 && memcmp(s + e->nlen - 14, "vbaproject.bin", 14) == 0 &&
	    (e->nlen == 14 || s[e->nlen - 15] == '/'))
		return 2;
	return e->vba == 1;
}

/* why: what is named first of the parts that cannot be taken out */
static const char *const badwhat[] = {
	"", "Excel 4.0 (XLM) macro sheet", "ActiveX control"
};

/* Take the relationships in c->ids out of the part e (the source of a
 * .rels part that loses them): the elements with an r:id naming one. */
static int
edit_source(struct ctx *c, struct ent *e, struct buf *x)
{
	char *drop;
	size_t j;
	int rc = -1;

	if (inflate_ent(c, e, x, 0) < 0 || xmlscan(c, e, X_SRC, x->p ? x->p : "", x->len) < 0)
		return -1;
	if (e->nel == 0)
		return 0;
	if ((drop = calloc(e->nel, 1)) == NULL)
		return fail(c, ENOMEM, NULL);
	memset(drop, 1, e->nel);
	for (j = 0; j < e->nel; j++) {
		const struct elem *el = &e->el[j];

		if (j > 0 && el->start < e->el[j - 1].end)
			continue;	/* inside one taken out already */
		if (addpiece(c, e, nameof(c, el->idoff), el->idlen, x->p, el) < 0)
			goto out;
	}
	rc = edit(c, e, x->p ? x->p : "", x->len, drop);
out:
	free(drop);
	return rc;
}

/* The DOC_* bits of what was found: VBA parts, macro sheets and ActiveX
 * controls, and the remote relationships of the .rels parts kept. */
static unsigned
found_bits(const struct ctx *c)
{
	unsigned f = 0;
	size_t i, j;

	for (i = 0; i < c->ne; i++) {
		const struct ent *e = &c->e[i];

		if (e->vba == 1)
			f |= DOC_VBA;
		if (e->bad == B_XLM)
			f |= DOC_XLM;
		else if (e->bad == B_ACTIVEX)
			f |= DOC_ACTIVEX;
		if (!e->rels || e->vba)
			continue;
		for (j = 0; j < e->nel; j++)
			if (e->el[j].kind == E_REL && e->el[j].remote)
				f |= DOC_TEMPLATE << (e->el[j].fetch - 1);
	}
	return f;
}

/* Append "; " and the finding to w. */
static int
finding(struct buf *w, const char *what, const char *s, size_t n, const char *in,
    const char *rest)
{
	char shown[100];

	ms_sanitize(shown, sizeof shown, s, n);
	if ((w->len && buf_adds(w, "; ") < 0) || buf_printf(w, "%s %s%s%s%s", what, shown,
	    in ? " in " : "", in ? in : "", rest) < 0)
		return -1;
	return 0;
}

static int
strip(struct ctx *c, struct buf *out, doc_removed_fn removed, void *arg)
{
	struct buf x = BUF_INIT, nm = BUF_INIT, w = BUF_INIT;
	size_t *tmp = NULL, i, j, nvba = 0, nremote = 0, nbad = 0, first = (size_t)-1;
	char *drop = NULL, shown[120];
	struct ent *ct;
	long k;
	int rc = -1, changed;

	if (central(c) < 0)
		return -1;
	if ((tmp = calloc(c->ne ? c->ne : 1, sizeof *tmp)) == NULL)
		return fail(c, ENOMEM, NULL);
	msort(c, c->sorted, tmp, c->ne, namecmp);
	free(tmp);
	if ((k = lookup(c, "[content_types].xml", 19)) < 0)
		return 0;	/* not an OOXML package */
	for (i = 1; i < c->ne; i++)
		if (namecmp(c, c->sorted[i - 1], c->sorted[i]) == 0)
			return fail(c, EBADMSG, "two entries with the same part name");
	ct = &c->e[k];
	if (locals(c) < 0)
		return -1;

	/* the VBA parts: by name, by content type, by relationship type; the
	 * same for macro sheets and ActiveX controls (and their folder) */
	for (i = 0; i < c->ne; i++) {
		if (basename_vba(c, &c->e[i]))
			c->e[i].vba = 1;
		if (in_activex(c, &c->e[i]))
			c->e[i].bad = B_ACTIVEX;
	}
	if (inflate_ent(c, ct, &x, 0) < 0 || xmlscan(c, ct, X_CT, x.p ? x.p : "", x.len) < 0)
		goto out;
	for (i = 0; i < ct->nel; i++) {
		const struct elem *el = &ct->el[i];

		if (el->kind != E_OVERRIDE || !el->hasname)
			continue;
		if ((k = lookup(c, nameof(c, el->noff), el->nlen)) < 0)
			continue;
		c->e[k].override = 1;
		if (el->vba)
			c->e[k].vba = 1;
		if (el->bad)
			c->e[k].bad = el->bad;
	}
	if (by_default(c, ct, 0) < 0 || by_default(c, ct, B_XLM) < 0 ||
	    by_default(c, ct, B_ACTIVEX) < 0)
		goto out;
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];

		if (!e->rels)
			continue;
		if (inflate_ent(c, e, &x, 0) < 0 || xmlscan(c, e, X_RELS, x.p ? x.p : "", x.len) < 0)
			goto out;
		for (j = 0; j < e->nel; j++) {
			const struct elem *el = &e->el[j];

			if ((el->vba || el->bad) && el->hasname &&
			    (k = lookup(c, nameof(c, el->noff), el->nlen)) >= 0) {
				if (el->vba)
					c->e[k].vba = 1;
				if (el->bad)
					c->e[k].bad = el->bad;
			}
		}
	}

	/* a macro sheet or an ActiveX control: the whole document goes */
	for (i = 0; i < c->ne; i++)
		if (c->e[i].bad) {
			if (nbad++ == 0)
				first = i;
		}
	if (nbad) {
		const struct ent *e = &c->e[first];

		ms_sanitize(shown, sizeof shown, e->name, e->namelen);
		if (c->why && c->whylen) {
			if (nbad == 1)
				snprintf(c->why, c->whylen, "%s %s", badwhat[e->bad], shown);
			else
				snprintf(c->why, c->whylen, "%s %s and %zu more such parts",
				    badwhat[e->bad], shown, nbad - 1);
		}
		c->found = found_bits(c);
		rc = 2;
		goto out;
	}

	if (mark_rels(c) < 0)
		goto out;
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];

		if (e->vba)
			nvba++;
		else if (e->rels)
			for (j = 0; j < e->nel; j++)
				if (e->el[j].kind == E_REL && e->el[j].remote) {
					e->nremote++;
					nremote++;
				}
	}
	if (nvba == 0 && nremote == 0) {
		rc = 0;
		goto out;
	}
	if (ct->vba) {
		fail(c, EBADMSG, "[Content_Types].xml named as a VBA part");
		goto out;
	}

	/* the edits of [Content_Types].xml and the .rels parts */
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];

		if (e->vba || (e != ct && !e->rels) || e->nel == 0)
			continue;
		free(drop);
		if ((drop = calloc(e->nel, 1)) == NULL) {
			fail(c, ENOMEM, NULL);
			goto out;
		}
		changed = 0;
		for (j = 0; j < e->nel; j++) {
			const struct elem *el = &e->el[j];

			if (el->vba || (el->kind != E_DEFAULT && removed_name(c, el)) ||
			    (el->kind == E_REL && el->remote))
				drop[j] = changed = 1;
		}
		if (!changed)
			continue;
		if (inflate_ent(c, e, &x, 1) < 0 || edit(c, e, x.p ? x.p : "", x.len, drop) < 0)
			goto out;
		for (j = 0; j < e->nel; j++) {
			const struct elem *el = &e->el[j];

			if (!drop[j] || !el->remote || el->kind != E_REL)
				continue;
			nm.len = 0;
			if (buf_add(&nm, e->name, e->namelen) < 0 || buf_cstr(&nm) == NULL ||
			    addpiece(c, e, el->hasid ? nameof(c, el->idoff) : "",
			    el->hasid ? el->idlen : 0, x.p, el) < 0) {
				fail(c, ENOMEM, NULL);
				goto out;
			}
			ms_sanitize(shown, sizeof shown, nm.p, nm.len);
			if (finding(&w, fetchtypes[el->fetch - 1][1], nameof(c, el->toff), el->tlen,
			    shown, " removed") < 0) {
				fail(c, ENOMEM, NULL);
				goto out;
			}
		}
	}

	/* the parts whose relationships went: their r:id elements go too */
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i], *src;
		struct ext *ids;
		size_t nids = 0;

		if (!e->nremote || e->vba)
			continue;
		if ((k = source_of(c, e)) == -2)
			goto out;
		if (k < 0)
			continue;
		src = &c->e[k];
		if (src->vba || src->rels || src == ct || src->edited)
			continue;
		if ((ids = calloc(e->nremote, sizeof *ids)) == NULL) {
			fail(c, ENOMEM, NULL);
			goto out;
		}
		for (j = 0; j < e->nel; j++)
			if (e->el[j].kind == E_REL && e->el[j].remote && e->el[j].hasid) {
				ids[nids].s = nameof(c, e->el[j].idoff);
				ids[nids++].n = e->el[j].idlen;
			}
		qsort(ids, nids, sizeof *ids, extcmp);
		c->ids = ids;
		c->nids = nids;
		j = nids ? (size_t)edit_source(c, src, &x) : 0;
		c->ids = NULL;
		c->nids = 0;
		free(ids);
		if (j != 0)
			goto out;
	}

	/* the removed parts are read whole before anything is said of them */
	for (i = 0; i < c->ne; i++)
		if (c->e[i].vba && removed && inflate_ent(c, &c->e[i], &c->e[i].repl, 0) < 0)
			goto out;
	if (write_zip(c, out, out->len) < 0)
		goto out;

	/* what was taken out, for the caller */
	first = (size_t)-1;
	for (i = 0; i < c->ne; i++) {
		struct ent *e = &c->e[i];

		if (!e->vba)
			continue;
		if (first == (size_t)-1 || rank(c, e) > rank(c, &c->e[first]))
			first = i;
		if (removed == NULL)
			continue;
		nm.len = 0;
		if (buf_add(&nm, e->name, e->namelen) < 0 || buf_cstr(&nm) == NULL) {
			fail(c, ENOMEM, NULL);
			goto out;
		}
		if (removed(arg, nm.p, e->repl.p ? e->repl.p : "", e->repl.len) != 0)
			goto out;	/* errno as the callback left it */
	}
	for (i = 0; removed && i < c->npc; i++)
		if (removed(arg, c->pc[i].name.p, c->pc[i].data.p ? c->pc[i].data.p : "",
		    c->pc[i].data.len) != 0)
			goto out;
	if (c->why && c->whylen) {
		struct buf v = BUF_INIT;

		rc = 0;
		if (nvba) {
			ms_sanitize(shown, sizeof shown, c->e[first].name, c->e[first].namelen);
			if (nvba == 1)
				rc = buf_printf(&v, "VBA project %s removed", shown);
			else
				rc = buf_printf(&v, "VBA project %s and %zu more parts removed",
				    shown, nvba - 1);
		}
		if (rc >= 0 && w.len)
			rc = buf_printf(&v, "%s%.*s", v.len ? "; " : "", (int)w.len, w.p);
		if (rc < 0) {
			buf_free(&v);
			fail(c, ENOMEM, NULL);
			rc = -1;
			goto out;
		}
		ms_sanitize(c->why, c->whylen, v.p ? v.p : "", v.len);
		buf_free(&v);
	}
	c->found = found_bits(c);
	rc = 1;
out:
	free(drop);
	buf_free(&x);
	buf_free(&nm);
	buf_free(&w);
	return rc;
}

int
doc_is_zip(const char *p, size_t n)
{
	return n >= 4 && memcmp(p, "PK\3\4", 4) == 0;
}

int
ooxml_strip(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg)
{
	struct ctx c;
	size_t start = out->len, i;
	int rc, saved;

	if (found)
		*found = 0;
	if (why && whylen)
		why[0] = '\0';
	if (!doc_is_zip(p, n))
		return 0;
	memset(&c, 0, sizeof c);
	c.p = p;
	c.n = n;
	doc_limits_get(lim, &c.lim);
	c.why = why;
	c.whylen = whylen;
	rc = strip(&c, out, removed, arg);
	saved = errno;
	if (found && (rc == 1 || rc == 2))
		*found = c.found;
	if (rc != 1) {
		out->len = start;
		if (rc == 0 && why && whylen)
			why[0] = '\0';
	}
	for (i = 0; i < c.ne; i++) {
		buf_free(&c.e[i].repl);
		free(c.e[i].el);
	}
	for (i = 0; i < c.npc; i++) {
		buf_free(&c.pc[i].name);
		buf_free(&c.pc[i].data);
	}
	free(c.pc);
	free(c.e);
	free(c.sorted);
	buf_free(&c.names);
	buf_free(&c.val);
	errno = saved;
	return rc;
}
