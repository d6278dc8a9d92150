/* ooxml: see doc.h (stub until the zip reader lands) */
#include <string.h>
#include "buf.h"
#include "doc.h"

int
doc_is_zip(const char *p, size_t n)
{
	return n >= 4 && memcmp(p, "PK\3\4", 4) == 0;
}

int
ooxml_strip(const char *p, size_t n, struct buf *out, char *why,
    size_t whylen, doc_removed_fn removed, void *arg)
{
	(void)p; (void)n; (void)out; (void)why; (void)whylen; (void)removed; (void)arg;
	return 0;
}
