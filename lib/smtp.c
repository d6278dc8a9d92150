/* smtp: see smtp.h */
#include <string.h>
#include <strings.h>

#include "smtp.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA }, { "RSET", SMTP_RSET },
	{ "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT }, { "VRFY", SMTP_VRFY },
	{ "EXPN", SMTP_EXPN }, { "HELP", SMTP_HELP },
	{ "STARTTLS", SMTP_STARTTLS }, { "AUTH", SMTP_AUTH }, { "BDAT", SMTP_BDAT },
};

/* The path in s[0..n): "<...>" then optional " params". */
static int
parse_path(const char *s, size_t n, struct smtp_cmd *c)
{
	size_t i = 0, start, end;
	int quoted = 0;

	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || s[i] != '<')
		return SMTP_ESYNTAX;
	start = ++i;
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"')
			quoted = !quoted;
		else if (ch == '\\' && quoted && i + 1 < n)
			i++;
		else if (ch == '>' && !quoted)
			break;
		else if (ch < 0x20 || ch == 0x7f)
			return SMTP_EADDR;
		else if (ch == ' ' && !quoted)
			return SMTP_EADDR;
	}
	if (i >= n)
		return SMTP_ESYNTAX;	/* no closing bracket */
	end = i++;
	if (end - start + 2 > SMTP_MAXPATH)
		return SMTP_EADDR;
	/* Any control character, quoted or not, is refused. */
	for (size_t k = start; k < end; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return SMTP_EADDR;
	/* Drop a source route: "@a,@b:" before the mailbox. */
	if (end > start && s[start] == '@') {
		const char *colon = memchr(s + start, ':', end - start);
		if (colon == NULL)
			return SMTP_EADDR;
		start = (size_t)(colon - s) + 1;
	}
	c->addr = s + start;
	c->addrlen = end - start;
	if (i < n && s[i] != ' ')
		return SMTP_ESYNTAX;
	while (i < n && s[i] == ' ')
		i++;
	c->params = s + i;
	c->paramslen = n - i;
	return SMTP_OK;
}

int
smtp_parse(const char *line, size_t n, struct smtp_cmd *c)
{
	size_t i, vl;
	const char *kw;
	size_t kwl;

	memset(c, 0, sizeof *c);
	c->verb = SMTP_UNKNOWN;
	if (n && line[n - 1] == '\n')
		n--;
	if (n && line[n - 1] == '\r')
		n--;
	for (vl = 0; vl < n && line[vl] != ' '; vl++)
		;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strlen(verbs[i].name) == vl &&
		    strncasecmp(line, verbs[i].name, vl) == 0) {
			c->verb = verbs[i].verb;
			break;
		}
	if (c->verb == SMTP_UNKNOWN)
		return SMTP_ESYNTAX;
	i = vl;
	if (i < n)
		i++;	/* the space */
	c->arg = line + i;
	c->arglen = n - i;
	/* Trailing spaces are not part of the argument. */
	while (c->arglen && c->arg[c->arglen - 1] == ' ')
		c->arglen--;
	for (i = 0; i < c->arglen; i++)
		if (c->arg[i] == '\0' || c->arg[i] == '\r' || c->arg[i] == '\n')
			return SMTP_ESYNTAX;

	switch (c->verb) {
	case SMTP_MAIL:
		kw = "FROM:";
		break;
	case SMTP_RCPT:
		kw = "TO:";
		break;
	case SMTP_DATA: case SMTP_RSET: case SMTP_QUIT: case SMTP_STARTTLS:
		return c->arglen ? SMTP_ESYNTAX : SMTP_OK;
	case SMTP_HELO: case SMTP_EHLO:
		return c->arglen ? SMTP_OK : SMTP_ESYNTAX;
	default:
		return SMTP_OK;
	}
	kwl = strlen(kw);
	if (c->arglen < kwl || strncasecmp(c->arg, kw, kwl) != 0)
		return SMTP_ESYNTAX;
	return parse_path(c->arg + kwl, c->arglen - kwl, c);
}

int
smtp_param(const char *params, size_t n, const char *key,
    const char **val, size_t *vlen)
{
	size_t kl = strlen(key), i = 0, s, e;

	while (i < n) {
		while (i < n && params[i] == ' ')
			i++;
		s = i;
		while (i < n && params[i] != ' ')
			i++;
		e = i;
		if (e - s >= kl && strncasecmp(params + s, key, kl) == 0 &&
		    (e - s == kl || params[s + kl] == '=')) {
			*val = params + s + kl + (e - s > kl ? 1 : 0);
			*vlen = e - s > kl ? e - s - kl - 1 : 0;
			return 1;
		}
	}
	return 0;
}
