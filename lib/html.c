/* html: see html.h */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "grow.h"
#include "html.h"

#define NAMEMAX 24	/* longer tag and attribute names are compared cut */

struct edit {
	size_t off, len;
	int note;
};

struct attr {
	size_t start, end;	/* the whole attribute */
	size_t vstart, vend;	/* its value, quotes excluded */
	char name[NAMEMAX];
};

struct tag {
	size_t start, end;	/* '<' .. one past '>' (n at the end of input) */
	int endtag;
	char name[NAMEMAX];
	struct attr *a;		/* into the scanner's array */
	size_t na;
};

struct scan {
	const char *p;
	size_t n;
	unsigned opts;
	unsigned kinds;
	struct edit *e;
	size_t ne, ecap;
	struct attr *a;
	size_t na, acap;
	struct buf v;		/* a decoded value */
	struct buf t;		/* the first step of decoding it */
	int nomem;
};

static int
isws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int
isalpha_(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static void
edit(struct scan *s, size_t off, size_t len, int note)
{
	struct edit *ne;

	if ((ne = grow(s->e, s->ne, &s->ecap, sizeof *ne, 16)) == NULL) {
		s->nomem = 1;
		return;
	}
	s->e = ne;
	s->e[s->ne].off = off;
	s->e[s->ne].len = len;
	s->e[s->ne].note = note;
	s->ne++;
}

/* Append a byte of a name: lower case, NUL and non-ASCII dropped, and a
 * namespace prefix too ("x:script" is compared as "script": in XHTML and
 * SVG read as XML, a prefix can put any element in the HTML namespace). */
static void
name_add(char *name, size_t *len, unsigned char c)
{
	if (c == 0 || c >= 0x80)
		return;
	if (c == ':') {
		*len = 0;
		name[0] = '\0';
		return;
	}
	if (*len + 1 < NAMEMAX)
		name[(*len)++] = (char)lower(c);
	else
		name[NAMEMAX - 2] = '~';	/* cut: matches no known name */
	name[*len < NAMEMAX ? *len : NAMEMAX - 1] = '\0';
}

static struct attr *
attr_new(struct scan *s, size_t start)
{
	struct attr *na;

	if ((na = grow(s->a, s->na, &s->acap, sizeof *na, 16)) == NULL) {
		s->nomem = 1;
		return NULL;
	}
	s->a = na;
	na = &s->a[s->na++];
	memset(na, 0, sizeof *na);
	na->start = na->end = start;
	return na;
}

/* Tokenize the tag whose '<' is at pos (the tag name starts at pos + 1,
 * or pos + 2 for an end tag): the tag name, attribute name and value
 * states of the tokenizer.  The end of input ends the tag. */
static void
tag_read(struct scan *s, size_t pos, int endtag, struct tag *t)
{
	const char *p = s->p;
	size_t n = s->n, i = pos + 1 + (endtag != 0), nl = 0, al = 0;
	struct attr *a = NULL;
	unsigned char c, q;

	memset(t, 0, sizeof *t);
	t->start = pos;
	t->endtag = endtag;
	s->na = 0;
	/* tag name */
	for (; i < n; i++) {
		c = (unsigned char)p[i];
		if (isws(c) || c == '/' || c == '>')
			break;
		name_add(t->name, &nl, c);
	}
	for (;;) {
		/* before attribute name: whitespace and '/' (self-closing
		 * solidus not followed by '>' is read as this state too) */
		while (i < n && (isws((unsigned char)p[i]) || p[i] == '/'))
			i++;
		if (i >= n) {
			t->end = n;
			break;
		}
		if (p[i] == '>') {
			t->end = i + 1;
			break;
		}
		/* attribute name: a leading '=' belongs to the name */
		if ((a = attr_new(s, i)) == NULL) {
			t->end = n;
			return;
		}
		al = 0;
		name_add(a->name, &al, (unsigned char)p[i]);
		for (i++; i < n; i++) {
			c = (unsigned char)p[i];
			if (isws(c) || c == '/' || c == '>' || c == '=')
				break;
			name_add(a->name, &al, c);
		}
		a->end = i;
		a->vstart = a->vend = i;
		/* after attribute name */
		while (i < n && isws((unsigned char)p[i]))
			i++;
		if (i >= n || p[i] != '=')
			continue;	/* no value; '/', '>' or a new name */
		i++;
		while (i < n && isws((unsigned char)p[i]))
			i++;
		if (i >= n) {
			a->end = a->vstart = a->vend = n;
			continue;
		}
		c = (unsigned char)p[i];
		if (c == '>') {
			a->end = a->vstart = a->vend = i;
			continue;	/* missing value: the tag ends */
		}
		if (c == '"' || c == '\'') {
			q = c;
			a->vstart = ++i;
			const char *e = memchr(p + i, q, n - i);
			a->vend = e ? (size_t)(e - p) : n;
			i = e ? a->vend + 1 : n;
		} else {
			a->vstart = i;
			while (i < n && !isws((unsigned char)p[i]) && p[i] != '>')
				i++;
			a->vend = i;
		}
		a->end = i;
	}
	t->a = s->a;
	t->na = s->na;
}

/* Where the comment that opens at pos ("<!--") ends: one past its '>',
 * or n.  The comment states of the tokenizer: "<!-->" and "<!--->" end at
 * once; else the first "--" (more '-' allowed) followed by ">" or "!>". */
static size_t
comment_end(const char *p, size_t n, size_t pos)
{
	size_t i = pos + 4;

	if (i < n && p[i] == '>')
		return i + 1;
	if (i + 1 < n && p[i] == '-' && p[i + 1] == '>')
		return i + 2;
	for (;;) {
		const char *d = memmem(p + i, n - i, "--", 2);
		if (d == NULL)
			return n;
		i = (size_t)(d - p) + 2;
		while (i < n && p[i] == '-')
			i++;
		if (i < n && p[i] == '>')
			return i + 1;
		if (i + 1 < n && p[i] == '!' && p[i + 1] == '>')
			return i + 2;
	}
}

/* The first '>' at or after i, one past it; n if none. */
static size_t
gt_end(const char *p, size_t n, size_t i)
{
	const char *g = i < n ? memchr(p + i, '>', n - i) : NULL;
	return g ? (size_t)(g - p) + 1 : n;
}

/* Where the raw text of element name (started at i) ends: the '<' of the
 * first "</name" followed by whitespace, '/' or '>' (any case); n if none. */
static size_t
raw_end(const char *p, size_t n, size_t i, const char *name)
{
	size_t l = strlen(name);

	while (i < n) {
		const char *lt = memmem(p + i, n - i, "</", 2);
		if (lt == NULL)
			return n;
		i = (size_t)(lt - p);
		if (i + 2 + l < n && strncasecmp(p + i + 2, name, l) == 0 &&
		    (isws((unsigned char)p[i + 2 + l]) || p[i + 2 + l] == '/' ||
		     p[i + 2 + l] == '>'))
			return i;
		i += 2;
	}
	return n;
}

/* Does p[from..to) read the same as raw text and as markup: nothing in it
 * but text and comments that close inside it? */
static int
raw_plain(const char *p, size_t from, size_t to)
{
	size_t i = from;

	while (i < to) {
		const char *lt = memchr(p + i, '<', to - i);
		if (lt == NULL)
			return 1;
		i = (size_t)(lt - p);
		if (i + 1 >= to)
			return 1;	/* a '<' last is text either way */
		if (p[i + 1] == '!') {
			if (i + 4 <= to && memcmp(p + i, "<!--", 4) == 0) {
				size_t e = comment_end(p, to, i);
				if (e == to && (to < 3 || p[to - 1] != '>'))
					return 0;	/* does not close inside */
				i = e;
				continue;
			}
			return 0;
		}
		if (p[i + 1] == '/' || p[i + 1] == '?' || isalpha_((unsigned char)p[i + 1]))
			return 0;
		i++;
	}
	return 1;
}

/* Character references, as far as they can make ASCII: the named ones
 * that stand for ASCII characters, and numeric ones. */
static const struct {
	const char *name;
	char c;
	int legacy;	/* valid without ';' */
} refs[] = {
	{ "Tab", '\t', 0 }, { "NewLine", '\n', 0 }, { "excl", '!', 0 },
	{ "quot", '"', 1 }, { "QUOT", '"', 1 }, { "num", '#', 0 },
	{ "dollar", '$', 0 }, { "percnt", '%', 0 }, { "amp", '&', 1 },
	{ "AMP", '&', 1 }, { "apos", '\'', 0 }, { "lpar", '(', 0 },
	{ "rpar", ')', 0 }, { "ast", '*', 0 }, { "midast", '*', 0 },
	{ "plus", '+', 0 }, { "comma", ',', 0 }, { "period", '.', 0 },
	{ "sol", '/', 0 }, { "colon", ':', 0 }, { "semi", ';', 0 },
	{ "lt", '<', 1 }, { "LT", '<', 1 }, { "equals", '=', 0 },
	{ "gt", '>', 1 }, { "GT", '>', 1 }, { "quest", '?', 0 },
	{ "commat", '@', 0 }, { "lsqb", '[', 0 }, { "lbrack", '[', 0 },
	{ "bsol", '\\', 0 }, { "rsqb", ']', 0 }, { "rbrack", ']', 0 },
	{ "Hat", '^', 0 }, { "lowbar", '_', 0 }, { "UnderBar", '_', 0 },
	{ "grave", '`', 0 }, { "DiacriticalGrave", '`', 0 }, { "lcub", '{', 0 },
	{ "lbrace", '{', 0 }, { "verbar", '|', 0 }, { "vert", '|', 0 },
	{ "VerticalLine", '|', 0 }, { "rcub", '}', 0 }, { "rbrace", '}', 0 },
};

/* Decode p[from..to) into v: with html, character references; with css,
 * CSS comments and escapes; with squeeze, every byte up to space dropped
 * and ASCII lower-cased.  Other bytes are kept. */
static void
decode(struct scan *s, struct buf *v, const char *p, size_t from, size_t to,
    int html, int css, int squeeze)
{
	size_t i = from, j, k;
	unsigned long cp;
	unsigned char c;

	buf_reset(v);
	while (i < to) {
		c = (unsigned char)p[i];
		if (html && c == '&') {
			if (i + 1 < to && p[i + 1] == '#') {
				int hex = i + 2 < to && (p[i + 2] | 0x20) == 'x';
				cp = 0;
				for (j = i + 2 + hex, k = 0; j < to; j++, k++) {
					int d = p[j] >= '0' && p[j] <= '9' ? p[j] - '0' :
					    hex && (p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'f' ?
					    (p[j] | 0x20) - 'a' + 10 : -1;
					if (d < 0)
						break;
					if (cp < 0x110000)
						cp = cp * (hex ? 16 : 10) + (unsigned long)d;
				}
				if (k > 0) {
					if (j < to && p[j] == ';')
						j++;
					i = j;
					c = cp > 0 && cp < 0x80 ? (unsigned char)cp : 0xff;
					goto add;
				}
			} else {
				for (k = 0; k < sizeof refs / sizeof refs[0]; k++) {
					size_t l = strlen(refs[k].name);
					if (i + 1 + l <= to && memcmp(p + i + 1, refs[k].name, l) == 0 &&
					    ((i + 1 + l < to && p[i + 1 + l] == ';') || refs[k].legacy)) {
						i += 1 + l + (i + 1 + l < to && p[i + 1 + l] == ';');
						c = (unsigned char)refs[k].c;
						goto add;
					}
				}
			}
		}
		if (css && c == '/' && i + 1 < to && p[i + 1] == '*') {
			const char *e = memmem(p + i + 2, to - i - 2, "*/", 2);
			i = e ? (size_t)(e - p) + 2 : to;
			continue;
		}
		if (css && c == '\\' && i + 1 < to) {
			cp = 0;
			for (j = i + 1, k = 0; j < to && k < 6; j++, k++) {
				int d = p[j] >= '0' && p[j] <= '9' ? p[j] - '0' :
				    (p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'f' ?
				    (p[j] | 0x20) - 'a' + 10 : -1;
				if (d < 0)
					break;
				cp = cp * 16 + (unsigned long)d;
			}
			if (k > 0) {
				if (j < to && isws((unsigned char)p[j]))
					j++;
				c = cp > 0 && cp < 0x80 ? (unsigned char)cp : 0xff;
				i = j;
				goto add;
			}
			i++;
			c = (unsigned char)p[i];
		}
		i++;
add:
		if (squeeze && c <= 0x20)
			continue;
		if (buf_addc(v, (char)(squeeze ? lower(c) : c)) < 0)
			s->nomem = 1;
	}
}

/* The value p[from..to) of an attribute (html) or CSS text (css), as it
 * is compared: into s->v. */
static void
value(struct scan *s, const char *p, size_t from, size_t to, int html, int css)
{
	if (html && css) {
		decode(s, &s->t, p, from, to, 1, 0, 0);
		decode(s, &s->v, s->t.p, 0, s->t.len, 0, 1, 1);
	} else
		decode(s, &s->v, p, from, to, html, css, 1);
}

static int
has(const struct buf *v, const char *what)
{
	return v->len && memmem(v->p, v->len, what, strlen(what)) != NULL;
}

static int
starts(const struct buf *v, const char *what)
{
	size_t l = strlen(what);
	return v->len >= l && memcmp(v->p, what, l) == 0;
}

/* Is the decoded value in s->v a script URL or a data URL that is not a
 * raster image? */
static int
bad_url(const struct buf *v)
{
	static const char *const img[] = { "data:image/png", "data:image/gif",
	    "data:image/jpeg", "data:image/jpg", "data:image/webp", "data:image/bmp" };

	if (has(v, "javascript:") || has(v, "vbscript:") || has(v, "livescript:"))
		return 1;
	if (!starts(v, "data:"))
		return 0;
	for (size_t i = 0; i < sizeof img / sizeof img[0]; i++)
		if (starts(v, img[i]) && v->len > strlen(img[i]) &&
		    (v->p[strlen(img[i])] == ';' || v->p[strlen(img[i])] == ','))
			return 0;
	return 1;
}

static int
bad_css(const struct buf *v)
{
	return has(v, "expression(") || has(v, "javascript:") || has(v, "vbscript:") ||
	    has(v, "behavior:") || has(v, "behaviour:") || has(v, "-moz-binding") ||
	    has(v, "livescript:");
}

static int
in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

static const struct attr *
attr_get(const struct tag *t, const char *name)
{
	for (size_t i = 0; i < t->na; i++)
		if (strcmp(t->a[i].name, name) == 0)
			return &t->a[i];
	return NULL;
}

/* The attributes of a kept start tag: the active ones removed, one note
 * before the tag. */
static void
attrs_check(struct scan *s, const struct tag *t)
{
	int noted = 0;

	for (size_t i = 0; i < t->na; i++) {
		const struct attr *a = &t->a[i];
		unsigned k = 0;

		value(s, s->p, a->vstart, a->vend, 1, 0);
		if (a->name[0] == 'o' && a->name[1] == 'n')
			k = HTML_K_HANDLER;
		else if (strcmp(a->name, "srcdoc") == 0)
			k = HTML_K_URL;
		else if (strcmp(a->name, "attributename") == 0 && starts(&s->v, "on"))
			k = HTML_K_HANDLER;
		else if (bad_url(&s->v))
			k = HTML_K_URL;
		else if (strcmp(a->name, "style") == 0) {
			value(s, s->p, a->vstart, a->vend, 1, 1);
			if (bad_css(&s->v))
				k = HTML_K_STYLE;
		}
		if (k == 0)
			continue;
		s->kinds |= k;
		if (!noted)
			edit(s, t->start, 0, 1);
		noted = 1;
		edit(s, a->start, a->end - a->start, 0);
	}
}

/* An ASCII-incompatible charset name? */
static int
bad_charset(const char *c, size_t l)
{
	static const char *const bad[] = { "utf-16", "utf16", "utf-32", "utf32",
	    "ucs-2", "ucs2", "ucs-4", "ucs4", "utf-7", "utf7", "iso-2022",
	    "csiso2022", "hz-gb", "unicode", NULL };

	while (l && isws((unsigned char)*c))
		c++, l--;
	if (l && (*c == '"' || *c == '\''))
		c++, l--;
	for (const char *const *b = bad; *b; b++)
		if (l >= strlen(*b) && strncasecmp(c, *b, strlen(*b)) == 0)
			return 1;
	return 0;
}

static void
meta_check(struct scan *s, const struct tag *t)
{
	const struct attr *he = attr_get(t, "http-equiv"), *cs = attr_get(t, "charset"),
	    *ct = attr_get(t, "content");

	if (he) {
		value(s, s->p, he->vstart, he->vend, 1, 0);
		if (s->v.len == 7 && memcmp(s->v.p, "refresh", 7) == 0) {
			s->kinds |= HTML_K_REFRESH;
			edit(s, t->start, t->end - t->start, 1);
			return;
		}
	}
	if (cs && bad_charset(s->p + cs->vstart, cs->vend - cs->vstart))
		s->kinds |= HTML_K_CHARSET;
	if (ct) {
		value(s, s->p, ct->vstart, ct->vend, 1, 0);
		const char *c = s->v.len ? memmem(s->v.p, s->v.len, "charset=", 8) : NULL;
		if (c && bad_charset(c + 8, s->v.len - (size_t)(c + 8 - s->v.p)))
			s->kinds |= HTML_K_CHARSET;
	}
	attrs_check(s, t);
}

/* One pass over p[0..n): the edits and kinds. */
static void
pass(struct scan *s)
{
	static const char *const whole[] = { "script", "iframe", "handler", "listener", NULL };
	static const char *const tagonly[] = { "object", "embed", "applet", "param",
	    "frame", "frameset", "base", NULL };
	static const char *const rawkeep[] = { "style", "title", "textarea", NULL };
	static const char *const rawdrop[] = { "xmp", "noembed", "noframes", "noscript",
	    "plaintext", NULL };
	const char *p = s->p;
	size_t n = s->n, pos = 0, e, cdnext = 0;
	struct tag t, et;

	while (pos < n && !s->nomem) {
		const char *lt = memchr(p + pos, '<', n - pos);
		if (lt == NULL)
			break;
		pos = (size_t)(lt - p);
		if (pos + 1 >= n)
			break;
		unsigned char c = (unsigned char)p[pos + 1];
		if (c == '!') {
			if (pos + 4 <= n && memcmp(p + pos, "<!--", 4) == 0) {
				pos = comment_end(p, n, pos);
			} else if (pos + 9 <= n && memcmp(p + pos, "<![CDATA[", 9) == 0) {
				/* the next "]]>", found once for all the sections
				 * that share it (no rescans: linear) */
				if (cdnext != SIZE_MAX && (cdnext == 0 || cdnext < pos + 9)) {
					const char *cd = memmem(p + pos + 9, n - pos - 9, "]]>", 3);
					cdnext = cd ? (size_t)(cd - p) : SIZE_MAX;
				}
				e = gt_end(p, n, pos + 9);
				if (cdnext != SIZE_MAX && e == cdnext + 3) {
					pos = e;
				} else {
					s->kinds |= HTML_K_MARKUP;
					edit(s, pos, 9, 0);
					pos += 9;
				}
			} else
				pos = gt_end(p, n, pos + 2);	/* DOCTYPE, bogus comment */
			continue;
		}
		if (c == '?') {
			pos = gt_end(p, n, pos + 2);
			continue;
		}
		if (c == '/') {
			if (pos + 2 >= n)
				break;
			if (p[pos + 2] == '>') {
				pos += 3;
				continue;
			}
			if (!isalpha_((unsigned char)p[pos + 2])) {
				pos = gt_end(p, n, pos + 2);
				continue;
			}
			tag_read(s, pos, 1, &t);
			if (in(t.name, tagonly)) {
				s->kinds |= strcmp(t.name, "base") == 0 ? HTML_K_BASE :
				    t.name[0] == 'f' ? HTML_K_FRAME : HTML_K_OBJECT;
				edit(s, t.start, t.end - t.start, 0);
			} else if ((s->opts & HTML_FORMS) && strcmp(t.name, "form") == 0) {
				s->kinds |= HTML_K_FORM;
				edit(s, t.start, t.end - t.start, 0);
			}
			pos = t.end;
			continue;
		}
		if (!isalpha_(c)) {
			pos++;
			continue;
		}
		tag_read(s, pos, 0, &t);
		if (in(t.name, whole)) {
			s->kinds |= strcmp(t.name, "iframe") == 0 ? HTML_K_FRAME : HTML_K_SCRIPT;
			e = raw_end(p, n, t.end, t.name);
			if (e < n) {
				tag_read(s, e, 1, &et);
				e = et.end;
			}
			edit(s, t.start, e - t.start, 1);
			pos = e;
			continue;
		}
		if (in(t.name, tagonly)) {
			s->kinds |= strcmp(t.name, "base") == 0 ? HTML_K_BASE :
			    t.name[0] == 'f' ? HTML_K_FRAME : HTML_K_OBJECT;
			edit(s, t.start, t.end - t.start, strcmp(t.name, "param") != 0);
			pos = t.end;
			continue;
		}
		if ((s->opts & HTML_FORMS) && strcmp(t.name, "form") == 0) {
			s->kinds |= HTML_K_FORM;
			edit(s, t.start, t.end - t.start, 1);
			pos = t.end;
			continue;
		}
		if (strcmp(t.name, "link") == 0) {
			const struct attr *rel = attr_get(&t, "rel");
			if (rel) {
				value(s, p, rel->vstart, rel->vend, 1, 0);
				if (has(&s->v, "import")) {
					s->kinds |= HTML_K_LINK;
					edit(s, t.start, t.end - t.start, 1);
					pos = t.end;
					continue;
				}
			}
		}
		if (strcmp(t.name, "meta") == 0) {
			meta_check(s, &t);
			pos = t.end;
			continue;
		}
		if (in(t.name, rawkeep) || in(t.name, rawdrop)) {
			size_t cstart = t.end, cend;
			char name[NAMEMAX];
			int plain;

			strlcpy(name, t.name, sizeof name);
			cend = strcmp(name, "plaintext") == 0 ? n : raw_end(p, n, cstart, name);
			plain = raw_plain(p, cstart, cend);
			if (strcmp(name, "style") == 0) {
				value(s, p, cstart, cend, 0, 1);
				if (bad_css(&s->v)) {
					s->kinds |= HTML_K_STYLE;
					e = cend;
					if (e < n) {
						tag_read(s, e, 1, &et);
						e = et.end;
					}
					edit(s, t.start, e - t.start, 1);
					pos = e;
					continue;
				}
			}
			if (!plain && in(name, rawdrop)) {
				/* its tags go: the content is markup for everyone */
				s->kinds |= HTML_K_MARKUP;
				edit(s, t.start, t.end - t.start, 0);
				pos = t.end;
				continue;
			}
			attrs_check(s, &t);
			if (!plain) {
				s->kinds |= HTML_K_MARKUP;
				for (size_t i = cstart; i < cend; i++)
					if (p[i] == '<')
						edit(s, i, 1, 0);
			}
			pos = cend;
			continue;	/* the end tag is read as a tag */
		}
		attrs_check(s, &t);
		pos = t.end;
	}
}

static int
cmpedit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->len > y->len ? -1 : x->len < y->len;
}

static int
note_add(struct buf *out, const char *note, size_t l)
{
	for (size_t i = 0; i < l; i++) {
		const char *r = note[i] == '<' ? "&lt;" : note[i] == '>' ? "&gt;" :
		    note[i] == '&' ? "&amp;" : note[i] == '"' ? "&quot;" :
		    note[i] == '\'' ? "&#39;" : NULL;
		if ((r ? buf_adds(out, r) : buf_addc(out, note[i])) < 0)
			return -1;
	}
	return 0;
}

/* p[0..n) with the edits applied: ranges merged, one note per place
 * (out holds only this document). */
static int
apply(struct scan *s, const char *note, size_t notelen, struct buf *out)
{
	size_t pos = 0, i, noteend = (size_t)-1;

	qsort(s->e, s->ne, sizeof *s->e, cmpedit);
	for (i = 0; i < s->ne; i++) {
		struct edit *e = &s->e[i];
		size_t end = e->off + e->len;
		if (end <= pos && e->off < pos)
			continue;	/* inside one already removed */
		if (e->off >= pos) {
			if (buf_add(out, s->p + pos, e->off - pos) < 0)
				return -1;
			pos = e->off;
		}
		if (e->note && noteend != out->len) {
			/* one note where several removals meet */
			if (note_add(out, note, notelen) < 0)
				return -1;
			noteend = out->len;
		}
		if (end > pos)
			pos = end;
	}
	return buf_add(out, s->p + pos, s->n - pos);
}

/* Input this scanner cannot read as a browser would (checked again after
 * every pass: edits could make it): a UTF-16 byte order mark; XML entity
 * declarations, which an XML parser (XHTML, SVG) expands into markup. */
static unsigned
unreadable(const char *p, size_t n)
{
	if (n >= 2 && (memcmp(p, "\xfe\xff", 2) == 0 || memcmp(p, "\xff\xfe", 2) == 0))
		return HTML_K_CHARSET;
	for (const char *e = p; n > 0 && (e = memmem(e, n - (size_t)(e - p), "<!", 2)) != NULL;
	    e += 2)
		if (n - (size_t)(e - p) >= 8 && strncasecmp(e, "<!ENTITY", 8) == 0)
			return HTML_K_ENTITY;
	return 0;
}

int
html_disarm(const char *p, size_t n, const char *charset, unsigned opts,
    const char *note, size_t notelen, struct buf *out, unsigned *kinds)
{
	struct scan s;
	struct buf a = BUF_INIT, b = BUF_INIT, *cur = NULL, *next = &a;
	int round, rc = -1;
	unsigned k;

	*kinds = 0;
	if (charset && bad_charset(charset, strlen(charset))) {
		*kinds = HTML_K_CHARSET;
		return 2;
	}
	memset(&s, 0, sizeof s);
	s.opts = opts;
	for (round = 0; round <= HTML_ROUNDS; round++) {
		s.p = cur ? cur->p : p;
		s.n = cur ? cur->len : n;
		if ((k = unreadable(s.p, s.n)) != 0) {
			*kinds |= k;
			rc = 2;
			goto out;
		}
		s.ne = 0;
		s.kinds = 0;
		pass(&s);
		if (s.nomem)
			goto out;
		*kinds |= s.kinds;
		if (s.kinds & HTML_K_CHARSET) {
			rc = 2;
			goto out;
		}
		if (s.ne == 0)
			break;
		if (round == HTML_ROUNDS) {
			*kinds |= HTML_K_ROUNDS;
			rc = 2;
			goto out;
		}
		buf_reset(next);
		if (apply(&s, note, notelen, next) < 0)
			goto out;
		cur = next;
		next = cur == &a ? &b : &a;
	}
	rc = 0;
	if (cur) {
		if (buf_add(out, cur->p, cur->len) < 0) {
			rc = -1;
			goto out;
		}
		rc = 1;
	}
out:
	if (rc < 0)
		errno = ENOMEM;
	free(s.e);
	free(s.a);
	buf_free(&s.v);
	buf_free(&s.t);
	buf_free(&a);
	buf_free(&b);
	return rc;
}

int
html_sniff(const char *p, size_t n)
{
	size_t i = 0;

	/* As a browser sniffs: what starts (after a UTF-8 byte order mark
	 * and blanks) with a tag, a comment or a declaration is markup. */
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && isws((unsigned char)p[i]))
		i++;
	return i + 1 < n && p[i] == '<' &&
	    (isalpha_((unsigned char)p[i + 1]) || p[i + 1] == '!' || p[i + 1] == '?');
}

const char *
html_kind_name(unsigned bit)
{
	switch (bit) {
	case HTML_K_SCRIPT: return "script";
	case HTML_K_HANDLER: return "handler";
	case HTML_K_URL: return "url";
	case HTML_K_FRAME: return "frame";
	case HTML_K_OBJECT: return "object";
	case HTML_K_BASE: return "base";
	case HTML_K_REFRESH: return "refresh";
	case HTML_K_STYLE: return "style";
	case HTML_K_FORM: return "form";
	case HTML_K_LINK: return "link";
	case HTML_K_MARKUP: return "markup";
	case HTML_K_CHARSET: return "charset";
	case HTML_K_ROUNDS: return "rounds";
	case HTML_K_ENTITY: return "entity";
	default: return NULL;
	}
}
