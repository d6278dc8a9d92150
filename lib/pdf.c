/* pdf: see doc.h (stub until the PDF reader lands) */
#include <string.h>
#include "buf.h"
#include "doc.h"

int
doc_is_pdf(const char *p, size_t n)
{
	return memmem(p, n < 1024 ? n : 1024, "%PDF-", 5) != NULL;
}

int
pdf_strip(const char *p, size_t n, struct buf *out, char *why,
    size_t whylen, doc_removed_fn removed, void *arg)
{
	(void)p; (void)n; (void)out; (void)why; (void)whylen; (void)removed; (void)arg;
	return 0;
}
