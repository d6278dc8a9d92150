/* ms-smtpd: the SMTP server, one session on stdin/stdout under tcpserver.
 *
 * It writes the envelope block, a Received: field and the message (minus
 * any X-Mailscan-* field but the signed X-Mailscan-Status, and minus any
 * Return-Path) and answers 250 only once the message is on disk: written
 * into $MS_SPOOL/in by the same code as ms-queue, or handed to the chain of
 * stages in $MS_QUEUE whose last one queues it.  See ms-smtpd(8).
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "buf.h"
#include "cfg.h"
#include "chain.h"
#include "diag.h"
#include "envelope.h"
#include "header.h"
#include "io.h"
#include "maildir.h"
#include "msg.h"
#include "smtp.h"
#include "stats.h"
#include "table.h"

#define MAXLINE 1000		/* RFC 5321 4.5.3.1.4/6, with CRLF */

struct settings {
	size_t maxsize;
	unsigned maxrcpt, maxhops, maxerrors, timeout, session, queuetime;
	const char *hostname, *remoteip, *remotehost, *trust;
	const char *tlscert, *tlskey;
	char *queue;		/* $MS_QUEUE, split in place; NULL: in-process */
	char *queuealt;		/* $MS_QUEUE_ALT */
	struct chain chain, altchain;
	const char *badconf;	/* a setting that cannot be used: 421 */
	const char *subscribers;	/* $MS_SUBSCRIBERS: the table, or NULL */
	char statsdir[PATH_MAX];	/* recipient statistics (lib/stats.h) */
	unsigned window;		/* $MS_TRUST_WINDOW */
	char spooldir[PATH_MAX];
};

struct session {
	struct settings *s;
	struct io io;
	struct tls *tlsctx;
	int tls, esmtp;
	char helo[256];		/* sanitized */
	struct envelope env;
	int inmail;
	struct buf line, data, out;
	struct maildir md;
	int mdopen;
	struct table subs;
	int subsopen;
	unsigned errors;
};

/* ---- replies ---- */

static void
reply(struct session *ss, const char *text)
{
	if (io_puts(&ss->io, text) < 0 || io_puts(&ss->io, "\r\n") < 0)
		ms_fatalsys("unable to write to client");
}

static void
flush(struct session *ss)
{
	if (io_flush(&ss->io) < 0)
		ms_fatalsys("unable to write to client");
}

/* "CODE ENH text" where text came from a stage: sanitized, and its own
 * enhanced status code used when it belongs to the same class. */
static void
reply_reason(struct session *ss, const char *code, const char *enh,
    const char *why)
{
	char text[400], line[512];
	const char *t = why;

	ms_sanitize(text, sizeof text, why, strlen(why));
	t = text;
	if (t[0] == code[0] && t[1] == '.' && strspn(t + 2, "0123456789.") >= 3 &&
	    strchr(t, ' ') != NULL) {
		enh = "";	/* the stage's own x.y.z leads the text */
	}
	snprintf(line, sizeof line, "%s %s%s%s", code, enh, *enh ? " " : "", t);
	reply(ss, line);
}

/* A local failure in the middle of the session (memory, the spool):
 * 421 to the client (RFC 5321 3.8), then the diagnostic and exit 111. */
static void
fail421(struct session *ss, const char *what)
{
	int e = errno;

	ms_deadline_farewell(-1, NULL);
	if (io_puts(&ss->io, "421 4.3.0 local error, closing connection\r\n") == 0)
		(void)io_flush(&ss->io);
	errno = e;
	ms_fatalsys("%s", what);
}

static void
bad(struct session *ss, const char *text)
{
	reply(ss, text);
	if (++ss->errors >= ss->s->maxerrors) {
		reply(ss, "421 4.7.0 too many errors, closing connection");
		flush(ss);
		ms_info("%s: too many errors, disconnected", ss->s->remoteip);
		exit(EX_PASS);
	}
}

/* ---- transaction ---- */

static void
reset(struct session *ss)
{
	env_free(&ss->env);
	ss->inmail = 0;
}


/* The spool file: envelope block, Received:, the filtered message. */
static int
build(struct session *ss)
{
	struct settings *s = ss->s;
	struct buf rcvd = BUF_INIT;
	char host[300], date[64];
	int r = -1;

	buf_reset(&ss->out);
	ms_sanitize(host, sizeof host, s->remotehost, strlen(s->remotehost));
	if (buf_printf(&rcvd, "Received: from %s (%s [%s])\n\tby %s (mailscan) with %s",
	    ss->helo[0] ? ss->helo : "unknown", host, s->remoteip, s->hostname,
	    ss->tls ? "ESMTPS" : ss->esmtp ? "ESMTP" : "SMTP") < 0)
		goto out;
	if (ss->env.nrcpt == 1 &&
	    buf_printf(&rcvd, "\n\tfor <%s>", ss->env.rcpt[0]) < 0)
		goto out;
	if (buf_printf(&rcvd, ";\n\t%s\n", hdr_date(date, sizeof date)) < 0 ||
	    buf_cstr(&rcvd) == NULL)
		goto out;
	r = env_accept(&ss->env, rcvd.p, ss->data.p, ss->data.len, &ss->out);
out:
	buf_free(&rcvd);
	return r;
}

/* ---- the MS_QUEUE chain ---- */

/* Hand the message to the chain; 0, 100 or 111 as the reply should be. */
static int
run_chain(struct session *ss, char *why, size_t whysz)
{
	struct settings *s = ss->s;
	struct chain_opts o = { .timeout = s->queuetime, .maxout = s->maxsize + (1 << 20) };
	struct buf out = BUF_INIT, alt = BUF_INIT;
	int code, at;

	code = chain_run(&s->chain, ss->out.p, ss->out.len, &o, &out, why, whysz, &at);
	if (code == EX_PASS && out.len) {
		/* A last stage that writes the message out has not queued it
		 * (MS_QUEUE="cat"): saying 250 would lose it. */
		ms_warn("the last stage of MS_QUEUE, %s, wrote the message to its output "
		    "instead of queueing it: end the chain with ms-queue", at >= 0 ?
		    s->chain.argv[s->chain.n - 1][0] : "?");
		snprintf(why, whysz, "last stage did not queue the message");
		code = EX_TEMP;
	} else if (code == EX_PASS)
		snprintf(why, whysz, "queued by MS_QUEUE");
	else if (code == EX_ALT && s->altchain.n == 0) {
		ms_info("%s: %s", s->chain.argv[at][0], why);
		snprintf(why, whysz, "5.7.1 message refused");
		code = EX_PERM;
	} else if (code == EX_ALT) {
		/* the alternate chain takes what the stage wrote */
		code = chain_run(&s->altchain, out.p, out.len, &o, &alt, why, whysz, &at);
		if (code == EX_PASS)
			snprintf(why, whysz, "queued by MS_QUEUE_ALT");
	}
	if (code == EX_DONE)
		code = EX_PASS;
	if (code != EX_PASS && code != EX_PERM) {
		/* The client hears a stage's reason only when the stage meant
		 * it for a client (an x.y.z code of class 4); the rest is
		 * logged: paths and system errors are not its business. */
		if (!(why[0] == '4' && why[1] == '.')) {
			ms_warn("deferred by the chain: %s", why);
			snprintf(why, whysz, "4.3.0 temporary failure, try again later");
		}
		code = EX_TEMP;
	}
	buf_free(&out);
	buf_free(&alt);
	return code;
}

/* ---- DATA ---- */

/* Read the message up to CRLF.CRLF into ss->data: CRLF becomes LF, a
 * leading dot is removed.  Bare LF ends a line too, but only CRLF "."
 * CRLF ends the data (see ms-smtpd(8), BARE LINE FEEDS).  Returns 0, or
 * -1 when the data outgrew maxsize (it was read to the end and dropped). */
static int
read_data(struct session *ss)
{
	size_t start, l, max = ss->s->maxsize;
	int toolong, r, crlf = 1, toobig = 0;
	char *p;

	buf_reset(&ss->data);
	for (;;) {
		start = ss->data.len;
		/* Once too big, keep just enough of each line to see the end. */
		r = io_getline(&ss->io, &ss->data, toobig ? 3 : max + 2 - start, &toolong);
		if (r < 0) {
			if (errno == ETIMEDOUT) {
				reply(ss, "421 4.4.2 timeout reading data, closing connection");
				flush(ss);
				ms_fatal(EX_PASS, "%s: timeout reading data, nothing queued",
				    ss->s->remoteip);
			}
			ms_fatalsys("%s: unable to read data", ss->s->remoteip);
		}
		if (r == 0)
			ms_fatal(EX_PASS, "%s: disconnected during data, nothing queued",
			    ss->s->remoteip);
		p = ss->data.p + start;
		l = ss->data.len - start;
		if (crlf && !toolong && l == 3 && p[0] == '.' && p[1] == '\r' && p[2] == '\n') {
			ss->data.len = start;
			return toobig ? -1 : 0;
		}
		if (toolong || toobig) {
			crlf = ss->io.crlf;
			toobig = 1;
			ss->data.len = 0;
			continue;
		}
		crlf = l >= 2 && p[l - 2] == '\r' && p[l - 1] == '\n';
		if (crlf) {
			p[l - 2] = '\n';
			ss->data.len--;
			l--;
		}
		if (p[0] == '.') {
			memmove(p, p + 1, l - 1);
			ss->data.len--;
		}
		if (ss->data.len > max) {
			toobig = 1;
			ss->data.len = 0;
		}
	}
}

static void
smtp_data(struct session *ss)
{
	struct settings *s = ss->s;
	char why[512], name[NAME_MAX + 1], sender[128];
	struct iovec iov;
	size_t hops;
	int code;

	if (!ss->inmail) {
		bad(ss, "503 5.5.1 MAIL first");
		return;
	}
	if (ss->env.nrcpt == 0) {
		bad(ss, "554 5.5.1 no valid recipients");
		return;
	}
	reply(ss, "354 go ahead, end with <CRLF>.<CRLF>");
	flush(ss);
	ms_sanitize(sender, sizeof sender, ss->env.sender, strlen(ss->env.sender));
	if (read_data(ss) < 0) {
		reply(ss, "552 5.3.4 message too big");
		ms_info("%s: rejected from <%s>: larger than MS_MAXSIZE", s->remoteip, sender);
		reset(ss);
		return;
	}
	hops = hdr_count(ss->data.p ? ss->data.p : "", ss->data.len, "Received");
	if (hops > s->maxhops) {
		reply(ss, "554 5.4.6 too many hops, this message is looping");
		ms_info("%s: rejected from <%s>: %zu hops", s->remoteip, sender, hops);
		reset(ss);
		return;
	}
	if (build(ss) < 0)
		fail421(ss, "unable to build message");
	if (ss->out.len > s->maxsize) {
		reply(ss, "552 5.3.4 message too big");
		ms_info("%s: rejected from <%s>: larger than MS_MAXSIZE", s->remoteip, sender);
		reset(ss);
		return;
	}
	why[0] = '\0';
	if (s->queue == NULL) {
		if (!ss->mdopen) {
			if (maildir_open(&ss->md, s->spooldir, MD_CREATE) < 0) {
				ms_warnsys("unable to open spool %s", s->spooldir);
				snprintf(why, sizeof why, "4.3.0 unable to queue the message");
				code = EX_TEMP;
				goto done;
			}
			ss->mdopen = 1;
		}
		iov.iov_base = ss->out.p;
		iov.iov_len = ss->out.len;
		if (maildir_deliver(&ss->md, &iov, 1, name, sizeof name) < 0) {
			ms_warnsys("unable to write to spool %s", s->spooldir);
			snprintf(why, sizeof why, "4.3.0 unable to queue the message");
			code = EX_TEMP;
		} else {
			code = EX_PASS;
			snprintf(why, sizeof why, "queued as %s", name);
		}
	} else
		code = run_chain(ss, why, sizeof why);
done:
	switch (code) {
	case EX_PASS:
		reply(ss, "250 2.0.0 ok: queued");
		ms_info("%s: accepted from <%s> for %zu recipient%s, %zu bytes: %s",
		    s->remoteip, sender, ss->env.nrcpt, ss->env.nrcpt == 1 ? "" : "s",
		    ss->data.len, why[0] ? why : "queued");
		break;
	case EX_PERM:
		reply_reason(ss, "554", "5.6.0", why[0] ? why : "message refused");
		ms_info("%s: refused from <%s>: %s", s->remoteip, sender, why);
		break;
	default:
		reply_reason(ss, "451", "4.3.0", why[0] ? why : "temporary failure");
		ms_warn("%s: deferred from <%s>: %s", s->remoteip, sender, why);
		break;
	}
	reset(ss);
}

/* ---- commands ---- */

static int s_client(struct session *);

static void
smtp_helo(struct session *ss, const struct smtp_cmd *c, int ehlo)
{
	struct settings *s = ss->s;
	char line[512];

	reset(ss);
	ms_sanitize(ss->helo, sizeof ss->helo, c->arg, c->arglen);
	/* Spaces would split the X-Mailscan-Client field: "ip helo". */
	for (char *p = ss->helo; *p; p++)
		if (*p == ' ' || *p == '(' || *p == ')')
			*p = '?';
	ss->esmtp = ehlo;
	if (!ehlo) {
		snprintf(line, sizeof line, "250 %s", s->hostname);
		reply(ss, line);
		return;
	}
	snprintf(line, sizeof line, "250-%s", s->hostname);
	reply(ss, line);
	reply(ss, "250-PIPELINING");
	snprintf(line, sizeof line, "250-SIZE %zu", s->maxsize);
	reply(ss, line);
	reply(ss, "250-8BITMIME");
	if (s->tlscert && !ss->tls)
		reply(ss, "250-STARTTLS");
	reply(ss, "250 ENHANCEDSTATUSCODES");
}

static void
smtp_mail(struct session *ss, const struct smtp_cmd *c)
{
	const char *v;
	size_t vl, i;
	unsigned long long size = 0;

	if (ss->inmail) {
		bad(ss, "503 5.5.1 nested MAIL command");
		return;
	}
	/* Parameters: only the ones we announced. */
	for (i = 0; i < c->paramslen;) {
		size_t s = i, e;
		while (i < c->paramslen && c->params[i] != ' ')
			i++;
		e = i;
		while (i < c->paramslen && c->params[i] == ' ')
			i++;
		if ((e - s >= 5 && strncasecmp(c->params + s, "SIZE=", 5) == 0) ||
		    (e - s >= 5 && strncasecmp(c->params + s, "BODY=", 5) == 0))
			continue;
		bad(ss, "555 5.5.4 unsupported MAIL parameter");
		return;
	}
	if (smtp_param(c->params, c->paramslen, "SIZE", &v, &vl)) {
		int toobig = 0;
		for (i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				break;
			if (size > ss->s->maxsize)
				toobig = 1;	/* keep checking the syntax only */
			else
				size = size * 10 + (unsigned)(v[i] - '0');
		}
		if (vl == 0 || i < vl) {
			bad(ss, "501 5.5.4 bad SIZE parameter");
			return;
		}
		if (toobig || size > ss->s->maxsize) {
			reply(ss, "552 5.3.4 message too big");
			return;
		}
	}
	if (smtp_param(c->params, c->paramslen, "BODY", &v, &vl) &&
	    !(vl == 4 && strncasecmp(v, "7BIT", 4) == 0) &&
	    !(vl == 8 && strncasecmp(v, "8BITMIME", 8) == 0)) {
		bad(ss, "501 5.5.4 BODY must be 7BIT or 8BITMIME");
		return;
	}
	env_init(&ss->env);
	if (env_set_sender(&ss->env, c->addr, c->addrlen) < 0) {
		bad(ss, "553 5.1.7 bad sender address");
		return;
	}
	if (s_client(ss) < 0)
		fail421(ss, "unable to record client");
	ss->inmail = 1;
	reply(ss, "250 2.1.0 sender ok");
}

static void
smtp_rcpt(struct session *ss, const struct smtp_cmd *c)
{
	if (!ss->inmail) {
		bad(ss, "503 5.5.1 MAIL first");
		return;
	}
	if (c->paramslen) {
		bad(ss, "555 5.5.4 unsupported RCPT parameter");
		return;
	}
	if (c->addrlen == 0) {
		bad(ss, "553 5.1.3 empty recipient address");
		return;
	}
	if (ss->env.nrcpt >= ss->s->maxrcpt) {
		reply(ss, "452 4.5.3 too many recipients");
		return;
	}
	if (ss->s->subscribers && !(c->addrlen == 10 &&
	    strncasecmp(c->addr, "postmaster", 10) == 0)) {
		/* Refused now, not bounced later: no backscatter.  Plain
		 * "postmaster" is always taken (RFC 5321 4.5.1). */
		int known = -1;
		if (ss->subsopen || table_open(&ss->subs, ss->s->subscribers) == 0) {
			ss->subsopen = 1;
			known = table_has_address(&ss->subs, c->addr, c->addrlen);
		}
		if (known < 0) {
			ms_warnsys("unable to look up %s", ss->s->subscribers);
			reply(ss, "451 4.3.0 unable to check the recipient, try again later");
			return;
		}
		/* for ms-trust: how often this client names unknown recipients */
		if (ss->s->statsdir[0] && strcmp(ss->s->remoteip, "unknown") != 0 &&
		    stats_add(ss->s->statsdir, ss->s->remoteip, known, !known,
		    ss->s->window) < 0)
			ms_warnsys("unable to record recipient statistics in %s", ss->s->statsdir);
		if (known == 0) {
			char a[128];
			ms_info("%s: refused <%s>: not a subscriber", ss->s->remoteip,
			    ms_sanitize(a, sizeof a, c->addr, c->addrlen));
			bad(ss, "550 5.1.1 recipient not served here");
			return;
		}
	}
	if (env_add_rcpt(&ss->env, c->addr, c->addrlen) < 0) {
		if (errno == EBADMSG)
			bad(ss, "553 5.1.3 bad recipient address");
		else
			fail421(ss, "unable to record recipient");
		return;
	}
	reply(ss, "250 2.1.5 recipient ok");
}

static void
smtp_starttls(struct session *ss)
{
	struct tls_config *cfg;

	if (ss->s->tlscert == NULL || ss->tls) {
		bad(ss, "502 5.5.1 STARTTLS not available");
		return;
	}
	if (ss->tlsctx == NULL) {
		if (tls_init() < 0 || (cfg = tls_config_new()) == NULL ||
		    tls_config_set_cert_file(cfg, ss->s->tlscert) < 0 ||
		    tls_config_set_key_file(cfg, ss->s->tlskey) < 0 ||
		    (ss->tlsctx = tls_server()) == NULL ||
		    tls_configure(ss->tlsctx, cfg) < 0) {
			ms_warn("unable to set up TLS with %s and %s", ss->s->tlscert,
			    ss->s->tlskey);
			reply(ss, "454 4.7.0 TLS not available");
			return;
		}
	}
	reply(ss, "220 2.0.0 ready to start TLS");
	flush(ss);
	/* From here a plain line would break the handshake or the session. */
	ms_deadline_farewell(-1, NULL);
	/* Whatever the client pipelined after STARTTLS came in the clear:
	 * it must not be taken as said under TLS (CVE-2011-0411). */
	if (io_starttls_server(&ss->io, ss->tlsctx) < 0)
		ms_fatal(EX_PASS, "%s: TLS handshake failed: %s", ss->s->remoteip,
		    io_tlserror(&ss->io));
	ss->tls = 1;
	/* RFC 3207 4.2: forget everything said before. */
	reset(ss);
	ss->helo[0] = '\0';
	ss->esmtp = 0;
}

static int
s_client(struct session *ss)
{
	struct buf c = BUF_INIT;
	int r;

	if (buf_printf(&c, "%s %s", ss->s->remoteip, ss->helo[0] ? ss->helo : "unknown") < 0)
		return -1;
	r = env_set(&ss->env.client, c.p, c.len);
	buf_free(&c);
	if (r == 0 && ss->s->trust)
		r = env_set(&ss->env.trust, ss->s->trust, strlen(ss->s->trust));
	return r;
}

static void
session(struct session *ss)
{
	struct smtp_cmd c;
	char line[512];
	int toolong, r;

	if (ss->s->badconf) {
		ms_warn("%s is malformed (more than %d stages, more than %d words in one, "
		    "or an empty one): refusing mail", ss->s->badconf, CHAIN_MAXSTAGES,
		    CHAIN_MAXARGS);
		reply(ss, "421 4.3.5 mail system configuration error, try again later");
		flush(ss);
		return;
	}
	snprintf(line, sizeof line, "220 %s ESMTP mailscan", ss->s->hostname);
	reply(ss, line);
	for (;;) {
		/* PIPELINING: answer in one write once the client waits. */
		if (io_pending(&ss->io) == 0)
			flush(ss);
		buf_reset(&ss->line);
		r = io_getline(&ss->io, &ss->line, MAXLINE, &toolong);
		if (r < 0) {
			if (errno == ETIMEDOUT) {
				reply(ss, "421 4.4.2 timeout, closing connection");
				flush(ss);
				ms_fatal(EX_PASS, "%s: timeout", ss->s->remoteip);
			}
			ms_fatalsys("%s: unable to read command", ss->s->remoteip);
		}
		if (r == 0)
			return;
		if (toolong) {
			bad(ss, "500 5.5.2 line too long");
			continue;
		}
		switch (smtp_parse(ss->line.p, ss->line.len, &c)) {
		case SMTP_OK:
			break;
		case SMTP_EADDR:
			bad(ss, c.verb == SMTP_MAIL ? "553 5.1.7 bad sender address"
			    : "553 5.1.3 bad recipient address");
			continue;
		default:
			bad(ss, c.verb == SMTP_UNKNOWN ? "500 5.5.1 command unrecognized"
			    : "501 5.5.4 syntax error in parameters or arguments");
			continue;
		}
		switch (c.verb) {
		case SMTP_HELO: smtp_helo(ss, &c, 0); break;
		case SMTP_EHLO: smtp_helo(ss, &c, 1); break;
		case SMTP_MAIL: smtp_mail(ss, &c); break;
		case SMTP_RCPT: smtp_rcpt(ss, &c); break;
		case SMTP_DATA: smtp_data(ss); break;
		case SMTP_RSET: reset(ss); reply(ss, "250 2.0.0 ok"); break;
		case SMTP_NOOP: reply(ss, "250 2.0.0 ok"); break;
		case SMTP_VRFY:
			reply(ss, "252 2.0.0 cannot VRFY, but will take a message for this address");
			break;
		case SMTP_HELP:
			reply(ss, ss->s->tlscert && !ss->tls ?
			    "214 2.0.0 see RFC 5321; commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS" :
			    "214 2.0.0 see RFC 5321; commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
			break;
		case SMTP_STARTTLS: smtp_starttls(ss); break;
		case SMTP_QUIT:
			ms_deadline_farewell(-1, NULL);
			reply(ss, "221 2.0.0 bye");
			flush(ss);
			return;
		default:	/* EXPN, AUTH, BDAT: not offered */
			bad(ss, "502 5.5.1 command not implemented");
			break;
		}
	}
}

/* A setting that cannot be used: 421 before any greeting (RFC 5321 3.8;
 * nothing has been said on the connection yet, so a plain write), then
 * the diagnostic and exit 111. */
static void
refuse(int sys, const char *what)
{
	static const char no[] = "421 4.3.5 mail system configuration error, try again later\r\n";
	int e = errno;

	(void)!write(1, no, sizeof no - 1);
	if (sys) {
		errno = e;
		ms_fatalsys("%s", what);
	}
	ms_fatal(EX_TEMP, "%s", what);
}

static void
settings(struct settings *s)
{
	static char host[256];
	const char *q;

	memset(s, 0, sizeof *s);
	if (cfg_size("MS_MAXSIZE", MS_MAXSIZE_DEFAULT, &s->maxsize) < 0)
		refuse(0, "unable to parse MS_MAXSIZE");
	if (cfg_uint("MS_MAXRCPT", 1000, &s->maxrcpt) < 0 ||
	    cfg_uint("MS_MAXHOPS", 100, &s->maxhops) < 0 ||
	    cfg_uint("MS_MAXERRORS", 20, &s->maxerrors) < 0 ||
	    cfg_uint("MS_TIMEOUT", 300, &s->timeout) < 0 ||
	    cfg_uint("MS_SESSION_TIMEOUT", 3600, &s->session) < 0 ||
	    cfg_uint("MS_QUEUE_TIMEOUT", 600, &s->queuetime) < 0)
		refuse(0, "unable to parse a numeric setting "
		    "(MS_MAXRCPT, MS_MAXHOPS, MS_MAXERRORS, MS_TIMEOUT, "
		    "MS_SESSION_TIMEOUT, MS_QUEUE_TIMEOUT)");
	if (s->maxerrors == 0)
		s->maxerrors = 1;
	s->hostname = cfg_str("MS_HOSTNAME", cfg_str("TCPLOCALHOST", NULL));
	if (s->hostname == NULL) {
		if (gethostname(host, sizeof host) < 0)
			strlcpy(host, "localhost", sizeof host);
		host[sizeof host - 1] = '\0';
		s->hostname = host;
	}
	s->remoteip = cfg_str("TCPREMOTEIP", "unknown");
	if (!env_addr_ok(s->remoteip, strlen(s->remoteip)) ||
	    strpbrk(s->remoteip, " \t") != NULL)
		s->remoteip = "unknown";
	s->remotehost = cfg_str("TCPREMOTEHOST", "unknown");
	s->trust = cfg_str("MS_TRUST", NULL);
	s->subscribers = cfg_str("MS_SUBSCRIBERS", NULL);
	if (s->subscribers && stats_dir(s->statsdir, sizeof s->statsdir) < 0)
		s->statsdir[0] = '\0';
	if (cfg_uint("MS_TRUST_WINDOW", 86400, &s->window) < 0)
		refuse(0, "unable to parse MS_TRUST_WINDOW");
	if (s->trust && (!env_addr_ok(s->trust, strlen(s->trust)) || strchr(s->trust, ' ')))
		refuse(0, "MS_TRUST is not a single word");
	s->tlscert = cfg_str("MS_TLSCERT", NULL);
	s->tlskey = cfg_str("MS_TLSKEY", s->tlscert);
	if (s->tlscert && (access(s->tlscert, R_OK) < 0 || access(s->tlskey, R_OK) < 0)) {
		ms_warnsys("unable to read MS_TLSCERT or MS_TLSKEY: STARTTLS not offered");
		s->tlscert = NULL;
	}
	if ((q = cfg_str("MS_QUEUE", NULL)) != NULL && (s->queue = strdup(q)) == NULL)
		refuse(1, "unable to copy MS_QUEUE");
	if ((q = cfg_str("MS_QUEUE_ALT", NULL)) != NULL && (s->queuealt = strdup(q)) == NULL)
		refuse(1, "unable to copy MS_QUEUE_ALT");
	if (s->queue && chain_parse(&s->chain, s->queue) < 0)
		s->badconf = "MS_QUEUE";
	if (s->queuealt && chain_parse(&s->altchain, s->queuealt) < 0)
		s->badconf = "MS_QUEUE_ALT";
	if (cfg_spooldir(s->spooldir, sizeof s->spooldir, "in") < 0)
		refuse(0, "MS_SPOOL is too long");
}

int
main(int argc, char **argv)
{
	struct settings s;
	struct session ss;

	PROG = "ms-smtpd";
	(void)argv;
	if (argc != 1)
		ms_usage("(run by tcpserver; settings from the environment)");
	signal(SIGPIPE, SIG_IGN);
	settings(&s);
	memset(&ss, 0, sizeof ss);
	ss.s = &s;
	/* Encrypted by whoever handed us the connection (an s6-tlsd-style
	 * proxy, ms-forwardreq under TLS): no STARTTLS, ESMTPS in Received. */
	ss.tls = cfg_str("SSL_PROTOCOL", "")[0] != '\0';
	env_init(&ss.env);
	io_init(&ss.io, 0, 1, s.timeout);
	ms_deadline(s.session, "SMTP session (MS_SESSION_TIMEOUT)");
	ms_deadline_farewell(1, "421 4.4.2 session time limit reached, closing connection\r\n");
	session(&ss);
	return EX_PASS;
}
