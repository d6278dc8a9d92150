/* notice: see notice.h */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "envelope.h"
#include "header.h"
#include "maildir.h"
#include "notice.h"

static int
field(const char *msg, size_t n, const char *name, struct buf *out)
{
	struct buf v = BUF_INIT;
	struct hdr h;
	char safe[300];
	int r = 0;

	if (hdr_find(msg, n, name, &h)) {
		if (hdr_unfold(&h, &v) < 0)
			return -1;
		ms_sanitize(safe, sizeof safe, v.p ? v.p : "", v.len);
		r = buf_printf(out, "  %s: %s\n", name, safe);
	}
	buf_free(&v);
	return r;
}

int
notice_describe(const char *msg, size_t n, const struct envelope *e, int rcpts,
    struct buf *out)
{
	char safe[300];
	size_t i;

	if (e->sender) {
		ms_sanitize(safe, sizeof safe, e->sender, strlen(e->sender));
		if (buf_printf(out, "  Sender: <%s>\n", safe) < 0)
			return -1;
	}
	for (i = 0; rcpts && i < e->nrcpt && i < 20; i++) {
		ms_sanitize(safe, sizeof safe, e->rcpt[i], strlen(e->rcpt[i]));
		if (buf_printf(out, "  Recipient: <%s>\n", safe) < 0)
			return -1;
	}
	if (rcpts && i < e->nrcpt && buf_printf(out, "  (and %zu more recipients)\n", e->nrcpt - i) < 0)
		return -1;
	if (field(msg, n, "Subject", out) < 0 || field(msg, n, "Message-ID", out) < 0 ||
	    field(msg, n, "Date", out) < 0)
		return -1;
	return 0;
}

int
notice_is_auto(const char *msg, size_t n)
{
	struct buf v = BUF_INIT;
	struct hdr h;
	int r = 0;

	if (hdr_find(msg, n, "Auto-Submitted", &h) && hdr_unfold(&h, &v) == 0)
		r = !(v.len == 2 && strncasecmp(v.p, "no", 2) == 0);
	buf_free(&v);
	return r;
}

int
notice_send(const char *spooldir, const char *host, char *const *to, size_t nto,
    const char *subject, const char *body, size_t bodylen)
{
	char date[64], name[NAME_MAX + 1], safe[200];
	struct buf m = BUF_INIT;
	struct maildir md;
	struct iovec iov;
	time_t now = time(NULL);
	size_t i;
	int r = -1, e;

	if (nto == 0)
		return 0;
	hdr_date(date, sizeof date);
	ms_sanitize(safe, sizeof safe, subject, strlen(subject));
	if (buf_adds(&m, "Return-Path: <>\n") < 0)
		goto out;
	for (i = 0; i < nto; i++)
		if (buf_printf(&m, "X-Mailscan-Rcpt: <%s>\n", to[i]) < 0)
			goto out;
	if (buf_printf(&m, "From: Mail Scanner <MAILER-DAEMON@%s>\nTo: ", host) < 0)
		goto out;
	for (i = 0; i < nto; i++)
		if (buf_printf(&m, "%s<%s>", i ? ",\n\t" : "", to[i]) < 0)
			goto out;
	if (buf_printf(&m, "\nSubject: %s\nDate: %s\nMessage-ID: <%lld.%u.notice@%s>\n"
	    "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n",
	    safe, date, (long long)now, arc4random(), host) < 0 ||
	    buf_add(&m, body, bodylen) < 0)
		goto out;
	iov.iov_base = m.p;
	iov.iov_len = m.len;
	if (maildir_open(&md, spooldir, MD_CREATE) < 0)
		goto out;
	r = maildir_deliver(&md, &iov, 1, name, sizeof name);
	e = errno;
	maildir_close(&md);
	errno = e;
out:
	buf_free(&m);
	return r;
}
