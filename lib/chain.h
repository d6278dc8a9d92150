/* chain: run a chain of stages on one message, as ms-smtpd does with
 * $MS_QUEUE and ms-quarantine with its release chain.
 *
 * A chain is configuration, never mail: "prog args | prog args | ...",
 * words split at blanks, no quoting, no shell.  Each stage gets the
 * message on stdin as a complete memory file (never a pipe, so a stage
 * cannot take a message cut short for a whole one), its stdout is the next
 * stage's input, its stderr is passed on to ours and its last line kept as
 * the reason ("PROG: fatal: " removed).
 */
#ifndef MS_CHAIN_H
#define MS_CHAIN_H

#include <sys/types.h>

#include <stddef.h>

struct buf;

#define CHAIN_MAXSTAGES 16
#define CHAIN_MAXARGS 32

struct chain {
	char *spec;	/* our copy, split in place */
	char *argv[CHAIN_MAXSTAGES][CHAIN_MAXARGS + 1];
	int n;
};

struct chain_opts {
	unsigned timeout;	/* seconds per stage; 0: none */
	size_t maxout;		/* most output kept from a stage; more is a failure */
	int setids;		/* run the stages as uid/gid (we are root) */
	uid_t uid;
	gid_t gid;
};

/* -1 with errno EINVAL (an empty stage, too many stages or words) or
 * ENOMEM. */
int chain_parse(struct chain *c, const char *spec);
void chain_free(struct chain *c);

/* One stage: its exit code, or 111 for a crash, a timeout or a failure to
 * run it (why says which).  out gets its stdout when it exits 0 or 1. */
int chain_stage(char *const argv[], const char *in, size_t n,
    const struct chain_opts *o, struct buf *out, char *why, size_t whysz);

/* Every stage in turn while they exit 0.  Returns the first other exit
 * code (*at: that stage's index) or 0; out has the output of the last
 * stage that exited 0 or 1. */
int chain_run(const struct chain *c, const char *in, size_t n,
    const struct chain_opts *o, struct buf *out, char *why, size_t whysz, int *at);

#endif
