/* envelope: the block of fields that carries the SMTP envelope with the
 * message through the spools (see mailscan(7)):
 *
 *	Return-Path: <sender>
 *	X-Mailscan-Rcpt: <addr>			one per recipient
 *	X-Mailscan-Client: ip helo
 *	X-Mailscan-Trust: level
 *	X-Mailscan-Verdict: engine verdict details	one per scanner that ran
 *	X-Mailscan-<other>: ...			kept in order, e.g. X-Mailscan-Error
 *
 * The block is the run of leading fields named Return-Path or X-Mailscan-*,
 * except X-Mailscan-Status, which belongs to the message itself (it is
 * signed and travels between hosts).  The message proper starts at the
 * first other field.  Parsing is pure and bounded; writing always emits the
 * order above, one field per line, LF line ends.
 */
#ifndef MS_ENVELOPE_H
#define MS_ENVELOPE_H

#include <stddef.h>

struct buf;

#define ENV_MAXFIELD 4096	/* longest value accepted in the block */
#define ENV_MAXADDR  1024	/* longest address accepted */

struct envfield {
	char *name;
	char *value;
};

struct envelope {
	char *sender;		/* without <>; "" is the null sender; NULL: absent */
	char **rcpt;		/* without <> */
	size_t nrcpt, rcptcap;
	char *client;		/* "ip helo", or NULL */
	char *trust;		/* trust level, or NULL */
	struct envfield *f;	/* every other field, in order */
	size_t nf, fcap;
};

void env_init(struct envelope *e);
void env_free(struct envelope *e);

/* Parse the block at the start of p[0..n).  *msgoff is set to the offset
 * of the message proper.  0 on success; -1 with errno EBADMSG (a field too
 * long, an address with a control character or too long, more than
 * maxrcpt recipients) or ENOMEM. */
int env_parse(const char *p, size_t n, size_t maxrcpt, struct envelope *e,
    size_t *msgoff);

/* Let SENDER, RECIPIENTS (space separated), TCPREMOTEIP and MS_TRUST from
 * the environment replace the block's values: for a stage run by hand.
 * -1 with errno EBADMSG or ENOMEM. */
int env_from_environ(struct envelope *e, size_t maxrcpt);
/* Is one of those variables set (so the block must be written anew)? */
int env_overridden(void);

int env_set_sender(struct envelope *e, const char *addr, size_t n);
int env_add_rcpt(struct envelope *e, const char *addr, size_t n);
/* Replace the string *slot with a copy of v[0..n). */
int env_set(char **slot, const char *v, size_t n);
/* Append a field (e.g. "X-Mailscan-Verdict"). */
int env_add(struct envelope *e, const char *name, const char *value);
/* First value of the field called name, or NULL. */
const char *env_get(const struct envelope *e, const char *name);

/* Is this a usable address: no CR, LF, NUL or other control character, not
 * longer than ENV_MAXADDR? */
int env_addr_ok(const char *a, size_t n);

/* A message arriving from outside (SMTP, POP3) as a spool file: the
 * block, the trace field received (a whole "Received: ...\n" field), then
 * msg[0..n) without the fields that only mailscan may write (Return-Path
 * and X-Mailscan-*, except the signed X-Mailscan-Status).  A message that
 * starts with white space has no header; an empty line then keeps its
 * first line from folding into the trace field. */
int env_accept(const struct envelope *e, const char *received, const char *msg,
    size_t n, struct buf *out);

/* Append the block to out (no Return-Path when there is no sender). */
int env_write(const struct envelope *e, struct buf *out);

#endif
