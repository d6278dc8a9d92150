/* spool: the two drivers every stage runs under (see mailscan(7)).
 *
 * A stage is a filter function over one message.  filter_run() feeds it
 * stdin and writes the result to stdout; spool_run() loops over a maildir
 * (-q IN), woken by inotify with a periodic rescan, and routes each message
 * by the filter's exit code:
 *
 *	0    to the -o spool        1   to the -a spool
 *	99   removed (the stage delivered, held or dropped it)
 *	100  to the bounce spool (-b, default $MS_SPOOL/bounce) with an
 *	     "X-Mailscan-Error: PROG reason" field added to its envelope
 *	111  left in place; retried with exponential backoff (if the stage
 *	     changed the message, the new form replaces it)
 *
 * A message the filter did not change is moved by rename; a changed one is
 * written to the destination's tmp/, fsynced, renamed into new/, and only
 * then removed from the source.  A message is claimed with flock(2) on its
 * file, so several drivers (or -j workers) on one spool never process the
 * same message at once.  The retry state of a deferred message lives in its
 * name, "BASE:1,ATTEMPTS,NEXTTRY", so the message itself is not rewritten;
 * the suffix is dropped when it moves on.
 *
 * The driver reports through stage->log (one line per message); it never
 * exits: spool_run() and filter_run() return the exit code for main().
 */
#ifndef MS_SPOOL_H
#define MS_SPOOL_H

#include <stddef.h>

#include "buf.h"

struct job {
	const char *in;		/* the message, envelope block first */
	size_t inlen;
	const char *name;	/* spool file name without retry suffix, or "-" */
	int byhand;		/* filter mode: the environment overrides the envelope */
	const char *spool;	/* spool mode: the -q maildir; NULL in filter mode */
	const char *outspool;	/* spool mode: the -o maildir, or NULL */
	unsigned attempts;	/* earlier attempts that ended in 111 */
	struct buf out;		/* the new message, when changed is set */
	int changed;
	char reason[512];	/* what the stage did, or why it failed: one line */
};

struct stage {
	void *ctx;
	int (*filter)(void *ctx, struct job *job);
	/* SIGHUP: reload heavy state (signatures, rules).  0 ok; on -1 the
	 * old state stays in use.  NULL: nothing to reload. */
	int (*reload)(void *ctx);
	/* One diagnostic line, level "info", "warn" or "fatal". */
	void (*log)(const char *level, const char *line);
};

struct spool_opts {
	const char *in, *out, *alt, *bounce;
	unsigned jobs;
	int once;	/* -1: one pass over every message, due or not, then exit */
};

#define SPOOL_OPTS "q:o:a:b:j:1"

/* Take one of the driver's getopt options.  1: handled; 0: not one of
 * SPOOL_OPTS; -1: bad value (errno EINVAL). */
int spool_opt(struct spool_opts *o, int c, const char *arg);

/* getopt over argv for a stage that has only the driver's options.  0,
 * or -1 on an unknown option, a bad value or an extra argument (main()
 * then gives its usage). */
int spool_getopt(int argc, char **argv, struct spool_opts *o);

int filter_run(const struct stage *st);
int spool_run(const struct spool_opts *o, const struct stage *st);

/* Set job->reason (printf-style, truncated to one line). */
void job_reason(struct job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
