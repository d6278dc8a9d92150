/* docfuzz.h: what the harnesses of the document strippers in doc.h
 * (fuzz-ole, fuzz-pdf, fuzz-rtf, fuzz-ooxml) check alike.  Each harness
 * includes it once, so everything here is static. */
#ifndef MS_DOCFUZZ_H
#define MS_DOCFUZZ_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "doc.h"

/* A *_strip() of doc.h without rtf_strip()'s note. */
typedef int (*strip_fn)(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg);

/* Limits small enough that the inputs of a fuzzer reach them. */
static const struct doc_limits small_limits = { 8, 4096, 16384, 4, 8 };

/* What removed() was given: how often, and the last run. */
struct seen {
	const char *p;		/* the document being stripped */
	size_t n;
	size_t calls;
	const char *data;
	size_t len;
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Count one call of removed() and keep its run. */
static void
seen_add(struct seen *s, const char *data, size_t len)
{
	s->calls++;
	s->data = data;
	s->len = len;
}

/* What every strip answer r must be: from -1 to top, why terminated, -1
 * with errno EBADMSG, ENOMEM or also (0: none more), found some DOC_*
 * bits with 1 and 2 and none else, and on anything but 1 out untouched
 * and removed() never called.  1: r is 1 and the caller goes on with out;
 * 0: out has been freed. */
static int
stripped(int r, int top, int also, unsigned found, const char *why,
    size_t whylen, struct buf *out, const struct seen *s)
{
	check(r >= -1 && r <= top);
	check(memchr(why, '\0', whylen) != NULL);
	check((r == 1 || r == 2) == (found != 0));
	check((found & ~0x1ffu) == 0);
	if (r == -1)
		check(errno == EBADMSG || errno == ENOMEM ||
		    (also != 0 && errno == also));
	if (r == 1)
		return 1;
	check(out->len == 0 && s->calls == 0);
	buf_free(out);
	return 0;
}

/* A second pass over the stripped document out finds nothing: 0, nothing
 * written, removed() (with arg, whose calls s counts) never called. */
static void
strips_clean(strip_fn strip, const struct buf *out, doc_removed_fn removed,
    void *arg, struct seen *s)
{
	struct buf out2 = BUF_INIT;
	char why2[128] = "";
	unsigned found2 = 1;
	int r2;

	memset(s, 0, sizeof *s);
	s->p = out->p;
	s->n = out->len;
	r2 = strip(out->p, out->len, NULL, &out2, &found2, why2, sizeof why2, removed, arg);
	check(r2 == 0 && out2.len == 0 && s->calls == 0 && found2 == 0);
	buf_free(&out2);
}

/* The same input under small_limits, without removed(): an answer from
 * -1 to top (errno as stripped() says), the found bits to match, out
 * written only with 1. */
static void
strips_small(strip_fn strip, const char *p, size_t n, int top, int also)
{
	struct buf out = BUF_INIT;
	struct seen none = { 0 };
	char why[128] = "";
	unsigned found = 1;
	int r;

	errno = 0;
	r = strip(p, n, &small_limits, &out, &found, why, sizeof why, NULL, NULL);
	if (stripped(r, top, also, found, why, sizeof why, &out, &none))
		buf_free(&out);
}

#endif
