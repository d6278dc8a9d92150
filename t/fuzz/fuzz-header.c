/* fuzz-header: hdr_next, hdr_end, hdr_find, hdr_count, hdr_unfold and
 * hdr_filter over arbitrary input, with the invariants header.h promises
 * checked (abort() when one does not hold). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"

static int
drop_all(const struct hdr *h, void *arg)
{
	(void)h;
	(void)arg;
	return 1;
}

static int
drop_none(const struct hdr *h, void *arg)
{
	(void)h;
	(void)arg;
	return 0;
}

static int
drop_received(const struct hdr *h, void *arg)
{
	(void)arg;
	return hdr_is(h, "Received");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *p = (const char *)data;
	struct buf b = BUF_INIT;
	struct hdr h, first;
	size_t pos = 0, nfields = 0, nsubj = 0, fieldbytes = 0, nrecv = 0, i;
	int havefirst = 0;
	long r;

	while (hdr_next(p, n, &pos, &h)) {
		/* the field lies inside the input, fields are contiguous */
		if (h.off + h.len != pos || pos > n || h.len == 0 ||
		    h.name != p + h.off || h.namelen == 0 ||
		    h.value < h.name + h.namelen ||
		    h.value + h.valuelen > p + h.off + h.len)
			abort();
		if (h.off != fieldbytes)
			abort();
		for (i = 0; i < h.namelen; i++)
			if ((unsigned char)h.name[i] < 33 || (unsigned char)h.name[i] > 126 ||
			    h.name[i] == ':')
				abort();
		buf_reset(&b);
		if (hdr_unfold(&h, &b) < 0)
			abort();
		if (b.len > h.valuelen || (b.len && memchr(b.p, '\n', b.len)))
			abort();
		if (b.len && (b.p[0] == ' ' || b.p[0] == '\t' ||
		    b.p[b.len - 1] == ' ' || b.p[b.len - 1] == '\t'))
			abort();
		if (hdr_is(&h, "Subject")) {
			if (!havefirst) {
				first = h;
				havefirst = 1;
			}
			nsubj++;
		}
		nrecv += hdr_is(&h, "Received");
		nfields++;
		fieldbytes += h.len;
	}
	if (pos > n || pos < fieldbytes || hdr_end(p, n) != pos)
		abort();
	if (hdr_count(p, n, "subject") != nsubj)
		abort();
	if (hdr_find(p, n, "SUBJECT", &h) != havefirst ||
	    (havefirst && (h.off != first.off || h.len != first.len)))
		abort();

	/* keeping every field copies the input unchanged */
	buf_reset(&b);
	if (hdr_filter(p, n, drop_none, NULL, &b) != 0 || b.len != n ||
	    (n && memcmp(b.p, p, n) != 0))
		abort();
	/* dropping every field leaves the rest, and no field in it */
	buf_reset(&b);
	if ((r = hdr_filter(p, n, drop_all, NULL, &b)) < 0 || (size_t)r != nfields ||
	    b.len != n - fieldbytes || (b.len && memcmp(b.p, p + fieldbytes, b.len) != 0))
		abort();
	pos = 0;
	if (hdr_next(b.p ? b.p : "", b.len, &pos, &h))
		abort();
	buf_reset(&b);
	if ((r = hdr_filter(p, n, drop_received, NULL, &b)) < 0 || (size_t)r != nrecv ||
	    b.len > n || hdr_count(b.p ? b.p : "", b.len, "Received") != 0)
		abort();
	buf_free(&b);
	return 0;
}
