/* fuzz-status: status_parse over arbitrary input; when it parses, the
 * fields must be what status.h promises, status_canon and status_format
 * must work, and the field status_format writes must parse back to the
 * same struct, both as a bare value and as a header field found by
 * hdr_next.  status_bodyhash runs over the input too, and must not change
 * when the input's LF line ends become CRLF or when empty lines are added
 * at its end (the canonicalization of ms-stamp(8)).  abort() when an
 * invariant does not hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "status.h"

static void
check_value(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (*p == '\0')
		abort();
	for (; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ';')
			abort();
}

static void
same(const struct status *a, const struct status *b)
{
	if (strcmp(a->status, b->status) != 0 || strcmp(a->by, b->by) != 0 ||
	    strcmp(a->engines, b->engines) != 0 || a->t != b->t ||
	    strcmp(a->bh, b->bh) != 0 || strcmp(a->s, b->s) != 0)
		abort();
}

static void
roundtrip(const struct status *st)
{
	static const char prefix[] = STATUS_FIELD ":";
	struct buf canon = BUF_INIT, f = BUF_INIT, c2 = BUF_INIT;
	struct status st2;
	struct hdr h;
	size_t pos = 0, l = sizeof prefix - 1;

	if (status_canon(st, &canon) < 0)
		abort();
	if (canon.len < 18 || memcmp(canon.p, "mailscan-status-1\n", 18) != 0 ||
	    memchr(canon.p + 18, '\n', canon.len - 18) != NULL)
		abort();
	if (status_format(st, &f) < 0)
		abort();
	if (f.len <= l || memcmp(f.p, prefix, l) != 0 || f.p[f.len - 1] != '\n')
		abort();
	/* the value: after "X-Mailscan-Status:" up to the end */
	if (status_parse(f.p + l, f.len - l, &st2) < 0)
		abort();
	same(st, &st2);
	/* the same canonical text, so the same signature covers it */
	if (status_canon(&st2, &c2) < 0 || c2.len != canon.len ||
	    memcmp(c2.p, canon.p, canon.len) != 0)
		abort();
	/* as a header field: one field, the whole output, same value */
	if (hdr_next(f.p, f.len, &pos, &h) != 1 || !hdr_is(&h, STATUS_FIELD) ||
	    pos != f.len || h.off != 0 || h.len != f.len)
		abort();
	if (status_parse(h.value, h.valuelen, &st2) < 0)
		abort();
	same(st, &st2);
	buf_free(&canon);
	buf_free(&f);
	buf_free(&c2);
}

static void
bodyhash(const char *p, size_t n)
{
	char bh[64], bh2[64];
	struct buf b = BUF_INIT;
	size_t i;

	if (status_bodyhash(p, n, bh, sizeof bh) < 0)
		abort();
	if (strlen(bh) != 44 || bh[43] != '=')
		abort();
	/* the same input hashes the same */
	if (status_bodyhash(p, n, bh2, sizeof bh2) < 0 || strcmp(bh, bh2) != 0)
		abort();
	/* LF -> CRLF, when the input has no CR of its own */
	if (memchr(p, '\r', n) == NULL) {
		for (i = 0; i < n; i++)
			if ((p[i] == '\n' && buf_addc(&b, '\r') < 0) || buf_addc(&b, p[i]) < 0)
				abort();
		if (status_bodyhash(b.p ? b.p : "", b.len, bh2, sizeof bh2) < 0 ||
		    strcmp(bh, bh2) != 0)
			abort();
	}
	/* empty lines added at the end of an input that ends a line */
	if (n == 0 || p[n - 1] == '\n') {
		buf_reset(&b);
		if (buf_add(&b, p, n) < 0 || buf_adds(&b, "\n\r\n\n") < 0)
			abort();
		if (status_bodyhash(b.p, b.len, bh2, sizeof bh2) < 0 || strcmp(bh, bh2) != 0)
			abort();
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *p = (const char *)data;
	struct status st, st2;

	if (status_parse(p, n, &st) == 0) {
		if (!status_word_ok(st.status))
			abort();
		check_value(st.by);
		check_value(st.engines);
		check_value(st.bh);
		check_value(st.s);
		if (st.t < 0)
			abort();
		/* deterministic */
		if (status_parse(p, n, &st2) < 0)
			abort();
		same(&st, &st2);
		roundtrip(&st);
	}
	bodyhash(n ? p : "", n);
	return 0;
}
