/* fuzz-rtf: libFuzzer harness for lib/rtf.c.  Checks the contract of
 * rtf_strip(): on 1 removed() was called at least once, each time with a
 * non-empty run of the input, why says how many, and a second pass over
 * the new document finds nothing; on anything else out is untouched and
 * removed() was never called; -1 comes with EBADMSG or ENOMEM; found is
 * DOC_OBJECT with 1.  The same under small limits. */
#include <stdint.h>

#include "docfuzz.h"

#define NOTE "removed {\\object} \xc3\xa9"

static int
removed(void *arg, const char *name, const char *data, size_t len)
{
	struct seen *s = arg;

	check(strcmp(name, "\\object") == 0);
	check(len > 0 && data >= s->p && len <= s->n - (size_t)(data - s->p));
	/* Groups come in order and do not overlap. */
	check(s->calls == 0 || data >= s->data + s->len);
	seen_add(s, data, len);
	return 0;
}

/* rtf_strip() with the note, in the shape of the other *_strip(). */
static int
strip(const char *p, size_t n, const struct doc_limits *lim, struct buf *out,
    unsigned *found, char *why, size_t whylen, doc_removed_fn fn, void *arg)
{
	return rtf_strip(p, n, lim, NOTE, out, found, why, whylen, fn, arg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf out = BUF_INIT;
	struct seen s = { .p = p, .n = size }, s2;
	char why[128] = "";
	unsigned found = 0;
	int r;

	strips_small(strip, p, size, 1, 0);
	errno = 0;
	r = strip(p, size, NULL, &out, &found, why, sizeof why, removed, &s);
	check(found == 0 || found == DOC_OBJECT);
	if (!stripped(r, 1, 0, found, why, sizeof why, &out, &s))
		return 0;
	check(doc_is_rtf(p, size) && s.calls > 0);
	check(strtol(why, NULL, 10) == (long)s.calls);
	check(out.len >= 4 && doc_is_rtf(out.p, out.len));
	strips_clean(strip, &out, removed, &s2, &s2);
	buf_free(&out);
	return 0;
}
