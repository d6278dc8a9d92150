/* ms-forwardd: the scanning group's side of the forward request, under
 * tcpserver.  A gateway on a dynamic address cannot be an MX: the group
 * holds its domain's mail in $MS_SPOOL/hold/DOMAIN until the gateway asks.
 *
 *   ms-forwardd           one request line "FORWARD domain addr port time
 *                         nonce mac" (see lib/fwd.h); when it is good, the
 *                         held mail goes to addr:port by ms-relay, now.
 *   ms-forwardd -m odmr   On-Demand Mail Relay (RFC 2645): the gateway
 *                         authenticates (AUTH PLAIN, user = domain, password
 *                         = the domain's key), says ATRN, the roles turn and
 *                         the held mail is delivered over the same
 *                         connection.  With MS_TLSCERT, STARTTLS
 *                         (RFC 3207) comes first and AUTH is taken only
 *                         under TLS; the delivery runs in the same
 *                         TLS session.
 *
 * Keys: $MS_ETC/forward/DOMAIN.  See ms-forwardd(8).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "base64.h"
#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "dsn.h"
#include "envelope.h"
#include "fwd.h"
#include "io.h"
#include "maildir.h"
#include "msg.h"
#include "smtpc.h"
#include "spool.h"

struct fwdd {
	struct io io;
	const char *remoteip;
	char host[256];
	unsigned skew, timeout, lifetime;
	char spool[PATH_MAX];
	const char *tlscert, *tlskey;	/* ODMR: MS_TLSCERT, MS_TLSKEY */
	struct tls *tlssrv;		/* their server context; NULL: no TLS */
};

/* ---- common ---- */

static void
say(struct fwdd *f, const char *line)
{
	if (io_puts(&f->io, line) < 0 || io_puts(&f->io, "\r\n") < 0 || io_flush(&f->io) < 0)
		ms_fatalsys("unable to write to the client");
}

static size_t
held(struct fwdd *f, const char *domain, char *dir, size_t dirsz)
{
	char p[PATH_MAX];
	struct dirent *d;
	size_t n = 0;
	DIR *dd;

	snprintf(dir, dirsz, "%s/hold/%s", f->spool, domain);
	snprintf(p, sizeof p, "%s/new", dir);
	if ((dd = opendir(p)) == NULL)
		return 0;
	while ((d = readdir(dd)) != NULL)
		n += d->d_name[0] != '.';
	closedir(dd);
	return n;
}

/* ---- the forward request ---- */

/* Seen nonces, "time nonce" per line, pruned to the skew window, under a
 * lock: a replayed request is refused. 1 fresh, 0 replayed, -1 error. */
static int
nonce_fresh(struct fwdd *f, const struct fwd_req *r)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], lock[PATH_MAX];
	long long now = (long long)time(NULL), t;
	struct buf keep = BUF_INIT;
	struct msg m;
	size_t i = 0, s;
	int lfd, fd, fresh = 1;
	char nonce[80];

	snprintf(dir, sizeof dir, "%s/forward", f->spool);
	/* dot names: no domain can have them (fwd_parse refuses a leading
	 * dot), so they never collide with a domain's address file */
	snprintf(path, sizeof path, "%s/.nonces", dir);
	snprintf(tmp, sizeof tmp, "%s/.nonces.tmp", dir);
	snprintf(lock, sizeof lock, "%s/.lock", dir);
	if (mkdir_p(dir, 0700) < 0 || (lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (flock(lfd, LOCK_EX) < 0) {
		close(lfd);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (msg_load(fd, 4 << 20, &m) == 0) {
			while (i < m.len) {
				s = i;
				while (i < m.len && m.p[i] != '\n')
					i++;
				if (sscanf(m.p + s, "%lld %64s", &t, nonce) == 2 &&
				    now - t <= (long long)f->skew * 2) {
					if (strcmp(nonce, r->nonce) == 0)
						fresh = 0;
					buf_add(&keep, m.p + s, i - s);
					buf_addc(&keep, '\n');
				}
				i++;
			}
			msg_free(&m);
		}
		close(fd);
	}
	if (fresh) {
		buf_printf(&keep, "%lld %s\n", r->t, r->nonce);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
		    write_all(fd, keep.p, keep.len) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
		    rename(tmp, path) < 0)
			fresh = -1;
	}
	buf_free(&keep);
	close(lfd);
	return fresh;
}

static int
forward(struct fwdd *f)
{
	struct buf line = BUF_INIT, text = BUF_INIT;
	struct fwd_req r;
	char key[FWD_KEYMAX + 1], mac[65], dir[PATH_MAX], route[200], path[PATH_MAX], rep[300];
	size_t keylen = 0, n;
	long long skew;
	int toolong, known, fresh, fd;
	pid_t pid;

	if (io_getline(&f->io, &line, 1000, &toolong) <= 0 || toolong) {
		ms_warn("%s: no request line", f->remoteip);
		say(f, "NO malformed request");
		return EX_PASS;
	}
	if (fwd_parse(line.p, line.len, &r) < 0) {
		ms_warn("%s: malformed request", f->remoteip);
		say(f, "NO malformed request");
		return EX_PASS;
	}
	/* Unknown domain or bad MAC: one answer, and the same work for both,
	 * so that nobody learns which domains exist. */
	if ((known = fwd_key(r.domain, key, sizeof key, &keylen)) < 0) {
		ms_warnsys("%s: unable to read the key of %s", f->remoteip, r.domain);
		say(f, "TEMP try again later");
		return EX_PASS;
	}
	if (!known) {
		strlcpy(key, "no such domain: a key nobody has", sizeof key);
		keylen = strlen(key);
	}
	if (fwd_text(&r, &text) < 0 || fwd_mac(key, keylen, text.p, text.len, mac) < 0)
		ms_fatal(EX_TEMP, "unable to compute a MAC");
	explicit_bzero(key, sizeof key);
	if (!fwd_mac_equal(mac, r.mac) || !known) {
		ms_warn("%s: refused a request for %s: %s", f->remoteip, r.domain,
		    known ? "bad MAC" : "unknown domain");
		say(f, "NO not authenticated");
		return EX_PASS;
	}
	skew = (long long)time(NULL) - r.t;
	if (skew > (long long)f->skew || -skew > (long long)f->skew) {
		ms_warn("%s: refused a request for %s: clock skew %lld s", f->remoteip, r.domain, skew);
		snprintf(rep, sizeof rep, "NO clock skew of %lld seconds (MS_FORWARD_SKEW %u)",
		    skew, f->skew);
		say(f, rep);
		return EX_PASS;
	}
	if ((fresh = nonce_fresh(f, &r)) <= 0) {
		ms_warn("%s: refused a request for %s: %s", f->remoteip, r.domain,
		    fresh == 0 ? "replayed" : "unable to record its nonce");
		say(f, fresh == 0 ? "NO replayed request" : "TEMP try again later");
		return EX_PASS;
	}
	if (strcmp(r.addr, "-") == 0)
		strlcpy(r.addr, f->remoteip, sizeof r.addr);
	/* Where the gateway is now, for the record. */
	snprintf(path, sizeof path, "%s/forward/%s", f->spool, r.domain);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0) {
		char l[200];
		int k = snprintf(l, sizeof l, "%s %u %lld\n", r.addr, r.port, (long long)time(NULL));
		(void)!write(fd, l, (size_t)k);
		close(fd);
	}
	n = held(f, r.domain, dir, sizeof dir);
	ms_info("%s: forward request for %s: %zu held message%s to %s port %u", f->remoteip,
	    r.domain, n, n == 1 ? "" : "s", r.addr, r.port);
	snprintf(rep, sizeof rep, "OK %zu held message%s go%s to %s port %u now", n,
	    n == 1 ? "" : "s", n == 1 ? "es" : "", r.addr, r.port);
	say(f, rep);
	if (n == 0)
		return EX_PASS;
	/* The relay delivers them, detached from this connection: one pass
	 * over the hold spool, due or not; what fails stays held. */
	snprintf(route, sizeof route, strchr(r.addr, ':') ? "smtp:[%s]:%u" : "smtp:%s:%u",
	    r.addr, r.port);
	if ((pid = fork()) < 0)
		ms_fatalsys("unable to fork");
	if (pid == 0) {
		char out[PATH_MAX];
		int nul;
		if (fork() != 0)
			_exit(0);
		setsid();
		if ((nul = open("/dev/null", O_RDWR)) >= 0) {
			dup2(nul, 0);
			dup2(2, 1);
		}
		snprintf(out, sizeof out, "%s/out", f->spool);
		setenv("MS_ROUTE", route, 1);
		execlp("ms-relay", "ms-relay", "-1", "-q", dir, "-o", out, (char *)NULL);
		ms_fatalsys("unable to run ms-relay");
	}
	waitpid(pid, NULL, 0);
	return EX_PASS;
}

/* ---- ODMR ---- */

struct odmr {
	struct fwdd *f;
	struct smtpc c;
	int lost;
};

static int
odmr_filter(void *ctx, struct job *job)
{
	struct odmr *o = ctx;
	struct envelope e, k;
	struct smtpc_rcpt *r;
	struct dsn_failure *fl;
	char *fate;
	char dsn[NAME_MAX + 1], out[PATH_MAX];
	size_t off, i, done = 0, perm = 0, temp = 0, nf = 0;
	long long born = strtoll(job->name, NULL, 10);
	int expired = born > 0 && (long long)time(NULL) - born > (long long)o->f->lifetime;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 || e.sender == NULL ||
	    e.nrcpt == 0) {
		env_free(&e);
		job_reason(job, "5.6.0 malformed envelope block");
		return EX_PERM;
	}
	r = calloc(e.nrcpt, sizeof *r);
	fl = calloc(e.nrcpt, sizeof *fl);
	fate = calloc(e.nrcpt, 1);
	if (r == NULL || fl == NULL || fate == NULL) {
		free(r);
		free(fl);
		free(fate);
		env_free(&e);
		job_reason(job, "out of memory");
		return EX_TEMP;
	}
	for (i = 0; i < e.nrcpt; i++)
		r[i].addr = e.rcpt[i];
	if (o->lost) {
		for (i = 0; i < e.nrcpt; i++) {
			r[i].code = -1;
			snprintf(r[i].why, sizeof r[i].why, "the ODMR connection is gone");
		}
	} else if (smtpc_transaction(&o->c, e.sender, r, e.nrcpt, job->in + off,
	    job->inlen - off) == 0 && o->c.code < 0)
		o->lost = 1;
	/* what becomes of each: delivered, failed for good (DSN), held */
	for (i = 0; i < e.nrcpt; i++) {
		int c = r[i].code;
		if (c / 100 == 2)
			fate[i] = 'd';
		else if (c / 100 == 5 || expired) {
			fl[nf].addr = r[i].addr;
			fl[nf].why = r[i].why;
			nf++;
			fate[i] = 'p';
		} else
			fate[i] = 't';
	}
	snprintf(out, sizeof out, "%s/out", o->f->spool);
	if (nf && e.sender[0] &&
	    dsn_queue(out, o->f->host, &e, fl, nf, job->in + off, job->inlen - off, dsn,
	    sizeof dsn) < 0)
		for (i = 0; i < e.nrcpt; i++)	/* no DSN written: keep them held */
			if (fate[i] == 'p')
				fate[i] = 't';
	for (i = 0; i < e.nrcpt; i++) {
		done += fate[i] == 'd';
		perm += fate[i] == 'p';
		temp += fate[i] == 't';
		ms_info("%s: <%s> %s: %s", job->name, r[i].addr, fate[i] == 'd' ? "delivered" :
		    fate[i] == 'p' ? "failed" : "deferred", r[i].why);
	}
	if (temp && (done || perm)) {
		/* Only the recipients still to do stay held. */
		env_init(&k);
		env_set_sender(&k, e.sender, strlen(e.sender));
		for (i = 0; i < e.nrcpt; i++)
			if (fate[i] == 't')
				env_add_rcpt(&k, r[i].addr, strlen(r[i].addr));
		if (e.client)
			env_set(&k.client, e.client, strlen(e.client));
		if (env_write(&k, &job->out) == 0 &&
		    buf_add(&job->out, job->in + off, job->inlen - off) == 0)
			job->changed = 1;
		env_free(&k);
	}
	job_reason(job, "delivered %zu, bounced %zu, deferred %zu", done, perm, temp);
	free(r);
	free(fl);
	free(fate);
	env_free(&e);
	return temp ? EX_TEMP : EX_DONE;
}

/* The server context of MS_TLSCERT and MS_TLSKEY, made once per session
 * before the greeting.  0, or -1 with the reason logged. */
static int
odmr_tls_setup(struct fwdd *f)
{
	struct tls_config *cfg = NULL;
	const char *why = "unable to initialize libtls";

	if (tls_init() < 0 || (cfg = tls_config_new()) == NULL)
		goto fail;
	if (tls_config_set_cert_file(cfg, f->tlscert) < 0 ||
	    tls_config_set_key_file(cfg, f->tlskey) < 0) {
		why = tls_config_error(cfg);
		goto fail;
	}
	if ((f->tlssrv = tls_server()) == NULL)
		goto fail;
	if (tls_configure(f->tlssrv, cfg) < 0) {
		why = tls_error(f->tlssrv);
		goto fail;
	}
	tls_config_free(cfg);
	return 0;
fail:
	ms_warn("unable to set up TLS with MS_TLSCERT %s and MS_TLSKEY %s: %s", f->tlscert,
	    f->tlskey, why ? why : "unknown error");
	tls_free(f->tlssrv);
	f->tlssrv = NULL;
	tls_config_free(cfg);
	return -1;
}

/* AUTH PLAIN: "authzid\0authcid\0password" with authcid the domain and
 * the password its key.  Returns the domain authenticated, or "". */
static int
odmr_auth(struct fwdd *f, const char *b64, size_t n, char *domain, size_t domsz)
{
	struct buf raw = BUF_INIT;
	char key[FWD_KEYMAX + 1];
	const char *user, *pass, *z1, *z2;
	size_t keylen = 0, pl;
	int known, ok = 0;

	if (b64_decode_strict(b64, n, &raw) < 0 || raw.len == 0)
		goto out;
	z1 = memchr(raw.p, '\0', raw.len);
	if (z1 == NULL)
		goto out;
	user = z1 + 1;
	z2 = memchr(user, '\0', raw.len - (size_t)(user - raw.p));
	if (z2 == NULL)
		goto out;
	pass = z2 + 1;
	pl = raw.len - (size_t)(pass - raw.p);
	if ((size_t)(z2 - user) >= domsz || (size_t)(z2 - user) == 0)
		goto out;
	memcpy(domain, user, (size_t)(z2 - user));
	domain[z2 - user] = '\0';
	for (char *c = domain; *c; c++) {
		if (*c == '/' || (unsigned char)*c <= 0x20)
			goto out;
		*c = (char)tolower((unsigned char)*c);
	}
	known = fwd_key(domain, key, sizeof key, &keylen);
	if (known == 1 && pl == keylen) {
		unsigned char diff = 0;
		for (size_t i = 0; i < pl; i++)
			diff |= (unsigned char)(pass[i] ^ key[i]);
		ok = diff == 0;
	}
	explicit_bzero(key, sizeof key);
out:
	if (raw.p)
		explicit_bzero(raw.p, raw.cap);
	buf_free(&raw);
	if (!ok)
		domain[0] = '\0';
	(void)f;
	return ok;
}

/* After ATRN: the roles turn and we are the SMTP client on the client's
 * connection, inside its TLS session if there is one.  Whatever the
 * client sent before our 250 is dropped.  The greeting's code or -1. */
static int
odmr_turn(struct fwdd *f, struct smtpc *c)
{
	if (f->io.tls == NULL)
		return smtpc_attach(c, 0, 1, f->remoteip);
	memset(c, 0, sizeof *c);
	c->fd = 0;
	c->code = -1;
	strlcpy(c->peer, f->remoteip, sizeof c->peer);
	c->io = f->io;
	io_discard(&c->io);
	return smtpc_reply(c, SMTPC_T_GREETING);
}

/* A command word: the line starts with it, followed by a blank or the end. */
static int
verb(const char *p, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && strncasecmp(p, w, n) == 0 && (len == n || p[n] == ' ');
}

static int
odmr(struct fwdd *f)
{
	struct buf line = BUF_INIT;
	char authed[256] = "", dom[256], dir[PATH_MAX], l[400];
	struct odmr o;
	struct spool_opts so = { 0 };
	struct stage st = { .ctx = &o, .filter = odmr_filter, .log = ms_logline };
	size_t len, n;
	int toolong, r, helo = 0;
	/* RFC 4954 4: with TLS configured, AUTH PLAIN only under it */
	int needtls;

	if (f->tlscert == NULL)
		ms_warn("%s: ODMR without TLS (no MS_TLSCERT): AUTH PLAIN takes the key "
		    "in the clear", f->remoteip);
	else if (odmr_tls_setup(f) < 0) {
		say(f, "421 4.3.0 service not available, try later");
		return EX_TEMP;
	}
	snprintf(l, sizeof l, "220 %s ODMR service ready", f->host);
	say(f, l);
	for (;;) {
		needtls = f->tlssrv && f->io.tls == NULL;
		buf_reset(&line);
		r = io_getline(&f->io, &line, 1000, &toolong);
		if (r <= 0)
			return EX_PASS;
		len = line.len;
		while (len && (line.p[len - 1] == '\n' || line.p[len - 1] == '\r'))
			len--;
		if (toolong) {
			say(f, "500 5.5.2 line too long");
			continue;
		}
		if (len >= 4 && (strncasecmp(line.p, "EHLO", 4) == 0)) {
			helo = 1;
			snprintf(l, sizeof l, "250-%s", f->host);
			say(f, l);
			if (needtls)
				say(f, "250-STARTTLS");
			else
				say(f, "250-AUTH PLAIN");
			say(f, "250-ATRN");
			say(f, "250 ENHANCEDSTATUSCODES");
		} else if (len >= 4 && strncasecmp(line.p, "HELO", 4) == 0) {
			helo = 1;
			snprintf(l, sizeof l, "250 %s", f->host);
			say(f, l);
		} else if (verb(line.p, len, "STARTTLS")) {
			if (f->tlssrv == NULL) {
				say(f, "502 5.5.1 STARTTLS not available");
				continue;
			}
			if (f->io.tls) {
				say(f, "503 5.5.1 TLS already active");
				continue;
			}
			if (len != 8) {
				say(f, "501 5.5.4 STARTTLS takes no parameters");
				continue;
			}
			say(f, "220 2.0.0 ready to start TLS");
			ms_deadline_farewell(-1, NULL);	/* no plain text from here */
			/* What the client pipelined after STARTTLS came in the
			 * clear: it is dropped, never taken as said under TLS
			 * (CVE-2011-0411); io_starttls_server discards it. */
			if ((n = io_pending(&f->io)) > 0)
				ms_warn("%s: ODMR: %zu bytes sent after STARTTLS, before the "
				    "handshake, dropped", f->remoteip, n);
			if (io_starttls_server(&f->io, f->tlssrv) < 0) {
				ms_warn("%s: ODMR: TLS handshake failed: %s", f->remoteip,
				    errno == ETIMEDOUT ? "timeout" : io_tlserror(&f->io));
				return EX_PASS;
			}
			ms_info("%s: ODMR: TLS %s %s", f->remoteip, tls_conn_version(f->io.tls),
			    tls_conn_cipher(f->io.tls));
			/* RFC 3207 4.2: forget everything, expect EHLO again */
			helo = 0;
			authed[0] = '\0';
		} else if (verb(line.p, len, "AUTH") && needtls) {
			say(f, "530 5.7.0 Must issue a STARTTLS command first");
		} else if (len >= 10 && strncasecmp(line.p, "AUTH PLAIN", 10) == 0) {
			const char *ir = line.p + 10;
			size_t irl = len - 10;
			struct buf resp = BUF_INIT;
			if (!helo) {
				say(f, "503 5.5.1 EHLO first");
				continue;
			}
			while (irl && *ir == ' ') {
				ir++;
				irl--;
			}
			if (irl == 0) {	/* no initial response: ask for it */
				say(f, "334 ");
				if (io_getline(&f->io, &resp, 1000, &toolong) <= 0)
					return EX_PASS;
				ir = resp.p;
				irl = resp.len;
				while (irl && (ir[irl - 1] == '\n' || ir[irl - 1] == '\r'))
					irl--;
			}
			if (authed[0])
				say(f, "503 5.5.1 already authenticated");
			else if (odmr_auth(f, ir, irl, authed, sizeof authed)) {
				ms_info("%s: ODMR: authenticated as %s", f->remoteip, authed);
				say(f, "235 2.7.0 authenticated");
			} else {
				ms_warn("%s: ODMR: authentication failed", f->remoteip);
				sleep(1);	/* no fast guessing */
				say(f, "535 5.7.8 authentication failed");
			}
			if (resp.p)
				explicit_bzero(resp.p, resp.cap);
			buf_free(&resp);
		} else if (len >= 4 && strncasecmp(line.p, "ATRN", 4) == 0) {
			size_t dl = len > 5 ? len - 5 : 0;
			if (needtls) {
				say(f, "530 5.7.0 Must issue a STARTTLS command first");
				continue;
			}
			if (!authed[0]) {
				say(f, "530 5.7.0 authentication required");
				continue;
			}
			if (dl == 0)
				strlcpy(dom, authed, sizeof dom);
			else if (dl < sizeof dom) {
				memcpy(dom, line.p + 5, dl);
				dom[dl] = '\0';
				for (char *c = dom; *c; c++)
					*c = (char)tolower((unsigned char)*c);
			} else
				dom[0] = '\0';
			if (strcmp(dom, authed) != 0) {
				say(f, "450 4.7.0 not authorized for that domain");
				continue;
			}
			if ((n = held(f, dom, dir, sizeof dir)) == 0) {
				say(f, "453 4.4.0 no mail for you");
				continue;
			}
			ms_info("%s: ODMR: ATRN %s: %zu held message%s", f->remoteip, dom, n,
			    n == 1 ? "" : "s");
			say(f, "250 2.0.0 OK now reversing the connection");
			/* The roles turn: we are the client on this connection,
			 * and a long delivery is fine: each wait is bounded. */
			ms_deadline(0, NULL);
			memset(&o, 0, sizeof o);
			o.f = f;
			if (odmr_turn(f, &o.c) != 220 || smtpc_hello(&o.c, f->host) / 100 != 2) {
				ms_warn("%s: ODMR: the gateway did not greet: %s", f->remoteip, o.c.reply);
				return EX_PASS;
			}
			so.in = dir;
			so.once = 1;
			r = spool_run(&so, &st);
			if (!o.lost)
				smtpc_close(&o.c);
			return r;
		} else if (len == 4 && strncasecmp(line.p, "QUIT", 4) == 0) {
			say(f, "221 2.0.0 bye");
			return EX_PASS;
		} else if (len >= 4 && (strncasecmp(line.p, "RSET", 4) == 0 ||
		    strncasecmp(line.p, "NOOP", 4) == 0)) {
			say(f, "250 2.0.0 ok");
		} else
			say(f, "502 5.5.1 command not implemented");
	}
}

int
main(int argc, char **argv)
{
	struct fwdd f;
	const char *mode = "forward";
	int c;

	PROG = "ms-forwardd";
	memset(&f, 0, sizeof f);
	while ((c = getopt(argc, argv, "m:")) != -1) {
		if (c == 'm' && (strcmp(optarg, "odmr") == 0 || strcmp(optarg, "forward") == 0))
			mode = optarg;
		else
			ms_usage("[-m forward|odmr]   (run by tcpserver)");
	}
	if (optind != argc)
		ms_usage("[-m forward|odmr]   (run by tcpserver)");
	signal(SIGPIPE, SIG_IGN);
	if (cfg_uint("MS_FORWARD_SKEW", 300, &f.skew) < 0 ||
	    cfg_uint("MS_TIMEOUT", 60, &f.timeout) < 0 ||
	    cfg_uint("MS_QUEUE_LIFETIME", 5 * 86400, &f.lifetime) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_FORWARD_SKEW, MS_TIMEOUT or MS_QUEUE_LIFETIME");
	strlcpy(f.spool, cfg_spool(), sizeof f.spool);
	f.remoteip = cfg_str("TCPREMOTEIP", "unknown");
	cfg_hostname(f.host, sizeof f.host);
	io_init(&f.io, 0, 1, f.timeout);
	if (strcmp(mode, "odmr") == 0) {
		/* the commands and the TLS handshake, up to ATRN */
		ms_deadline(f.timeout * 10 > f.timeout ? f.timeout * 10 : f.timeout,
		    "ODMR session before ATRN");
		ms_deadline_farewell(1, "421 4.4.2 session time limit reached, "
		    "closing connection\r\n");
		f.tlscert = cfg_str("MS_TLSCERT", NULL);
		f.tlskey = cfg_str("MS_TLSKEY", f.tlscert);
		return odmr(&f);
	}
	ms_deadline(f.timeout * 10 > f.timeout ? f.timeout * 10 : f.timeout,
	    "forward request session");
	return forward(&f);
}
