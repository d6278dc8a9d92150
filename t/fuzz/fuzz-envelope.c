/* fuzz-envelope: env_parse, then env_write of what it found, then
 * env_parse of that again: the block written must parse to the same
 * envelope (abort() if not). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"

#define MAXRCPT 100000

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct envelope e, e2;
	struct buf out = BUF_INIT;
	size_t off, off2, i;

	env_init(&e);
	env_init(&e2);
	if (env_parse((const char *)data, n, MAXRCPT, &e, &off) < 0) {
		if (off > n)
			abort();
		env_free(&e);
		return 0;
	}
	if (off > n)
		abort();
	if (e.sender && !env_addr_ok(e.sender, strlen(e.sender)))
		abort();
	for (i = 0; i < e.nrcpt; i++)
		if (e.rcpt[i][0] == '\0' || !env_addr_ok(e.rcpt[i], strlen(e.rcpt[i])))
			abort();

	/* (no sender: no Return-Path written, none parsed back) */
	if (env_write(&e, &out) < 0)
		abort();
	if (env_parse(out.p, out.len, MAXRCPT, &e2, &off2) < 0)
		abort();
	if (off2 != out.len)
		abort();
	if (!same(e.sender, e2.sender) || e.nrcpt != e2.nrcpt)
		abort();
	for (i = 0; i < e.nrcpt; i++)
		if (strcmp(e.rcpt[i], e2.rcpt[i]) != 0)
			abort();
	if (!same(e.client, e2.client) || !same(e.trust, e2.trust) || e.nf != e2.nf)
		abort();
	for (i = 0; i < e.nf; i++)
		if (strcmp(e.f[i].name, e2.f[i].name) != 0 ||
		    strcmp(e.f[i].value, e2.f[i].value) != 0)
			abort();
	buf_free(&out);
	env_free(&e);
	env_free(&e2);
	return 0;
}
