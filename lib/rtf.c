/* rtf: see doc.h (stub until the RTF reader lands) */
#include <string.h>
#include "buf.h"
#include "doc.h"

int
doc_is_rtf(const char *p, size_t n)
{
	return n >= 4 && memcmp(p, "{\\rt", 4) == 0;
}

int
rtf_strip(const char *p, size_t n, const char *note, struct buf *out,
    char *why, size_t whylen, doc_removed_fn removed, void *arg)
{
	(void)p; (void)n; (void)note; (void)out; (void)why; (void)whylen; (void)removed; (void)arg;
	return 0;
}
