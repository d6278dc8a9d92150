/* fuzz-ole: libFuzzer harness for lib/ole.c.  Checks the contract of
 * ole_strip(): on 1 the new file has the same length, removed() was called
 * once with the whole input, only bytes of directory entry names changed
 * (every 128-byte entry's first 64 bytes, after the header), and a second
 * pass over the new file finds nothing; on anything else out is untouched;
 * -1 comes with EBADMSG, ENOTSUP or ENOMEM. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "doc.h"

struct seen {
	int calls;
	const char *data;
	size_t len;
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

	check(name != NULL && strlen(name) < 64);
	s->calls++;
	s->data = data;
	s->len = len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf out = BUF_INIT, out2 = BUF_INIT;
	struct seen s = { 0 }, s2 = { 0 };
	char why[128] = "", why2[128] = "";
	size_t i;
	int r, r2;

	errno = 0;
	r = ole_strip(p, size, &out, why, sizeof why, removed, &s);
	check(r >= -1 && r <= 2);
	check(memchr(why, '\0', sizeof why) != NULL);
	if (r == -1)
		check(errno == EBADMSG || errno == ENOTSUP || errno == ENOMEM);
	if (r != 1) {
		check(out.len == 0 && s.calls == 0);
		buf_free(&out);
		return 0;
	}
	check(doc_is_ole(p, size));
	check(s.calls == 1 && s.data == p && s.len == size);
	check(out.len == size && why[0] != '\0');
	for (i = 0; i < size; i++)
		if (out.p[i] != p[i])
			check(i >= 512 && i % 128 < 64);
	r2 = ole_strip(out.p, out.len, &out2, why2, sizeof why2, removed, &s2);
	check(r2 == 0 && out2.len == 0 && s2.calls == 0);
	buf_free(&out2);
	buf_free(&out);
	return 0;
}
