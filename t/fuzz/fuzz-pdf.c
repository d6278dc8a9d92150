/* fuzz-pdf: libFuzzer harness for lib/pdf.c.  Checks the contract of
 * pdf_strip(): on 1 the new document has the same length, removed() was
 * called once with the whole input, every changed byte is a 'Z' right
 * after a '/', and a second pass over the new document finds nothing; on
 * anything else out is untouched and removed() was not called; -1 comes
 * with EBADMSG or ENOMEM; found is DOC_PDFACTION with 1 and 2.  The same
 * under small limits. */
#include <stdint.h>

#include "docfuzz.h"

static int
removed(void *arg, const char *name, const char *data, size_t len)
{
	check(strcmp(name, "/JavaScript") == 0);
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

	strips_small(pdf_strip, p, size, 2, 0);
	errno = 0;
	r = pdf_strip(p, size, NULL, &out, &found, why, sizeof why, removed, &s);
	check(found == 0 || found == DOC_PDFACTION);
	if (r == 2)
		check(why[0] != '\0');
	if (!stripped(r, 2, 0, found, why, sizeof why, &out, &s))
		return 0;
	check(doc_is_pdf(p, size));
	check(s.calls == 1 && s.data == p && s.len == size);
	check(out.len == size && strncmp(why, "PDF /", 5) == 0);
	for (i = 0; i < size; i++)
		if (out.p[i] != p[i])
			check(i > 0 && out.p[i] == 'Z' && p[i - 1] == '/');
	strips_clean(pdf_strip, &out, removed, &s2, &s2);
	buf_free(&out);
	return 0;
}
