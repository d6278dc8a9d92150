/* diag: one-line diagnostics on stderr, exit-code mapping, deadlines.
 *
 * Every line is "PROG: LEVEL: text" and is written with one write(2) so
 * that lines of concurrent workers never interleave.  PROG is set by main()
 * before anything else.  lib/ code never prints or exits; these helpers are
 * for main() and the code it owns in bin/.
 */
#ifndef MS_DIAG_H
#define MS_DIAG_H

#include <stddef.h>

/* qmail's exit codes, extended by one (see mailscan(7)). */
enum {
	EX_PASS = 0,     /* go on along the main path */
	EX_ALT = 1,      /* alternate path (each program says what it means) */
	EX_DONE = 99,    /* delivered, held or dropped: nothing follows */
	EX_PERM = 100,   /* permanent failure: reject or bounce */
	EX_TEMP = 111,   /* temporary failure: try again later */
};

extern const char *PROG;

void ms_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ms_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As ms_warn, with ": strerror(errno)" appended. */
void ms_warnsys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: fatal: text" then exit(code). */
void ms_fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* As ms_fatal, with ": strerror(errno)" appended; the exit code comes
 * from ms_errcode(errno). */
void ms_fatalsys(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* "PROG: level: line": the struct stage log hook of lib/spool.h. */
void ms_logline(const char *level, const char *line);
/* Usage error: "usage: PROG ..." and exit 100. */
void ms_usage(const char *synopsis) __attribute__((noreturn));

/* errno -> 100 or 111.  Only errors that retrying cannot fix are 100:
 * EMSGSIZE (the message is too big), EBADMSG/EILSEQ (malformed),
 * ENAMETOOLONG.  EFBIG is a local file size limit: 111.
 * Everything else, unknown included, is 111. */
int ms_errcode(int err);

/* Arm a wall-clock deadline: when it passes, "PROG: fatal: timed out
 * after N seconds: WHAT" is written and the process exits 111.  secs == 0
 * disarms.  WHAT must stay valid (a string literal). */
void ms_deadline(unsigned secs, const char *what);

/* The line (with its CRLF) written to fd, once, when the deadline passes,
 * before the process exits: a server's last word to its client ("421
 * ..." for SMTP).  fd -1 forgets it, as a server must once the
 * connection is under TLS in this process or has been closed.  The
 * line is copied (at most 255 bytes). */
void ms_deadline_farewell(int fd, const char *line);

/* Copy at most n bytes of untrusted data into dst (size dstsz) as printable
 * ASCII: other bytes become '?'; truncation is marked with "...".  For log
 * lines and SMTP replies, never for message data. */
char *ms_sanitize(char *dst, size_t dstsz, const char *src, size_t n);

#endif
