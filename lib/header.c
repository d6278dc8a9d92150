/* header: see header.h */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "header.h"

/* Offset just past the LF ending the line that starts at i, or n. */
static size_t
line_end(const char *p, size_t n, size_t i)
{
	const char *lf = memchr(p + i, '\n', n - i);
	return lf ? (size_t)(lf - p) + 1 : n;
}

static int
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

int
hdr_next(const char *p, size_t n, size_t *pos, struct hdr *h)
{
	size_t i = *pos, j, e, vend;

	if (i >= n)
		return 0;
	/* Empty line: end of the header block. */
	if (p[i] == '\n') {
		*pos = i + 1;
		return 0;
	}
	if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
		*pos = i + 2;
		return 0;
	}
	for (j = i; j < n && is_ftext((unsigned char)p[j]); j++)
		;
	h->name = p + i;
	h->namelen = j - i;
	while (j < n && (p[j] == ' ' || p[j] == '\t'))	/* obs-optional */
		j++;
	if (h->namelen == 0 || j >= n || p[j] != ':')
		return 0;	/* not a field: the body starts here */
	j++;
	/* The field runs to the end of the first line not followed by WSP. */
	e = line_end(p, n, j);
	while (e < n && (p[e] == ' ' || p[e] == '\t'))
		e = line_end(p, n, e);
	vend = e;
	if (vend > j && p[vend - 1] == '\n') {
		vend--;
		if (vend > j && p[vend - 1] == '\r')
			vend--;
	}
	h->value = p + j;
	h->valuelen = vend - j;
	h->off = i;
	h->len = e - i;
	*pos = e;
	return 1;
}

size_t
hdr_end(const char *p, size_t n)
{
	size_t pos = 0;
	struct hdr h;

	while (hdr_next(p, n, &pos, &h))
		;
	return pos;
}

int
hdr_is(const struct hdr *h, const char *name)
{
	size_t l = strlen(name);
	return h->namelen == l && strncasecmp(h->name, name, l) == 0;
}

int
hdr_has_prefix(const struct hdr *h, const char *prefix)
{
	size_t l = strlen(prefix);
	return h->namelen >= l && strncasecmp(h->name, prefix, l) == 0;
}

int
hdr_find(const char *p, size_t n, const char *name, struct hdr *h)
{
	size_t pos = 0;

	while (hdr_next(p, n, &pos, h))
		if (hdr_is(h, name))
			return 1;
	return 0;
}

size_t
hdr_count(const char *p, size_t n, const char *name)
{
	size_t pos = 0, c = 0;
	struct hdr h;

	while (hdr_next(p, n, &pos, &h))
		if (hdr_is(&h, name))
			c++;
	return c;
}

int
hdr_unfold(const struct hdr *h, struct buf *out)
{
	const char *v = h->value;
	size_t n = h->valuelen, i, start = out->len;

	for (i = 0; i < n; i++) {
		if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
			continue;
		if (v[i] == '\n')
			continue;
		if (buf_addc(out, v[i]) < 0)
			return -1;
	}
	/* Trim WSP at both ends of what was appended. */
	while (out->len > start && (out->p[out->len - 1] == ' ' || out->p[out->len - 1] == '\t'))
		out->len--;
	i = start;
	while (i < out->len && (out->p[i] == ' ' || out->p[i] == '\t'))
		i++;
	if (i > start) {
		memmove(out->p + start, out->p + i, out->len - i);
		out->len -= i - start;
	}
	return 0;
}

long
hdr_filter(const char *p, size_t n,
    int (*drop)(const struct hdr *, void *), void *arg, struct buf *out)
{
	size_t pos = 0, keep = 0;	/* keep: start of the run not yet copied */
	long dropped = 0;
	struct hdr h;

	while (hdr_next(p, n, &pos, &h)) {
		if (!drop(&h, arg))
			continue;
		if (buf_add(out, p + keep, h.off - keep) < 0)
			return -1;
		keep = h.off + h.len;
		dropped++;
	}
	if (buf_add(out, p + keep, n - keep) < 0)
		return -1;
	return dropped;
}

char *
hdr_date(char *buf, size_t n)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(buf, n, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0 && n)
		buf[0] = '\0';
	return buf;
}
