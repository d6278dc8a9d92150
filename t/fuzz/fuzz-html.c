/* fuzz-html: libFuzzer harness for lib/html.  Disarms the input (the
 * first byte picks the options and a charset) and checks the contract:
 * 0 leaves the output untouched, 1 gives a result that is itself clean
 * (html_disarm() on it returns 0), 2 says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html.h"

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	const char *note = "[removed]";
	unsigned opts, kinds, k2;
	int rc;

	if (size == 0)
		return 0;
	opts = data[0] & 1 ? HTML_FORMS : 0;
	rc = html_disarm((const char *)data + 1, size - 1, data[0] & 2 ? "utf-8" : NULL,
	    opts, note, strlen(note), &out, &kinds);
	check(rc >= 0 && rc <= 2);
	if (rc == 0)
		check(out.len == 0 && (kinds & (HTML_K_CHARSET | HTML_K_ROUNDS | HTML_K_ENTITY)) == 0);
	if (rc == 1) {
		check(kinds != 0);
		check(html_disarm(out.p, out.len, NULL, opts, note, strlen(note), &again, &k2) == 0);
	}
	if (rc == 2)
		check(kinds & (HTML_K_CHARSET | HTML_K_ROUNDS | HTML_K_ENTITY));
	(void)html_sniff((const char *)data, size);
	buf_free(&out);
	buf_free(&again);
	return 0;
}
