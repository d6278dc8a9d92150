/* dsn: see dsn.h */
#include <sys/uio.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "dsn.h"
#include "envelope.h"
#include "header.h"
#include "maildir.h"

static void
enhanced(const char *why, char *st, size_t stsz, int perm)
{
	const char *p = why;

	/* the first "d.d.d" in the text, else a generic one */
	for (; *p; p++) {
		if ((p[0] == '4' || p[0] == '5') && p[1] == '.' && isdigit((unsigned char)p[2]) &&
		    (p == why || p[-1] == ' ')) {
			size_t l = strspn(p, "0123456789.");
			if (l < stsz && l >= 5) {
				memcpy(st, p, l);
				st[l] = '\0';
				st[0] = perm ? '5' : st[0];
				return;
			}
		}
	}
	strlcpy(st, perm ? "5.0.0" : "4.0.0", stsz);
}

static int
drop_env(const struct hdr *h, void *arg)
{
	(void)h;
	(void)arg;
	return 0;
}

int
dsn_make(const char *host, const struct envelope *e, const struct dsn_failure *r,
    size_t nr, const char *msg, size_t len, struct buf *out)
{
	char date[64], bnd[64], st[16], safe[450];
	time_t now = time(NULL);
	size_t i, hend = hdr_end(msg, len);

	hdr_date(date, sizeof date);
	snprintf(bnd, sizeof bnd, "%lld.%u/%s", (long long)now, arc4random(), host);
	if (buf_printf(out, "Return-Path: <>\nX-Mailscan-Rcpt: <%s>\n", e->sender) < 0 ||
	    buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <%s>\nSubject: Undelivered Mail Returned to Sender\nDate: %s\n"
	    "Message-ID: <%lld.%u.dsn@%s>\nAuto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"%s\"\n\n"
	    "This is a MIME-encapsulated message.\n\n--%s\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"
	    "This is the mail system at %s.\n\n"
	    "Your message could not be delivered to the recipients below.\n"
	    "The headers of your message are attached; its body is not.\n\n",
	    host, e->sender, date, (long long)now, arc4random(), host, bnd, bnd,
	    host) < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		ms_sanitize(safe, sizeof safe, r[i].why, strlen(r[i].why));
		if (buf_printf(out, "<%s>: %s\n", r[i].addr, safe) < 0)
			return -1;
	}
	if (buf_printf(out, "\n--%s\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; %s\n", bnd, host) < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		ms_sanitize(safe, sizeof safe, r[i].why, strlen(r[i].why));
		enhanced(r[i].why, st, sizeof st, 1);
		if (buf_printf(out, "\nFinal-Recipient: rfc822; %s\nAction: failed\n"
		    "Status: %s\nDiagnostic-Code: smtp; %s\n", r[i].addr, st, safe) < 0)
			return -1;
	}
	if (buf_printf(out, "\n--%s\nContent-Type: text/rfc822-headers\n\n", bnd) < 0)
		return -1;
	/* the headers only: never an infected part */
	if (hdr_filter(msg, hend, drop_env, NULL, out) < 0)
		return -1;
	if (out->len && out->p[out->len - 1] != '\n' && buf_addc(out, '\n') < 0)
		return -1;
	return buf_printf(out, "\n--%s--\n", bnd);
}

int
dsn_queue(const char *dir, const char *host, const struct envelope *e,
    const struct dsn_failure *r, size_t nr, const char *msg, size_t len,
    char *name, size_t namesz)
{
	struct buf d = BUF_INIT;
	struct maildir md;
	struct iovec iov;
	int ok;

	if (dsn_make(host, e, r, nr, msg, len, &d) < 0)
		return -1;
	iov.iov_base = d.p;
	iov.iov_len = d.len;
	ok = maildir_open(&md, dir, MD_CREATE) == 0 &&
	    maildir_deliver(&md, &iov, 1, name, namesz) == 0;
	maildir_close(&md);
	buf_free(&d);
	return ok ? 0 : -1;
}
