/* header: binary-safe parsing of an RFC 5322 header block.
 *
 * Pure functions over (const char *, size_t): no allocation except into a
 * caller's struct buf, no I/O.  Lines end in LF or CRLF; a field continues
 * on lines that start with SP or HTAB.  The block ends at the first empty
 * line, at the end of input, or at the first line that is not a field
 * (no name, or no colon after it): like Postfix, such a line starts the
 * body.  NUL and 8-bit bytes are data like any other.
 */
#ifndef MS_HEADER_H
#define MS_HEADER_H

#include <stddef.h>

struct buf;

struct hdr {
	const char *name;	/* field name, without trailing WSP and colon */
	size_t namelen;
	const char *value;	/* after the colon, folded, without the final line end */
	size_t valuelen;
	size_t off;		/* the whole field within the input ... */
	size_t len;		/* ... including its final line end */
};

/* Next field at *pos.  1: *h filled, *pos advanced past it.  0: the header
 * block ends at *pos; *pos is moved past the empty line, if there is one,
 * so that it is the offset of the body. */
int hdr_next(const char *p, size_t n, size_t *pos, struct hdr *h);

/* Offset of the body (just past the empty line), or n. */
size_t hdr_end(const char *p, size_t n);

/* Case-insensitive comparison of the field name with name. */
int hdr_is(const struct hdr *h, const char *name);
/* Case-insensitive: does the field name start with prefix? */
int hdr_has_prefix(const struct hdr *h, const char *prefix);

/* The first field called name in the header block; 1 found, 0 not. */
int hdr_find(const char *p, size_t n, const char *name, struct hdr *h);

/* Number of fields called name in the header block. */
size_t hdr_count(const char *p, size_t n, const char *name);

/* Append the unfolded value to out: line ends before WSP removed, leading
 * and trailing WSP trimmed.  -1 on ENOMEM. */
int hdr_unfold(const struct hdr *h, struct buf *out);

/* Append p[0..n) to out without the header fields for which drop() returns
 * non-zero; every other byte is copied unchanged.  Returns the number of
 * fields dropped, -1 on ENOMEM. */
long hdr_filter(const char *p, size_t n,
    int (*drop)(const struct hdr *, void *), void *arg, struct buf *out);

/* The current local time as a Date: value (RFC 5322 3.3), in buf.
 * Returns buf. */
char *hdr_date(char *buf, size_t n);

#endif
