/* smtp: the SMTP command parser (RFC 5321 section 4.1), a pure function
 * over one command line.  Liberal where the RFC's own examples and common
 * clients are (a space after "FROM:", a line ending in bare LF, lower-case
 * verbs), strict about what reaches the envelope: an address is the text
 * inside <>, without CR, LF, NUL, other controls, or unquoted spaces, and
 * no longer than SMTP_MAXPATH.  A source route (<@a,@b:u@d>) is dropped
 * as RFC 5321 section 4.1.2 allows. */
#ifndef MS_SMTP_H
#define MS_SMTP_H

#include <stddef.h>

enum smtp_verb {
	SMTP_UNKNOWN, SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA,
	SMTP_RSET, SMTP_NOOP, SMTP_QUIT, SMTP_VRFY, SMTP_EXPN, SMTP_HELP,
	SMTP_STARTTLS, SMTP_AUTH, SMTP_BDAT,
};

#define SMTP_MAXPATH 256	/* RFC 5321 4.5.3.1.3, with the brackets */

struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg;	/* everything after the verb and its space */
	size_t arglen;
	const char *addr;	/* MAIL, RCPT: inside <>, route removed; may be empty */
	size_t addrlen;
	const char *params;	/* MAIL, RCPT: the ESMTP parameters after > */
	size_t paramslen;
};

enum smtp_err {
	SMTP_OK = 0,
	SMTP_ESYNTAX,		/* 500/501: the command or its argument */
	SMTP_EADDR,		/* 501/553: the address */
};

/* Parse one line (its CRLF or LF may be included).  Returns enum smtp_err. */
int smtp_parse(const char *line, size_t n, struct smtp_cmd *c);

/* Find the ESMTP parameter key (case-insensitive) in params.  1: found,
 * *val and *vlen its value (empty if none); 0: absent. */
int smtp_param(const char *params, size_t n, const char *key,
    const char **val, size_t *vlen);

#endif
