/* doc: what the document readers share (see doc.h): their limits and the
 * names of what they find. */
#include <string.h>

#include "doc.h"

void
doc_limits_get(const struct doc_limits *lim, struct doc_limits *l)
{
	static const struct doc_limits dflt = DOC_LIMITS_DEFAULT;

	*l = lim ? *lim : dflt;
	if (l->ratio == 0)
		l->ratio = 1;
	if (l->depth > DOC_DEPTH_MAX)
		l->depth = DOC_DEPTH_MAX;
}

char *
doc_found_names(unsigned found, int ole, char *dst, size_t dstsz)
{
	static const char *const names[] = {
		"vba-macro", "xlm-macro", "activex", "remote-template",
		"remote-object", "remote-frame", "remote-subdoc", "rtf-object",
		"pdf-action",
	};
	size_t i, l = 0;

	if (dstsz == 0)
		return dst;
	dst[0] = '\0';
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(found & 1u << i))
			continue;
		if (l > 0 && l < dstsz)
			l += strlcpy(dst + l, "+", dstsz - l);
		if (l >= dstsz)
			break;	/* cut short */
		l += strlcpy(dst + l, i == 0 && ole ? "ole-macro" : names[i], dstsz - l);
	}
	return dst;
}
