/* fuzz-rtf: libFuzzer harness for lib/rtf.c.  Checks the contract of
 * rtf_strip(): on 1 removed() was called at least once, each time with a
 * non-empty run of the input, why says how many, and a second pass over
 * the new document finds nothing; on anything else out is untouched and
 * removed() was never called; -1 comes with EBADMSG or ENOMEM. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "doc.h"

struct seen {
	int calls;
	const char *p;
	size_t n;
	size_t last;		/* where the last removed group began */
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
removed(void *arg, const char *name, const char *data, size_t len)
{
	struct seen *s = arg;

	check(strcmp(name, "\\object") == 0);
	check(len > 0 && data >= s->p && len <= s->n - (size_t)(data - s->p));
	/* Groups come in order and do not overlap. */
	check(s->calls == 0 || (size_t)(data - s->p) >= s->last);
	s->last = (size_t)(data - s->p) + len;
	s->calls++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *note = "removed {\\object} \xc3\xa9";
	struct buf out = BUF_INIT, out2 = BUF_INIT;
	struct seen s = { 0, p, size, 0 }, s2 = { 0 };
	char why[128] = "", why2[128] = "";
	int r, r2;

	errno = 0;
	r = rtf_strip(p, size, note, &out, why, sizeof why, removed, &s);
	check(r >= -1 && r <= 2 && r != 2);
	check(memchr(why, '\0', sizeof why) != NULL);
	if (r == -1)
		check(errno == EBADMSG || errno == ENOMEM);
	if (r != 1) {
		check(out.len == 0 && s.calls == 0);
		buf_free(&out);
		return 0;
	}
	check(doc_is_rtf(p, size) && s.calls > 0);
	check(strtol(why, NULL, 10) == s.calls);
	check(out.len >= 4 && doc_is_rtf(out.p, out.len));
	s2.p = out.p;
	s2.n = out.len;
	r2 = rtf_strip(out.p, out.len, note, &out2, why2, sizeof why2, removed, &s2);
	check(r2 == 0 && out2.len == 0 && s2.calls == 0);
	buf_free(&out2);
	buf_free(&out);
	return 0;
}
