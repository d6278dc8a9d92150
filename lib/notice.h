/* notice: the short messages mailscan itself sends (ms-notify, and
 * ms-quarantine on delete): plain text, MIME, "Auto-Submitted:
 * auto-generated", from the null sender so that nobody answers them, and
 * never carrying the dangerous content, only a description of it. */
#ifndef MS_NOTICE_H
#define MS_NOTICE_H

#include <stddef.h>

struct buf;
struct envelope;

/* Append a description of the message proper msg[0..n) with its
 * envelope: sender, recipients (when rcpts is set: not for a notice to one
 * of them, who may have been a Bcc), Subject, Message-ID, Date (sanitized,
 * one per line, "  Name: value"). */
int notice_describe(const char *msg, size_t n, const struct envelope *e,
    int rcpts, struct buf *out);

/* Is msg[0..n) itself automatic (Auto-Submitted other than "no")? */
int notice_is_auto(const char *msg, size_t n);

/* Write a notice to the addresses to[0..nto) into the maildir spooldir
 * (for ms-relay to send): its envelope block, header and body.  host
 * names the sender (MAILER-DAEMON@host).  0, or -1 with errno. */
int notice_send(const char *spooldir, const char *host, char *const *to, size_t nto,
    const char *subject, const char *body, size_t bodylen);

#endif
