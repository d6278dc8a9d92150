/* teststage: a stage for the tests of the spool driver (lib/spool.c).
 *
 * It does what the message asks in its own header:
 *   X-Test-Exit: N      exit code to return (default 0)
 *   X-Test-Sleep: S     sleep S seconds first (SIGTERM arrives meanwhile)
 *   X-Test-Change: yes  add an X-Mailscan-Verdict line (a rewrite, not a rename)
 * and appends "NAME PID" to $TESTSTAGE_LOG for every message it sees, so a
 * test can count how often each message was processed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "envelope.h"
#include "header.h"
#include "spool.h"

static unsigned
hval(const char *p, size_t n, const char *name)
{
	struct hdr h;
	struct buf v = BUF_INIT;
	unsigned r = 0;

	if (hdr_find(p, n, name, &h) && hdr_unfold(&h, &v) == 0 && buf_cstr(&v))
		r = (unsigned)strtoul(v.p, NULL, 10) + (strncmp(v.p, "yes", 3) == 0);
	buf_free(&v);
	return r;
}

static int
filter(void *ctx, struct job *job)
{
	struct envelope e;
	const char *log = getenv("TESTSTAGE_LOG");
	size_t off;
	unsigned code, s;
	char line[512];
	int fd, n;

	(void)ctx;
	env_init(&e);
	if (env_parse(job->in, job->inlen, 100000, &e, &off) < 0) {
		job_reason(job, "malformed envelope");
		return EX_PERM;
	}
	if (log && (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644)) >= 0) {
		n = snprintf(line, sizeof line, "%s %ld\n", job->name, (long)getpid());
		(void)!write(fd, line, (size_t)n);
		close(fd);
	}
	if ((s = hval(job->in + off, job->inlen - off, "X-Test-Sleep")) > 0)
		sleep(s);
	code = hval(job->in + off, job->inlen - off, "X-Test-Exit");
	if (hval(job->in + off, job->inlen - off, "X-Test-Change")) {
		env_add(&e, "X-Mailscan-Verdict", "teststage changed");
		env_write(&e, &job->out);
		buf_add(&job->out, job->in + off, job->inlen - off);
		job->changed = 1;
	}
	job_reason(job, "teststage exit %u", code);
	env_free(&e);
	return (int)code;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct stage st = { .filter = filter, .log = ms_logline };
	int c;

	PROG = "teststage";
	while ((c = getopt(argc, argv, SPOOL_OPTS)) != -1)
		if (spool_opt(&so, c, optarg) != 1)
			ms_usage("[-q in -o out [-a alt] [-b bounce] [-j n]]");
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
