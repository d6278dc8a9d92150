/* fuzz-ole: libFuzzer harness for lib/ole.c.  Checks the contract of
 * ole_strip(): on 1 the new file has the same length, removed() was called
 * once with the whole input, only bytes of directory entry names changed
 * (every 128-byte entry's first 64 bytes, after the header), and a second
 * pass over the new file finds nothing; on anything else out is untouched;
 * -1 comes with EBADMSG, ENOTSUP or ENOMEM; found is DOC_VBA with 1, VBA
 * or XLM with 2.  The same under small limits. */
#include <stdint.h>

#include "docfuzz.h"

static int
removed(void *arg, const char *name, const char *data, size_t len)
{
	check(name != NULL && strlen(name) < 64);
	seen_add(arg, data, len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf out = BUF_INIT;
	struct seen s = { 0 }, s2;
	char why[128] = "";
	unsigned found = 0;
	size_t i;
	int r;

	strips_small(ole_strip, p, size, 2, ENOTSUP);
	errno = 0;
	r = ole_strip(p, size, NULL, &out, &found, why, sizeof why, removed, &s);
	check((found & ~(unsigned)(DOC_VBA | DOC_XLM)) == 0);
	if (r == 1)
		check(found == DOC_VBA);
	if (!stripped(r, 2, ENOTSUP, found, why, sizeof why, &out, &s))
		return 0;
	check(doc_is_ole(p, size));
	check(s.calls == 1 && s.data == p && s.len == size);
	check(out.len == size && why[0] != '\0');
	for (i = 0; i < size; i++)
		if (out.p[i] != p[i])
			check(i >= 512 && i % 128 < 64);
	strips_clean(ole_strip, &out, removed, &s2, &s2);
	buf_free(&out);
	return 0;
}
