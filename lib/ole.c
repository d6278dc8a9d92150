/* ole: see doc.h (stub until the compound file reader lands) */
#include <string.h>
#include "buf.h"
#include "doc.h"

int
doc_is_ole(const char *p, size_t n)
{
	return n >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0;
}

int
ole_strip(const char *p, size_t n, struct buf *out, char *why,
    size_t whylen, doc_removed_fn removed, void *arg)
{
	(void)p; (void)n; (void)out; (void)why; (void)whylen; (void)removed; (void)arg;
	return 0;
}
