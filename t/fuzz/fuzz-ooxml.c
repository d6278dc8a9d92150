/* fuzz-ooxml: libFuzzer harness for lib/ooxml.c.  Every answer must be
 * one doc.h defines (2, for a macro sheet or an ActiveX control, with a
 * why and found saying which; 1 for VBA or a remote relationship and
 * neither of those), under the default limits and under small ones; on 1
 * the new zip is read again and must be a clean OOXML package (0), every
 * removed part must have come with a name, and a callback that refuses
 * must turn 1 into -1 with its errno. */
#include <stdint.h>

#include "docfuzz.h"

struct ctx {
	struct seen s;
	size_t bytes;
	int refuse;
};

static int
removed(void *arg, const char *name, const char *data, size_t len)
{
	struct ctx *c = arg;
	size_t i;

	check(name != NULL && name[0] != '\0');
	check(data != NULL || len == 0);
	for (i = 0; i < len; i++)
		c->bytes += (unsigned char)data[i];
	seen_add(&c->s, data, len);
	if (c->refuse) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	struct ctx c = { 0 }, c2 = { 0 }, c3 = { .refuse = 1 };
	char why[200], why2[200];
	unsigned found = 0;
	int r, r2;

	strips_small(ooxml_strip, (const char *)data, size, 2, ENOTSUP);
	memset(why, 'x', sizeof why);
	r = ooxml_strip((const char *)data, size, NULL, &out, &found, why, sizeof why,
	    removed, &c);
	if (r == 2)
		check(why[0] != '\0' && (found & (DOC_XLM | DOC_ACTIVEX)) != 0);
	if (r == 1)
		check((found & (DOC_XLM | DOC_ACTIVEX)) == 0 &&
		    (found & (DOC_VBA | DOC_REMOTE)) != 0);
	if (!stripped(r, 2, ENOTSUP, found, why, sizeof why, &out, &c.s))
		return 0;
	check(c.s.calls > 0 && why[0] != '\0');
	check(doc_is_zip(out.p, out.len));
	/* the new zip is itself a package without VBA */
	strips_clean(ooxml_strip, &out, removed, &c2, &c2.s);
	/* a callback that refuses makes it fail */
	r2 = ooxml_strip((const char *)data, size, NULL, &again, NULL, why2, sizeof why2,
	    removed, &c3);
	check(r2 == -1 && errno == EPERM && c3.s.calls == 1 && again.len == 0);
	/* and none at all is fine */
	r2 = ooxml_strip((const char *)data, size, NULL, &again, NULL, NULL, 0, NULL, NULL);
	check(r2 == 1 && again.len == out.len && memcmp(again.p, out.p, out.len) == 0);
	buf_free(&out);
	buf_free(&again);
	return 0;
}
