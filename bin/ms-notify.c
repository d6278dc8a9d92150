/* ms-notify: tell the admin, the recipients and (maybe) the sender what
 * the scanners found.
 *
 * A stage after the scanners, on the main path (cleaned or unscanned mail
 * going out) and on the quarantine path (-o into the quarantine, so a
 * notice can name the quarantine id, which is the spool file name).  The
 * message itself passes unchanged.  Notices go into $MS_NOTIFY_SPOOL
 * (default $MS_SPOOL/out) for ms-relay.  See ms-notify(8).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "notice.h"
#include "spool.h"
#include "table.h"

enum { SENDER_NO, SENDER_LOCAL, SENDER_ALL };

struct notify {
	char spool[PATH_MAX];
	char host[256];
	const char *admin;
	int rcpts;		/* MS_NOTIFY_RECIPIENTS */
	int sender;		/* MS_NOTIFY_SENDER */
	struct table subs;	/* for SENDER_LOCAL */
	int have_subs;
	char subspath[PATH_MAX];
};

/* The verdict word of an "ENGINE VERDICT details" line. */
static const char *
verdict_word(const char *v, size_t *len)
{
	v += strcspn(v, " \t");
	v += strspn(v, " \t");
	*len = strcspn(v, " \t");
	return v;
}

static int
is(const char *w, size_t l, const char *word)
{
	return l == strlen(word) && strncmp(w, word, l) == 0;
}

static int
filter(void *ctx, struct job *job)
{
	struct notify *nc = ctx;
	struct envelope e;
	struct buf verdicts = BUF_INIT, desc = BUF_INIT, body = BUF_INIT, subj = BUF_INIT;
	struct buf rdesc = BUF_INIT, rbody = BUF_INIT;
	const char *msg, *w, *what = NULL;
	char *one[1];
	size_t off, n, i, wl, sent = 0;
	int quarantined = 0, infected = 0, cleaned = 0, unscanned = 0, code = EX_TEMP;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		code = errno == EBADMSG ? EX_PERM : EX_TEMP;
		goto out;
	}
	msg = job->in + off;
	n = job->inlen - off;
	for (i = 0; i < e.nf; i++) {
		if (strcasecmp(e.f[i].name, "X-Mailscan-Verdict") != 0)
			continue;
		w = verdict_word(e.f[i].value, &wl);
		if (is(w, wl, "clean"))
			continue;
		infected |= is(w, wl, "infected");
		cleaned |= is(w, wl, "cleaned");
		unscanned |= !is(w, wl, "infected") && !is(w, wl, "cleaned");
		quarantined |= strstr(e.f[i].value, "action=quarantine") != NULL;
		{
			char safe[400];
			ms_sanitize(safe, sizeof safe, e.f[i].value, strlen(e.f[i].value));
			if (buf_printf(&verdicts, "  %s\n", safe) < 0)
				goto nomem;
		}
	}
	if (!infected && !cleaned && !unscanned) {
		job_reason(job, "nothing to report");
		code = EX_PASS;
		goto out;
	}
	if (quarantined)
		what = "was quarantined";
	else if (infected)
		what = "was found infected and delivered as it is (tagged)";
	else if (cleaned)
		what = "was delivered with its dangerous parts removed";
	else
		what = "could not be scanned completely and was delivered";
	/* Two versions: with the recipients (admin, sender), without them
	 * (for the recipients). */
	if (notice_describe(msg, n, &e, 1, &desc) < 0 || notice_describe(msg, n, &e, 0, &rdesc) < 0 ||
	    buf_printf(&subj, "[mailscan] a message %s", what) < 0 || buf_cstr(&subj) == NULL)
		goto nomem;
	for (i = 0; i < 2; i++) {
		struct buf *b = i ? &rbody : &body, *d = i ? &rdesc : &desc;
		if (buf_printf(b, "This is the mail scanner at %s.\n\n"
		    "The message described below %s.\n\n%s\nWhat the scanners said:\n%s\n",
		    nc->host, what, d->p ? d->p : "", verdicts.p) < 0)
			goto nomem;
		if (quarantined && buf_printf(b, "Quarantine id: %s\n"
		    "Ask the postmaster to release it if you know it to be safe.\n\n",
		    job->name) < 0)
			goto nomem;
		if (buf_adds(b, "The dangerous content is not included in this notice.\n") < 0)
			goto nomem;
	}

	/* The admin always hears; the others not about a notice (a loop), and
	 * the null sender never. */
	if (nc->admin) {
		one[0] = (char *)nc->admin;
		if (notice_send(nc->spool, nc->host, one, 1, subj.p, body.p, body.len) < 0)
			goto fail;
		sent++;
	}
	/* One notice each: the recipients may not know of each other (Bcc). */
	for (i = 0; !notice_is_auto(msg, n) && nc->rcpts && i < e.nrcpt; i++) {
		if (notice_send(nc->spool, nc->host, &e.rcpt[i], 1, subj.p, rbody.p, rbody.len) < 0)
			goto fail;
		sent++;
	}
	if (!notice_is_auto(msg, n) && e.sender && e.sender[0] && nc->sender != SENDER_NO) {
		int local = 1;
		if (nc->sender == SENDER_LOCAL) {
			/* a table made (or remade) since we started counts */
			if (!nc->have_subs)
				nc->have_subs = table_open(&nc->subs, nc->subspath) == 0;
			else
				table_refresh(&nc->subs);
			local = nc->have_subs &&
			    table_has_address(&nc->subs, e.sender, strlen(e.sender)) == 1;
		}
		if (local) {
			one[0] = e.sender;
			if (notice_send(nc->spool, nc->host, one, 1, subj.p, body.p, body.len) < 0)
				goto fail;
			sent++;
		}
	}
	job_reason(job, "%zu notice%s: the message %s", sent, sent == 1 ? "" : "s", what);
	code = EX_PASS;
	goto out;
fail:
	job_reason(job, "unable to write a notice into %s: %s", nc->spool, strerror(errno));
	code = EX_TEMP;
	goto out;
nomem:
	job_reason(job, "out of memory");
	code = EX_TEMP;
out:
	buf_free(&verdicts);
	buf_free(&desc);
	buf_free(&body);
	buf_free(&subj);
	buf_free(&rdesc);
	buf_free(&rbody);
	env_free(&e);
	return code;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct notify nc;
	struct stage st = { .ctx = &nc, .filter = filter, .log = ms_logline };
	const char *s;

	PROG = "ms-notify";
	memset(&nc, 0, sizeof nc);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-q in -o out [-b bounce] [-j n]]");
	if (cfg_str("MS_NOTIFY_SPOOL", NULL))
		strlcpy(nc.spool, cfg_str("MS_NOTIFY_SPOOL", NULL), sizeof nc.spool);
	else if (cfg_spooldir(nc.spool, sizeof nc.spool, "out") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	nc.admin = cfg_str("MS_ADMIN", NULL);
	if (nc.admin && !env_addr_ok(nc.admin, strlen(nc.admin)))
		ms_fatal(EX_TEMP, "MS_ADMIN is not an address");
	s = cfg_str("MS_NOTIFY_RECIPIENTS", "yes");
	if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
		ms_fatal(EX_TEMP, "MS_NOTIFY_RECIPIENTS must be yes or no");
	nc.rcpts = strcmp(s, "yes") == 0;
	s = cfg_str("MS_NOTIFY_SENDER", "local");
	if (strcmp(s, "no") == 0)
		nc.sender = SENDER_NO;
	else if (strcmp(s, "local") == 0)
		nc.sender = SENDER_LOCAL;
	else if (strcmp(s, "all") == 0)
		nc.sender = SENDER_ALL;
	else
		ms_fatal(EX_TEMP, "MS_NOTIFY_SENDER must be no, local or all");
	if (control_path(nc.subspath, sizeof nc.subspath, "MS_SUBSCRIBERS", "subscribers.cdb") < 0)
		ms_fatal(EX_TEMP, "MS_SUBSCRIBERS is too long");
	nc.have_subs = table_open(&nc.subs, nc.subspath) == 0;
	cfg_hostname(nc.host, sizeof nc.host);
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
