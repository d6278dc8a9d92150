/* fuzz-pdf: libFuzzer harness for lib/pdf.c.  Checks the contract of
 * pdf_strip(): on 1 the new document has the same length, removed() was
 * called once with the whole input, every changed byte is a 'Z' right
 * after a '/', and a second pass over the new document finds nothing; on
 * anything else out is untouched and removed() was not called; -1 comes
 * with EBADMSG or ENOMEM. */
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

	check(strcmp(name, "/JavaScript") == 0);
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
	r = pdf_strip(p, size, &out, why, sizeof why, removed, &s);
	check(r >= -1 && r <= 2);
	check(memchr(why, '\0', sizeof why) != NULL);
	if (r == -1)
		check(errno == EBADMSG || errno == ENOMEM);
	if (r == 2)
		check(why[0] != '\0');
	if (r != 1) {
		check(out.len == 0 && s.calls == 0);
		buf_free(&out);
		return 0;
	}
	check(doc_is_pdf(p, size));
	check(s.calls == 1 && s.data == p && s.len == size);
	check(out.len == size && strncmp(why, "PDF /", 5) == 0);
	for (i = 0; i < size; i++)
		if (out.p[i] != p[i])
			check(i > 0 && out.p[i] == 'Z' && p[i - 1] == '/');
	r2 = pdf_strip(out.p, out.len, &out2, why2, sizeof why2, removed, &s2);
	check(r2 == 0 && out2.len == 0 && s2.calls == 0);
	buf_free(&out2);
	buf_free(&out);
	return 0;
}
