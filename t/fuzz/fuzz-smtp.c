/* fuzz-smtp: smtp_parse and smtp_param over one command line, with the
 * invariants smtp.h promises: every pointer lies inside the input, an
 * address is at most SMTP_MAXPATH bytes and has no control character. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

static const char *const keys[] = {
	"SIZE", "BODY", "SMTPUTF8", "AUTH", "RET", "ENVID", "NOTIFY", "ORCPT", "",
};

static int
inside(const char *in, size_t n, const char *p, size_t len)
{
	return p >= in && p <= in + n && len <= (size_t)(in + n - p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *in = (const char *)data, *v;
	struct smtp_cmd c;
	size_t i, k, vl;
	int r;

	r = smtp_parse(in, n, &c);
	if (r != SMTP_OK && r != SMTP_ESYNTAX && r != SMTP_EADDR)
		abort();
	if (r != SMTP_OK)
		return 0;
	if (c.verb == SMTP_UNKNOWN)
		abort();
	if (c.arg == NULL || !inside(in, n, c.arg, c.arglen))
		abort();
	for (i = 0; i < c.arglen; i++)
		if (c.arg[i] == '\0' || c.arg[i] == '\r' || c.arg[i] == '\n')
			abort();
	if (c.verb != SMTP_MAIL && c.verb != SMTP_RCPT)
		return 0;
	if (c.addr == NULL || !inside(in, n, c.addr, c.addrlen) ||
	    !inside(c.arg, c.arglen, c.addr, c.addrlen) || c.addrlen > SMTP_MAXPATH)
		abort();
	for (i = 0; i < c.addrlen; i++)
		if ((unsigned char)c.addr[i] < 0x20 || c.addr[i] == 0x7f)
			abort();
	if (c.params == NULL || !inside(c.arg, c.arglen, c.params, c.paramslen))
		abort();
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		v = NULL;
		vl = 0;
		if (smtp_param(c.params, c.paramslen, keys[k], &v, &vl) == 1) {
			if (v == NULL || !inside(c.params, c.paramslen, v, vl))
				abort();
			for (i = 0; i < vl; i++)
				if (v[i] == ' ')
					abort();
		}
	}
	return 0;
}
