/* ms-subscriber: keep only the recipients the service is for.
 *
 * For mail that did not come through ms-smtpd's own RCPT check (a POP
 * fetch, a re-injection): recipients not in the subscribers table are
 * dropped from the envelope, and when none is left the message is bounced
 * to its sender (exit 100).  The table is $MS_SUBSCRIBERS (default
 * $MS_ETC/subscribers.cdb, made by ms-mkcdb from lines "user@domain" or
 * "@domain").  See ms-subscriber(8).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "spool.h"
#include "stats.h"
#include "table.h"

struct subs {
	struct table t;
	char path[PATH_MAX];
	char statsdir[PATH_MAX];
	unsigned window;
};

static int
filter(void *ctx, struct job *job)
{
	struct subs *sc = ctx;
	struct envelope e;
	struct buf gone = BUF_INIT;
	size_t off, i, kept = 0, dropped = 0;
	int r, code = EX_TEMP;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		code = errno == EBADMSG ? EX_PERM : EX_TEMP;
		goto out;
	}
	table_refresh(&sc->t);
	for (i = 0; i < e.nrcpt; i++) {
		r = table_has_address(&sc->t, e.rcpt[i], strlen(e.rcpt[i]));
		if (r < 0) {
			job_reason(job, "unable to look up %s: %s", sc->path, strerror(errno));
			goto out;
		}
		if (r) {
			e.rcpt[kept++] = e.rcpt[i];
			continue;
		}
		if (buf_printf(&gone, "%s<%s>", dropped ? ", " : "", e.rcpt[i]) < 0)
			goto out;
		free(e.rcpt[i]);
		dropped++;
	}
	e.nrcpt = kept;
	/* for ms-trust: the unknown recipients of this client.  Not the
	 * known ones: mail that came over SMTP had them counted at RCPT by
	 * ms-smtpd already, and unknown ones reach us only by other paths. */
	if (e.client && sc->statsdir[0] && dropped) {
		char ip[64];
		size_t l = strcspn(e.client, " ");
		if (l < sizeof ip) {
			memcpy(ip, e.client, l);
			ip[l] = '\0';
			if (stats_add(sc->statsdir, ip, 0, dropped, sc->window) < 0 && errno != EINVAL)
				ms_warnsys("unable to record recipient statistics in %s", sc->statsdir);
		}
	}
	if (buf_cstr(&gone) == NULL)
		goto out;
	if (kept == 0) {
		job_reason(job, "5.1.1 no recipient is served here: %s", gone.p ? gone.p : "none");
		code = EX_PERM;
	} else if (dropped || (job->byhand && env_overridden())) {
		if (env_write(&e, &job->out) < 0 ||
		    buf_add(&job->out, job->in + off, job->inlen - off) < 0) {
			job_reason(job, "out of memory");
			goto out;
		}
		job->changed = 1;
		job_reason(job, "kept %zu recipient%s, dropped %s", kept, kept == 1 ? "" : "s",
		    dropped ? gone.p : "none");
		code = EX_PASS;
	} else {
		job_reason(job, "all %zu recipient%s served", kept, kept == 1 ? "" : "s");
		code = EX_PASS;
	}
out:
	buf_free(&gone);
	env_free(&e);
	return code;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct subs sc;
	struct stage st = { .ctx = &sc, .filter = filter, .log = ms_logline };

	PROG = "ms-subscriber";
	memset(&sc, 0, sizeof sc);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-q in -o out [-b bounce] [-j n]]");
	if (control_path(sc.path, sizeof sc.path, "MS_SUBSCRIBERS", "subscribers.cdb") < 0)
		ms_fatal(EX_TEMP, "MS_ETC or MS_SUBSCRIBERS is too long");
	if (stats_dir(sc.statsdir, sizeof sc.statsdir) < 0)
		sc.statsdir[0] = '\0';
	if (cfg_uint("MS_TRUST_WINDOW", 86400, &sc.window) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_TRUST_WINDOW");
	if (table_open(&sc.t, sc.path) < 0)
		ms_fatalsys("unable to open %s (make it with ms-mkcdb)", sc.path);
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
