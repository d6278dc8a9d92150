/* pop3: the client side of POP3 (RFC 1939, CAPA of RFC 2449, STLS of
 * RFC 2595, SASL PLAIN of RFC 5034) over lib/io.  The reply parsers are
 * pure functions over (const char *, size_t). */
#ifndef MS_POP3_H
#define MS_POP3_H

#include <stddef.h>

#include "io.h"

struct buf;
struct tls_config;

#define POP3_MAXLINE 1024	/* a status or listing line, far above RFC 1939's 512 */

/* "+OK ..." 1, "-ERR ..." 0, anything else -1.  text/textlen: what
 * follows the status word (may be empty). */
int pop3_status(const char *line, size_t n, const char **text, size_t *textlen);

/* The APOP timestamp "<...>" in a greeting: 1 found (copied into ts,
 * NUL-terminated), 0 none or too long. */
int pop3_timestamp(const char *greeting, size_t n, char *ts, size_t tssz);

/* A "NUMBER WORD" listing line (LIST's "1 1234", UIDL's "1 abc"): 0, or -1
 * when malformed.  The word is at most 70 printable characters
 * (RFC 1939 7). */
int pop3_listing(const char *line, size_t n, unsigned long *num,
    const char **word, size_t *wordlen);

#define POP3_CAPA_STLS  1
#define POP3_CAPA_UIDL  2
#define POP3_CAPA_PLAIN 4	/* SASL PLAIN */
#define POP3_CAPA_USER  8

struct pop3 {
	struct io io;
	int fd;
	unsigned caps;
	char ts[128];		/* APOP timestamp, "" when none */
	char err[300];		/* the last failure, sanitized */
	int perm;		/* the failure is permanent (auth refused, ...) */
	int greeted;
};

/* Connect (host and port resolved by getaddrinfo), TLS from the start
 * when tls is not NULL (POP3S), read the greeting.  0 or -1 (p->err). */
int pop3_open(struct pop3 *p, const char *host, const char *port,
    struct tls_config *tls, const char *servername, unsigned timeout);
/* One command (CRLF added), its status line; 1 +OK, 0 -ERR, -1 failure. */
int pop3_cmd(struct pop3 *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The lines of a multi-line reply into out, dot-unstuffed, CRLF made LF,
 * at most max bytes kept (*toobig set when more came; the reply is still
 * read to its end).  0 or -1 (connection lost mid-reply: out is garbage). */
int pop3_multiline(struct pop3 *p, struct buf *out, size_t max, int *toobig);
int pop3_capa(struct pop3 *p);
int pop3_stls(struct pop3 *p, struct tls_config *tls, const char *servername);
enum { POP3_AUTH_AUTO, POP3_AUTH_APOP, POP3_AUTH_USER };

/* Log in by mode: AUTO is SASL PLAIN when offered, else USER and PASS;
 * APOP needs the greeting's timestamp; USER is USER and PASS.  0 or -1
 * (p->perm set when the server refused the credentials for good; a
 * "[SYS/TEMP]" or "[IN-USE]" refusal, RFC 3206, is temporary). */
int pop3_login(struct pop3 *p, const char *user, const char *pass, int mode);
void pop3_close(struct pop3 *p, int quit);

#endif
