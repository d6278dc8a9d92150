/* ms-fetchpop: fetch mail from providers' POP3 boxes into the spool.
 *
 * Each account is a directory $MS_POP/NAME (default $MS_ETC/pop/NAME) of
 * one-line files: host, port, user, password (readable by our uid only),
 * recipient, and optionally tls (stls, pop3s or none; default stls), verify
 * (yes or no; default yes), auth (auto, apop or user), keep (yes or no),
 * oversize (skip or delete).  Its state (the UIDs already taken, a lock)
 * lives in $MS_POP_STATE/NAME (default $MS_SPOOL/pop/NAME).
 *
 * A message is deleted on the server only once it is durably in the spool,
 * and deletions are committed by QUIT only; a connection lost mid-RETR
 * queues nothing and deletes nothing.  Run from cron, or with -i SECONDS
 * under a supervisor.  See ms-fetchpop(8).
 */
#include <sys/file.h>
#include <sys/stat.h>

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

#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "grow.h"
#include "header.h"
#include "maildir.h"
#include "msg.h"
#include "pop3.h"

struct account {
	char name[128];
	char dir[PATH_MAX], state[PATH_MAX];
	char host[256], port[16], user[256], pass[256], rcpt[ENV_MAXADDR + 1];
	char tls[16], verify[8], auth[8], keep[8], oversize[8];
};

struct fetch {
	char popdir[PATH_MAX], statedir[PATH_MAX], spool[PATH_MAX];
	char myname[256];
	size_t maxsize;
	unsigned timeout, uidlmax;
	const char *cafile;
};

/* The set of UIDs taken already: a file of lines, oldest first. */
struct uids {
	char **v;
	size_t n, cap;
};

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* ---- configuration ---- */

/* The first line of DIR/NAME into dst; def when the file is missing (NULL:
 * required).  -1 with why. */
static int
setting(const struct account *a, const char *name, const char *def, char *dst,
    size_t dstsz, char *why, size_t whysz)
{
	char p[PATH_MAX];
	struct msg m;
	size_t l;
	int fd;

	snprintf(p, sizeof p, "%s/%s", a->dir, name);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && def) {
			strlcpy(dst, def, dstsz);
			return 0;
		}
		snprintf(why, whysz, "unable to read %s: %s", p, strerror(errno));
		return -1;
	}
	if (msg_load(fd, 4096, &m) < 0) {
		snprintf(why, whysz, "unable to read %s: %s", p, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	for (l = 0; l < m.len && m.p[l] != '\n' && m.p[l] != '\r'; l++)
		;
	if (l == 0 || l >= dstsz || memchr(m.p, '\0', l)) {
		snprintf(why, whysz, "%s is empty, too long or not one line", p);
		msg_free(&m);
		return -1;
	}
	memcpy(dst, m.p, l);
	dst[l] = '\0';
	msg_free(&m);
	return 0;
}

/* Is v one of the blank-separated words? */
static int
oneof(const char *v, const char *words)
{
	size_t l = strlen(v), wl;

	while (*words) {
		wl = strcspn(words, " ");
		if (wl == l && strncmp(words, v, l) == 0)
			return 1;
		words += wl;
		words += strspn(words, " ");
	}
	return 0;
}

static int
load_account(const struct fetch *f, const char *name, struct account *a, char *why,
    size_t whysz)
{
	char p[PATH_MAX];
	struct stat st;

	memset(a, 0, sizeof *a);
	strlcpy(a->name, name, sizeof a->name);
	snprintf(a->dir, sizeof a->dir, "%s/%s", f->popdir, name);
	snprintf(a->state, sizeof a->state, "%s/%s", f->statedir, name);
	if (setting(a, "host", NULL, a->host, sizeof a->host, why, whysz) < 0 ||
	    setting(a, "user", NULL, a->user, sizeof a->user, why, whysz) < 0 ||
	    setting(a, "recipient", NULL, a->rcpt, sizeof a->rcpt, why, whysz) < 0 ||
	    setting(a, "tls", "stls", a->tls, sizeof a->tls, why, whysz) < 0 ||
	    setting(a, "verify", "yes", a->verify, sizeof a->verify, why, whysz) < 0 ||
	    setting(a, "auth", "auto", a->auth, sizeof a->auth, why, whysz) < 0 ||
	    setting(a, "keep", "no", a->keep, sizeof a->keep, why, whysz) < 0 ||
	    setting(a, "oversize", "skip", a->oversize, sizeof a->oversize, why, whysz) < 0 ||
	    setting(a, "port", strcmp(a->tls, "pop3s") == 0 ? "995" : "110", a->port,
	    sizeof a->port, why, whysz) < 0)
		return -1;
	/* The password: a secret, so it must be ours alone. */
	snprintf(p, sizeof p, "%s/password", a->dir);
	if (stat(p, &st) == 0 && (st.st_mode & 077)) {
		snprintf(why, whysz, "%s is readable by others (mode %o): chmod 600 it", p,
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (setting(a, "password", NULL, a->pass, sizeof a->pass, why, whysz) < 0)
		return -1;
	if (!oneof(a->tls, "stls pop3s none") || !oneof(a->verify, "yes no") ||
	    !oneof(a->auth, "auto apop user") || !oneof(a->keep, "yes no") ||
	    !oneof(a->oversize, "skip delete")) {
		snprintf(why, whysz, "%s: tls must be stls, pop3s or none; verify, keep yes or no; "
		    "auth auto, apop or user; oversize skip or delete", a->dir);
		return -1;
	}
	if (!env_addr_ok(a->rcpt, strlen(a->rcpt)) || strchr(a->rcpt, ' ')) {
		snprintf(why, whysz, "%s/recipient is not an address", a->dir);
		return -1;
	}
	return 0;
}

/* ---- the UID record ---- */

static int
uid_add(struct uids *u, const char *s, size_t n)
{
	char **nv, *d;

	if ((nv = grow(u->v, u->n, &u->cap, sizeof *nv, 64)) == NULL)
		return -1;
	u->v = nv;
	if ((d = strndup(s, n)) == NULL)
		return -1;
	u->v[u->n++] = d;
	return 0;
}

static int
uid_has(const struct uids *u, const char *s, size_t n)
{
	for (size_t i = u->n; i-- > 0;)
		if (strlen(u->v[i]) == n && memcmp(u->v[i], s, n) == 0)
			return 1;
	return 0;
}

static void
uid_free(struct uids *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i]);
	free(u->v);
	memset(u, 0, sizeof *u);
}

static int
uid_line(void *arg, const char *line, size_t n, size_t lineno)
{
	(void)lineno;
	return uid_add(arg, line, n);
}

/* Keep at most max UIDs: when over, the file is rewritten with the newest
 * half (tmp, fsync, rename). */
static int
uid_save(const struct account *a, struct uids *u, size_t max)
{
	/* max: at most that many, the newest (SIZE_MAX: all) */
	char p[PATH_MAX], tmp[PATH_MAX];
	size_t from = u->n > max ? u->n - max : 0;
	FILE *fp;
	int fd;

	snprintf(p, sizeof p, "%s/uidl", a->state);
	snprintf(tmp, sizeof tmp, "%s/uidl.tmp", a->state);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	for (size_t i = from; i < u->n; i++)
		fprintf(fp, "%s\n", u->v[i]);
	if (fflush(fp) != 0 || fsync(fileno(fp)) < 0) {
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, p) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Append one UID durably (a line written with O_APPEND, then fsync). */
static int
uid_append(const struct account *a, const char *s, size_t n)
{
	char p[PATH_MAX];
	struct buf l = BUF_INIT;
	int fd, r = -1;

	snprintf(p, sizeof p, "%s/uidl", a->state);
	if ((fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (buf_add(&l, s, n) == 0 && buf_addc(&l, '\n') == 0 &&
	    write_all(fd, l.p, l.len) == 0 && fsync(fd) == 0)
		r = 0;
	close(fd);
	buf_free(&l);
	return r;
}

/* ---- one account ---- */

struct listing {
	unsigned long num;
	unsigned long size;
	char uid[72];
	int deleted;		/* we said DELE for it in this session */
};

static int
lines(struct pop3 *p, struct buf *b, struct listing **lv, size_t *ln, int uidl)
{
	size_t i = 0, s, wl;
	unsigned long num;
	const char *w;
	struct listing *nv;
	size_t cap = *ln;

	while (i < b->len) {
		s = i;
		while (i < b->len && b->p[i] != '\n')
			i++;
		if (pop3_listing(b->p + s, i - s, &num, &w, &wl) < 0) {
			snprintf(p->err, sizeof p->err, "malformed %s line", uidl ? "UIDL" : "LIST");
			return -1;
		}
		i++;
		if (uidl) {
			for (size_t k = 0; k < *ln; k++)
				if ((*lv)[k].num == num) {
					memcpy((*lv)[k].uid, w, wl);
					(*lv)[k].uid[wl] = '\0';
				}
			continue;
		}
		if ((nv = grow(*lv, *ln, &cap, sizeof *nv, 64)) == NULL)
			return -1;
		*lv = nv;
		(*lv)[*ln].num = num;
		(*lv)[*ln].size = strtoul(w, NULL, 10);
		(*lv)[*ln].uid[0] = '\0';
		(*lv)[*ln].deleted = 0;
		(*ln)++;
	}
	return 0;
}

/* Fetch one account: EX_PASS, EX_TEMP or EX_PERM, with one line said. */
static int
fetch_account(const struct fetch *f, const char *name)
{
	struct account a;
	struct pop3 p;
	struct uids u = { 0 };
	struct listing *lv = NULL;
	struct buf b = BUF_INIT, out = BUF_INIT, rcvd = BUF_INIT;
	struct tls_config *tc = NULL;
	struct maildir md;
	struct envelope e;
	char why[600], path[PATH_MAX], qname[NAME_MAX + 1], date[64];
	size_t ln = 0, i, got = 0, bytes = 0, skipped = 0, dele = 0;
	int lockfd = -1, code = EX_TEMP, big, r, keep, hasuidl = 0, mdopen = 0;

	memset(&p, 0, sizeof p);
	p.fd = -1;
	if (load_account(f, name, &a, why, sizeof why) < 0) {
		ms_warn("%s: permanent: %s", name, why);
		return EX_PERM;
	}
	keep = strcmp(a.keep, "yes") == 0;
	/* One fetcher per account: an overlapping cron run skips it. */
	if (mkdir_p(f->statedir, 0700) < 0) {
		ms_warnsys("%s: temporary: unable to create %s", name, f->statedir);
		return EX_TEMP;
	}
	if (mkdir(a.state, 0700) < 0 && errno != EEXIST) {
		ms_warnsys("%s: temporary: unable to create %s", name, a.state);
		return EX_TEMP;
	}
	snprintf(path, sizeof path, "%s/lock", a.state);
	if ((lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		ms_warnsys("%s: temporary: unable to open %s", name, path);
		return EX_TEMP;
	}
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		ms_info("%s: skipped: another ms-fetchpop is fetching it", name);
		close(lockfd);
		return EX_PASS;
	}
	snprintf(path, sizeof path, "%s/uidl", a.state);
	if (control_each(path, 1, uid_line, &u) < 0) {
		ms_warnsys("%s: temporary: unable to read %s", name, path);
		goto done;
	}
	if (strcmp(a.tls, "none") != 0) {
		if ((tc = tls_config_new()) == NULL) {
			ms_warn("%s: temporary: unable to set up TLS", name);
			goto done;
		}
		if (strcmp(a.verify, "no") == 0) {
			tls_config_insecure_noverifycert(tc);
			tls_config_insecure_noverifyname(tc);
		} else if (f->cafile && tls_config_set_ca_file(tc, f->cafile) < 0) {
			ms_warn("%s: permanent: unable to load MS_TLS_CAFILE %s", name, f->cafile);
			code = EX_PERM;
			goto done;
		}
	}
	if (pop3_open(&p, a.host, a.port, strcmp(a.tls, "pop3s") == 0 ? tc : NULL,
	    a.host, f->timeout) < 0)
		goto fail;
	if (pop3_capa(&p) < 0)
		goto fail;
	if (strcmp(a.tls, "stls") == 0) {
		if (!(p.caps & POP3_CAPA_STLS)) {
			snprintf(p.err, sizeof p.err, "the server does not offer STLS "
			    "(set tls to pop3s or none if that is intended)");
			p.perm = 1;
			goto fail;
		}
		if (pop3_stls(&p, tc, a.host) < 0 || pop3_capa(&p) < 0)
			goto fail;
	}
	if (pop3_login(&p, a.user, a.pass, strcmp(a.auth, "apop") == 0 ? POP3_AUTH_APOP :
	    strcmp(a.auth, "user") == 0 ? POP3_AUTH_USER : POP3_AUTH_AUTO) < 0)
		goto fail;
	if (pop3_cmd(&p, "LIST") != 1 || pop3_multiline(&p, &b, 1 << 24, &big) < 0 ||
	    lines(&p, &b, &lv, &ln, 0) < 0)
		goto fail;
	r = pop3_cmd(&p, "UIDL");
	if (r < 0)
		goto fail;
	if (r == 1) {
		if (pop3_multiline(&p, &b, 1 << 24, &big) < 0 || lines(&p, &b, &lv, &ln, 1) < 0)
			goto fail;
		hasuidl = 1;
	} else if (keep) {
		snprintf(p.err, sizeof p.err, "keep is yes but the server has no UIDL: "
		    "messages would be fetched again and again");
		p.perm = 1;
		goto fail;
	}
	if (maildir_open(&md, f->spool, MD_CREATE) < 0) {
		ms_warnsys("%s: temporary: unable to open spool %s", name, f->spool);
		goto quit;
	}
	mdopen = 1;

	for (i = 0; i < ln && !got_term; i++) {
		struct listing *l = &lv[i];
		size_t off;

		if (hasuidl && l->uid[0] && uid_has(&u, l->uid, strlen(l->uid))) {
			/* taken before; if it is still there, its DELE was not
			 * committed then */
			if (!keep && pop3_cmd(&p, "DELE %lu", l->num) == 1) {
				dele++;
				l->deleted = 1;
			}
			continue;
		}
		if (l->size > f->maxsize) {
			skipped++;
			ms_warn("%s: message %lu (%lu bytes) is larger than MS_MAXSIZE: %s", name,
			    l->num, l->size, strcmp(a.oversize, "delete") == 0 ? "deleted unread" :
			    "left on the server");
			if (strcmp(a.oversize, "delete") == 0 && pop3_cmd(&p, "DELE %lu", l->num) == 1)
				dele++;
			continue;
		}
		if (pop3_cmd(&p, "RETR %lu", l->num) != 1 ||
		    pop3_multiline(&p, &b, f->maxsize, &big) < 0)
			goto fail;	/* nothing queued, nothing deleted */
		if (big) {
			skipped++;
			ms_warn("%s: message %lu grew past MS_MAXSIZE: left on the server", name,
			    l->num);
			continue;
		}
		/* The envelope: the provider's Return-Path as sender, the
		 * account's recipient. */
		env_init(&e);
		{
			struct hdr h;
			struct buf rp = BUF_INIT;
			const char *lt, *gt;
			/* the address inside <>, whatever comment follows */
			if (hdr_find(b.p ? b.p : "", b.len, "Return-Path", &h) && hdr_unfold(&h, &rp) == 0 &&
			    rp.len && (lt = memchr(rp.p, '<', rp.len)) != NULL &&
			    (gt = memchr(lt, '>', rp.len - (size_t)(lt - rp.p))) != NULL &&
			    env_set_sender(&e, lt + 1, (size_t)(gt - lt - 1)) == 0)
				;
			else
				env_set_sender(&e, "", 0);
			buf_free(&rp);
		}
		if (env_add_rcpt(&e, a.rcpt, strlen(a.rcpt)) < 0) {
			env_free(&e);
			goto quit;
		}
		{
			char c[600];
			snprintf(c, sizeof c, "%s pop3:%s", a.host, a.name);
			for (char *k = c; *k; k++)
				if ((unsigned char)*k < 0x20)
					*k = '?';
			env_set(&e.client, c, strlen(c));
		}
		hdr_date(date, sizeof date);
		buf_reset(&out);
		buf_reset(&rcvd);
		if (buf_printf(&rcvd, "Received: from %s by %s (mailscan) with POP3%s\n\tfor <%s>"
		    " (account %s, uid %s);\n\t%s\n", a.host, f->myname,
		    p.io.tls ? "S" : "", a.rcpt, a.name, l->uid[0] ? l->uid : "-", date) < 0 ||
		    buf_cstr(&rcvd) == NULL ||
		    env_accept(&e, rcvd.p, b.p, b.len, &out) < 0) {
			env_free(&e);
			goto quit;
		}
		env_free(&e);
		{
			struct iovec iov = { out.p, out.len };
			if (maildir_deliver(&md, &iov, 1, qname, sizeof qname) < 0) {
				ms_warnsys("%s: temporary: unable to queue message %lu into %s", name,
				    l->num, f->spool);
				goto quit;
			}
		}
		(void)off;
		got++;
		bytes += out.len;
		ms_info("%s: message %lu (uid %s) queued as %s", name, l->num,
		    l->uid[0] ? l->uid : "-", qname);
		if (hasuidl && l->uid[0]) {
			if (uid_append(&a, l->uid, strlen(l->uid)) < 0 ||
			    uid_add(&u, l->uid, strlen(l->uid)) < 0) {
				ms_warnsys("%s: temporary: unable to record uid %s", name, l->uid);
				goto quit;
			}
		}
		if (!keep) {
			if ((r = pop3_cmd(&p, "DELE %lu", l->num)) < 0)
				goto fail;
			if (r == 1) {
				dele++;
				l->deleted = 1;
			}
		}
	}
	/* QUIT commits the deletions. */
	if (pop3_cmd(&p, "QUIT") != 1) {
		ms_warn("%s: temporary: QUIT failed (%s): deletions not committed, the "
		    "messages will be deleted next time", name, p.err);
		pop3_close(&p, 0);
		goto done;
	}
	pop3_close(&p, 0);
	/* The record keeps what the server still has (listed, and not
	 * deleted by us now that QUIT committed it): a UID it no longer has
	 * cannot come back, and one it has must never be forgotten (with
	 * keep=yes that would fetch it again). */
	if (hasuidl) {
		struct uids kept = { 0 };
		size_t stale = 0;
		for (size_t k = 0; k < u.n; k++) {
			int listed = 0;
			for (size_t m = 0; m < ln && !listed; m++)
				listed = !lv[m].deleted && strcmp(lv[m].uid, u.v[k]) == 0;
			if (listed)
				uid_add(&kept, u.v[k], strlen(u.v[k]));
			else
				stale++;
		}
		if (stale || kept.n > f->uidlmax) {
			if (kept.n > f->uidlmax)
				ms_warn("%s: the server keeps %zu messages, more than MS_POP_UIDLMAX "
				    "(%u): all their UIDs are kept", name, kept.n, f->uidlmax);
			if (uid_save(&a, &kept, SIZE_MAX) < 0)
				ms_warnsys("%s: unable to shorten the uid record", name);
		}
		uid_free(&kept);
	}
	ms_info("%s: fetched %zu message%s (%zu bytes), %zu deleted on the server, %zu skipped",
	    name, got, got == 1 ? "" : "s", bytes, dele, skipped);
	code = EX_PASS;
	goto done;
fail:
	ms_warn("%s: %s: %s:%s: %s", name, p.perm ? "permanent" : "temporary", a.host, a.port,
	    p.err);
	code = p.perm ? EX_PERM : EX_TEMP;
	pop3_close(&p, 0);	/* no QUIT: nothing is deleted */
	goto done;
quit:
	/* A local failure: leave without committing anything. */
	pop3_close(&p, 0);
	code = EX_TEMP;
done:
	if (mdopen)
		maildir_close(&md);
	if (tc)
		tls_config_free(tc);
	uid_free(&u);
	free(lv);
	buf_free(&b);
	buf_free(&out);
	buf_free(&rcvd);
	explicit_bzero(a.pass, sizeof a.pass);
	close(lockfd);
	return code;
}

static int
run(const struct fetch *f, int argc, char **argv)
{
	struct dirent **ents;
	int n, i, r, worst = EX_PASS;

	if (argc > 0) {
		for (i = 0; i < argc; i++) {
			if (strchr(argv[i], '/') || argv[i][0] == '.')
				ms_fatal(EX_PERM, "not an account name: %s", argv[i]);
			r = fetch_account(f, argv[i]);
			if (r == EX_PERM || (r == EX_TEMP && worst == EX_PASS))
				worst = r;
		}
		return worst;
	}
	if ((n = scandir(f->popdir, &ents, NULL, alphasort)) < 0) {
		ms_warnsys("unable to read the accounts in %s", f->popdir);
		return errno == ENOENT ? EX_PERM : EX_TEMP;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && !got_term) {
			r = fetch_account(f, ents[i]->d_name);
			if (r == EX_PERM || (r == EX_TEMP && worst == EX_PASS))
				worst = r;
		}
		free(ents[i]);
	}
	free(ents);
	return worst;
}

int
main(int argc, char **argv)
{
	struct fetch f;
	unsigned interval = 0;
	char *end;
	int c, code;

	PROG = "ms-fetchpop";
	memset(&f, 0, sizeof f);
	while ((c = getopt(argc, argv, "i:")) != -1) {
		switch (c) {
		case 'i':
			interval = (unsigned)strtoul(optarg, &end, 10);
			if (*end || interval == 0)
				ms_fatal(EX_PERM, "-i wants a number of seconds, not %s", optarg);
			break;
		default:
			ms_usage("[-i seconds] [account ...]");
		}
	}
	if (control_path(f.popdir, sizeof f.popdir, "MS_POP", "pop") < 0)
		ms_fatal(EX_TEMP, "MS_ETC or MS_POP is too long");
	if (cfg_str("MS_POP_STATE", NULL))
		strlcpy(f.statedir, cfg_str("MS_POP_STATE", NULL), sizeof f.statedir);
	else if (cfg_spooldir(f.statedir, sizeof f.statedir, "pop") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	if (cfg_str("MS_POP_SPOOL", NULL))
		strlcpy(f.spool, cfg_str("MS_POP_SPOOL", NULL), sizeof f.spool);
	else if (cfg_spooldir(f.spool, sizeof f.spool, "in") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	if (cfg_size("MS_MAXSIZE", MS_MAXSIZE_DEFAULT, &f.maxsize) < 0 ||
	    cfg_uint("MS_TIMEOUT", 120, &f.timeout) < 0 ||
	    cfg_uint("MS_POP_UIDLMAX", 10000, &f.uidlmax) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_MAXSIZE, MS_TIMEOUT or MS_POP_UIDLMAX");
	if (f.uidlmax < 2)
		f.uidlmax = 2;
	f.cafile = cfg_str("MS_TLS_CAFILE", NULL);
	cfg_hostname(f.myname, sizeof f.myname);
	signal(SIGPIPE, SIG_IGN);
	if (tls_init() < 0)
		ms_fatal(EX_TEMP, "unable to initialize TLS");
	argc -= optind;
	argv += optind;
	if (interval == 0)
		return run(&f, argc, argv);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (;;) {
		code = run(&f, argc, argv);
		(void)code;
		for (unsigned s = 0; s < interval && !got_term; s++)
			sleep(1);
		if (got_term)
			return EX_PASS;
	}
}
