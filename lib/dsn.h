/* dsn: delivery status notifications (RFC 3464) for the recipients that
 * failed for good: multipart/report with a text part, the
 * message/delivery-status fields, and the original's header only, never
 * its body (it may be what the scanners found).  Sent from the null sender
 * to the envelope sender; callers never make one for the null sender. */
#ifndef MS_DSN_H
#define MS_DSN_H

#include <stddef.h>

struct buf;
struct envelope;

struct dsn_failure {
	const char *addr;
	const char *why;	/* the reply or reason; its x.y.z becomes Status */
};

/* Append the DSN, envelope block first, to out. */
int dsn_make(const char *host, const struct envelope *e, const struct dsn_failure *r,
    size_t nr, const char *msg, size_t len, struct buf *out);

/* dsn_make() into a new message in the maildir dir; its name in name. */
int dsn_queue(const char *dir, const char *host, const struct envelope *e,
    const struct dsn_failure *r, size_t nr, const char *msg, size_t len,
    char *name, size_t namesz);

#endif
