/* smtpc: the SMTP client side (RFC 5321): connect with a timeout, read
 * replies (multi-line, with RFC 5321 4.5.3.2 timeouts set per step), EHLO
 * with HELO fallback and the extensions we use, STARTTLS via libtls, the
 * message sent with LF turned into CRLF and dot-stuffing.  Used by the
 * relay and the forward-request programs. */
#ifndef MS_SMTPC_H
#define MS_SMTPC_H

#include <sys/socket.h>

#include <stddef.h>

#include "io.h"

struct tls_config;

#define SMTPC_PIPELINING 1
#define SMTPC_SIZE       2
#define SMTPC_8BITMIME   4
#define SMTPC_STARTTLS   8

/* RFC 5321 4.5.3.2, seconds */
#define SMTPC_T_GREETING 300
#define SMTPC_T_MAIL     300
#define SMTPC_T_RCPT     300
#define SMTPC_T_DATA     120
#define SMTPC_T_BLOCK    180
#define SMTPC_T_DOT      600

struct smtpc {
	struct io io;
	int fd;
	unsigned caps;
	unsigned long long maxsize;	/* SIZE's value; 0: none given */
	int code;			/* the last reply's code, or -1 */
	char reply[512];		/* its text, sanitized, lines joined by " / " */
	char peer[80];			/* the address connected to, for logs */
	unsigned scale;			/* divides the timeouts (tests) */
};

/* Connect to a within timeout seconds and read the greeting.  Returns the
 * greeting's code (220 expected), -1 when the connection failed (errno). */
int smtpc_open(struct smtpc *c, const struct sockaddr_storage *a, unsigned timeout);

/* Send one command line (CRLF added); with flush = 0 it is only buffered
 * (PIPELINING). */
int smtpc_send(struct smtpc *c, int flush, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Read one reply, waiting at most timeout seconds.  Its code, or -1 on
 * timeout or a lost connection (c->reply says which). */
int smtpc_reply(struct smtpc *c, unsigned timeout);

/* EHLO (HELO after a 5xx), capabilities into c->caps.  The reply code. */
int smtpc_hello(struct smtpc *c, const char *myname);
/* STARTTLS and the handshake; servername (may be NULL) checked when the
 * config says so.  0, or -1 with c->reply saying why. */
int smtpc_starttls(struct smtpc *c, struct tls_config *cfg, const char *servername);

/* DATA's body: msg[0..n) with LF line ends sent as CRLF, dot-stuffed, a
 * final line end added if missing, then ".".  The final reply code. */
int smtpc_data(struct smtpc *c, const char *msg, size_t n);

/* A session on descriptors already connected (ODMR: the roles turned on
 * a connection the peer made): read the greeting.  Its code or -1. */
int smtpc_attach(struct smtpc *c, int rfd, int wfd, const char *peer);

/* One recipient of a transaction and what became of it. */
struct smtpc_rcpt {
	const char *addr;
	int code;		/* the reply that decided: RCPT's, or DATA's; -1 none */
	char why[400];		/* "peer: reply text" */
};

/* MAIL, RCPT for each, DATA and the message, pipelined when offered.
 * Every recipient gets its code and why.  Returns 1 when the outcomes are
 * final for this server, 0 when another server may do better (MAIL or
 * DATA deferred, the connection lost): the codes then say 4xx or -1. */
int smtpc_transaction(struct smtpc *c, const char *sender, struct smtpc_rcpt *r,
    size_t n, const char *msg, size_t len);

/* QUIT (best effort) and close. */
void smtpc_close(struct smtpc *c);

#endif
