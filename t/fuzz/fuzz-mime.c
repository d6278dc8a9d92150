/* fuzz-mime: libFuzzer harness for lib/mime (and with it lib/qp, lib/uu,
 * lib/rfc2047).  Walks the input, checks what every leaf says about itself,
 * then replaces the first leaf with its removal notice and checks the
 * length of the result; the result is walked again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"

struct ctx {
	const char *msg;
	size_t n;
	size_t leaves;
	size_t off, len;	/* the first leaf */
	size_t textlen;		/* the decoded size of the last MIME leaf */
	struct buf notice;
	struct buf scratch;
	unsigned sum;
	size_t stopafter;	/* leaf() stops the walk after so many leaves */
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
leaf(void *arg, const struct mime_part *p)
{
	struct ctx *c = arg;
	size_t i;

	check(p->index == ++c->leaves);
	check(p->off <= c->n && p->len <= c->n - p->off);
	check(p->bodyoff >= p->off && p->bodyoff <= p->off + p->len &&
	    p->bodylen <= p->off + p->len - p->bodyoff);
	check(p->data != NULL);
	check(p->name != NULL || p->namelen == 0);
	check(memchr(p->type, '\0', MIME_TOKMAX) && memchr(p->subtype, '\0', MIME_TOKMAX));
	check(memchr(p->charset, '\0', MIME_TOKMAX) && memchr(p->encoding, '\0', MIME_TOKMAX));
	if (p->kind == MIME_KIND_UU) {
		check(p->carrier > 0 && p->carrier < p->index);
		check(p->textoff <= c->textlen && p->textlen <= c->textlen - p->textoff);
	} else
		c->textlen = p->datalen;	/* what its uu blocks are in */
	/* Touch every byte: ASan sees a stale or short buffer. */
	for (i = 0; i < p->datalen; i++)
		c->sum += (unsigned char)p->data[i];
	for (i = 0; i < p->namelen; i++)
		c->sum += (unsigned char)p->name[i];
	/* A notice for every leaf; the first one is put in its place. */
	c->scratch.len = 0;
	if (mime_notice(c->msg, c->n, p, "fuzz", 4,
	    c->leaves == 1 ? &c->notice : &c->scratch) < 0)
		abort();
	if (c->leaves == 1) {
		c->off = p->off;
		c->len = p->len;
	}
	return c->stopafter && c->leaves >= c->stopafter ? 7 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { .msg = (const char *)data, .n = size };
	struct ctx c2 = { 0 }, c3 = { 0 };
	struct mime_result res, res2, res3;
	struct mime_limits lim, small;
	struct buf out = BUF_INIT;
	int r;

	mime_limits_default(&lim);
	if (mime_walk(c.msg, size, &lim, leaf, &c, &res) < 0)
		abort();
	check(res.leaves == c.leaves && res.leaves <= res.parts && !res.stopped);
	check(res.parts <= lim.parts && res.depth <= lim.depth);
	if (c.leaves > 0) {
		if (mime_replace(c.msg, size, c.off, c.len, c.notice.p, c.notice.len, &out) < 0)
			abort();
		check(out.len == size - c.len + c.notice.len);
		check(memcmp(out.p, data, c.off) == 0);
		check(memcmp(out.p + c.off + c.notice.len, data + c.off + c.len,
		    size - c.off - c.len) == 0);
		c2.msg = out.p;
		c2.n = out.len;
		if (mime_walk(out.p, out.len, &lim, leaf, &c2, &res2) < 0)
			abort();
	}
	/* Small limits, picked by the size, and a walk leaf() stops. */
	small.depth = size % 4;
	small.parts = 1 + size % 13;
	small.factor = size % 3;
	small.decoded = size % 2 ? (size_t)-1 : size / 2;
	small.header = 64 + size % 512;
	c3.msg = c.msg;
	c3.n = size;
	c3.stopafter = 1 + size % 3;
	r = mime_walk(c.msg, size, &small, leaf, &c3, &res3);
	check(r == 0 || r == 7);
	check((r == 7) == (res3.stopped != 0) && res3.leaves == c3.leaves);
	check(res3.parts <= small.parts && res3.depth <= small.depth);
	check(res3.stopped || res3.limit || res3.leaves == res.leaves);
	buf_free(&c.notice);
	buf_free(&c.scratch);
	buf_free(&c2.notice);
	buf_free(&c2.scratch);
	buf_free(&c3.notice);
	buf_free(&c3.scratch);
	buf_free(&out);
	return 0;
}
