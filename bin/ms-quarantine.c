/* ms-quarantine: look after the quarantine maildir from a shell or cron.
 *
 *	ms-quarantine list
 *	ms-quarantine show ID
 *	ms-quarantine release [-o] ID
 *	ms-quarantine delete ID
 *	ms-quarantine expire DAYS
 *
 * The quarantine is $MS_QUARANTINE (default $MS_SPOOL/quarantine); an ID is
 * a file name in its new/ (or a prefix of exactly one).  A release or
 * delete first claims the message by renaming it into cur/, so two admins
 * cannot both release it; on any failure it goes back into new/.  A
 * released message is cleaned by $MS_RELEASE_CLEAN (unless -o), stamped by
 * $MS_RELEASE_STAMP, and queued into $MS_RELEASE_SPOOL for the relay.  See
 * ms-quarantine(8).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "chain.h"
#include "diag.h"
#include "envelope.h"
#include "header.h"
#include "maildir.h"
#include "msg.h"
#include "notice.h"

struct q {
	char dir[PATH_MAX];	/* the quarantine maildir */
	struct maildir md;
	char who[128];		/* who runs us, for the log */
	size_t maxsize;		/* MS_MAXSIZE */
	char host[256];
	struct chain_opts copts;
};

static const char *usage_text =
    "list | show id | release [-o] id | delete id | expire days";

static void
whoami(struct q *q)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char u[64];

	ms_sanitize(u, sizeof u, pw ? pw->pw_name : "?", strlen(pw ? pw->pw_name : "?"));
	if (sudo && *sudo) {
		char s[64];
		ms_sanitize(s, sizeof s, sudo, strlen(sudo));
		snprintf(q->who, sizeof q->who, "%s (via sudo as %s)", s, u);
	} else
		snprintf(q->who, sizeof q->who, "%s (uid %ld)", u, (long)getuid());
}

/* The name in new/ that id names: itself, or the one name it prefixes. */
static void
find(struct q *q, const char *id, char *name, size_t namesz)
{
	struct dirent *d;
	DIR *dd;
	int n = 0;

	if (strchr(id, '/') || id[0] == '.' || id[0] == '\0')
		ms_fatal(EX_PERM, "not a quarantine id: %s", id);
	{
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/new", q->dir);
		if ((dd = opendir(p)) == NULL)
			ms_fatalsys("unable to open %s", p);
	}
	while ((d = readdir(dd)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (strcmp(d->d_name, id) == 0) {
			strlcpy(name, d->d_name, namesz);
			n = 1;
			break;
		}
		if (strncmp(d->d_name, id, strlen(id)) == 0) {
			strlcpy(name, d->d_name, namesz);
			n++;
		}
	}
	closedir(dd);
	if (n == 0)
		ms_fatal(EX_PERM, "no message %s in %s/new (released or deleted already?)",
		    id, q->dir);
	if (n > 1)
		ms_fatal(EX_PERM, "%s names %d messages: give more of the id", id, n);
}

/* Claim: new/NAME -> cur/NAME.  Whoever renames first has it.  0, or -1
 * when someone else was faster (ENOENT) or the rename failed. */
static int
claim(struct q *q, const char *name)
{
	char to[PATH_MAX];

	snprintf(to, sizeof to, "cur/%s", name);
	return renameat(q->md.newfd, name, q->md.dirfd, to);
}

/* claim() for a command about one message: its failure is fatal. */
static void
claim_or_die(struct q *q, const char *name)
{
	if (claim(q, name) == 0)
		return;
	if (errno == ENOENT)
		ms_fatal(EX_PERM, "%s was taken by someone else just now", name);
	ms_fatalsys("unable to claim %s", name);
}

static void
unclaim(struct q *q, const char *name)
{
	char from[PATH_MAX];

	snprintf(from, sizeof from, "cur/%s", name);
	if (renameat(q->md.dirfd, from, q->md.newfd, name) < 0)
		ms_warnsys("unable to put %s back: it is in %s/cur", name, q->dir);
}

static int
load(struct q *q, const char *sub, const char *name, struct msg *m)
{
	char p[PATH_MAX];
	int fd, e;

	snprintf(p, sizeof p, "%s/%s", sub, name);
	if ((fd = openat(q->md.dirfd, p, O_RDONLY | O_CLOEXEC)) < 0) {
		ms_warnsys("unable to open %s/%s", q->dir, p);
		return -1;
	}
	if (msg_load(fd, q->maxsize, m) < 0) {
		e = errno;
		ms_warnsys("unable to read %s/%s", q->dir, p);
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* A claimed message that cannot be read goes back where it was. */
static void
load_claimed(struct q *q, const char *name, struct msg *m)
{
	if (load(q, "cur", name, m) == 0)
		return;
	unclaim(q, name);
	ms_fatal(EX_TEMP, "%s stays in the quarantine", name);
}

/* The first verdict that is not clean, for list. */
static void
verdict(const struct envelope *e, char *out, size_t outsz)
{
	size_t i;

	strlcpy(out, "-", outsz);
	for (i = 0; i < e->nf; i++) {
		const char *v = e->f[i].value;
		if (strcasecmp(e->f[i].name, "X-Mailscan-Verdict") != 0)
			continue;
		v += strcspn(v, " ");
		if (strncmp(v, " clean", 6) == 0 && (v[6] == '\0' || v[6] == ' '))
			continue;
		ms_sanitize(out, outsz, e->f[i].value, strlen(e->f[i].value));
		return;
	}
}

static int
cmd_list(struct q *q)
{
	struct dirent **ents;
	static const char *const subs[] = { "new", "cur" };
	char p[PATH_MAX], date[32], v[300], s[300];
	struct envelope e;
	struct buf line = BUF_INIT;
	struct msg m;
	struct tm tm;
	time_t t;
	size_t off, i;
	int n, k, sub;

	for (sub = 0; sub < 2; sub++) {
		snprintf(p, sizeof p, "%s/%s", q->dir, subs[sub]);
		if ((n = scandir(p, &ents, NULL, alphasort)) < 0)
			ms_fatalsys("unable to read %s", p);
		for (k = 0; k < n; k++) {
			const char *name = ents[k]->d_name;
			if (name[0] == '.') {
				free(ents[k]);
				continue;
			}
			if (load(q, subs[sub], name, &m) < 0) {
				free(ents[k]);
				continue;
			}
			env_init(&e);
			if (env_parse(m.p, m.len, SIZE_MAX, &e, &off) < 0)
				env_init(&e);
			t = (time_t)strtoll(name, NULL, 10);
			gmtime_r(&t, &tm);
			strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
			verdict(&e, v, sizeof v);
			buf_reset(&line);
			ms_sanitize(s, sizeof s, e.sender ? e.sender : "", e.sender ? strlen(e.sender) : 0);
			buf_printf(&line, "%s %s %zu <%s> ", name, date, m.len, s);
			for (i = 0; i < e.nrcpt; i++) {
				ms_sanitize(s, sizeof s, e.rcpt[i], strlen(e.rcpt[i]));
				buf_printf(&line, "%s%s", i ? "," : "", s);
			}
			buf_printf(&line, "%s %s%s\n", e.nrcpt ? "" : "-", v,
			    sub ? " (being released or deleted: in cur/)" : "");
			if (fwrite(line.p, 1, line.len, stdout) != line.len)
				ms_fatalsys("unable to write to stdout");
			env_free(&e);
			msg_free(&m);
			free(ents[k]);
		}
		free(ents);
	}
	buf_free(&line);
	if (fflush(stdout) != 0)
		ms_fatalsys("unable to write to stdout");
	return EX_PASS;
}

static int
cmd_show(struct q *q, const char *id)
{
	char name[NAME_MAX + 1];
	struct msg m;

	find(q, id, name, sizeof name);
	if (load(q, "new", name, &m) < 0)
		ms_fatal(EX_TEMP, "unable to show %s", name);
	if (write_all(1, m.p, m.len) < 0)
		ms_fatalsys("unable to write to stdout");
	msg_free(&m);
	return EX_PASS;
}

static int
cmd_release(struct q *q, const char *id, int original)
{
	char name[NAME_MAX + 1], why[512], out[PATH_MAX], newname[NAME_MAX + 1];
	struct chain clean = { 0 }, stamp = { 0 };
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *spec, *p;
	struct maildir md;
	struct iovec iov;
	struct msg m;
	size_t len;
	int code, at;

	find(q, id, name, sizeof name);
	spec = cfg_str("MS_RELEASE_CLEAN", "ms-scan-clamav | ms-scan-yara");
	if (!original && chain_parse(&clean, spec) < 0)
		ms_fatal(EX_TEMP, "MS_RELEASE_CLEAN is malformed: %s", spec);
	spec = cfg_str("MS_RELEASE_STAMP", "ms-stamp -s released");
	if (strcmp(spec, "none") != 0 && chain_parse(&stamp, spec) < 0)
		ms_fatal(EX_TEMP, "MS_RELEASE_STAMP is malformed: %s", spec);
	if (cfg_str("MS_RELEASE_SPOOL", NULL))
		strlcpy(out, cfg_str("MS_RELEASE_SPOOL", NULL), sizeof out);
	else if (cfg_spooldir(out, sizeof out, "out") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");

	claim_or_die(q, name);
	load_claimed(q, name, &m);
	p = m.p;
	len = m.len;
	/* The cleaning chain: the scanners again, told to clean, and to let
	 * through what they cannot scan (the admin decided). */
	if (!original) {
		setenv("MS_ACTION", "clean", 1);
		setenv("MS_UNSCANNABLE", "pass", 1);
		code = chain_run(&clean, p, len, &q->copts, &a, why, sizeof why, &at);
		if (code != EX_PASS) {
			unclaim(q, name);
			if (code == EX_ALT)
				ms_fatal(EX_PERM, "%s cannot be cleaned (%s): release the original "
				    "with -o if you are sure", name, why);
			ms_fatal(code == EX_PERM ? EX_PERM : EX_TEMP, "unable to clean %s: %s",
			    name, why);
		}
		p = a.p;
		len = a.len;
	}
	if (stamp.n) {
		code = chain_run(&stamp, p, len, &q->copts, &b, why, sizeof why, &at);
		if (code != EX_PASS) {
			unclaim(q, name);
			ms_fatal(EX_TEMP, "unable to stamp %s as released: %s", name, why);
		}
		p = b.p;
		len = b.len;
	}
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	if (maildir_open(&md, out, 0) < 0 || maildir_deliver(&md, &iov, 1, newname,
	    sizeof newname) < 0) {
		int e = errno;
		unclaim(q, name);
		errno = e;
		ms_fatalsys("unable to queue %s into %s (it stays in the quarantine)", name, out);
	}
	maildir_close(&md);
	{
		char cur[PATH_MAX];
		snprintf(cur, sizeof cur, "cur/%s", name);
		if (unlinkat(q->md.dirfd, cur, 0) < 0)
			ms_warnsys("released, but unable to remove %s/%s", q->dir, cur);
	}
	ms_info("%s: released%s by %s: queued as %s/new/%s", name,
	    original ? " (original)" : " (cleaned)", q->who, out, newname);
	msg_free(&m);
	buf_free(&a);
	buf_free(&b);
	chain_free(&clean);
	chain_free(&stamp);
	return EX_PASS;
}

/* Tell whom MS_QUARANTINE_NOTIFY names (recipients, sender) that the
 * message will not come. */
static int
notify_deleted(struct q *q, const char *name, const struct msg *m, const char *why)
{
	const char *who = cfg_str("MS_QUARANTINE_NOTIFY", "");
	struct envelope e;
	struct buf desc = BUF_INIT, body = BUF_INIT;
	char out[PATH_MAX], *one[1];
	size_t off, i;
	int r = 0;

	if (*who == '\0')
		return 0;
	if (cfg_spooldir(out, sizeof out, "out") < 0)
		return -1;
	env_init(&e);
	if (env_parse(m->p, m->len, SIZE_MAX, &e, &off) < 0)
		return -1;
	if (notice_is_auto(m->p + off, m->len - off))
		goto done;
	for (i = 0; i < 2 && r == 0; i++) {
		buf_reset(&desc);
		buf_reset(&body);
		if (notice_describe(m->p + off, m->len - off, &e, i, &desc) < 0 ||
		    buf_printf(&body, "This is the mail scanner at %s.\n\n"
		    "The message described below was held in quarantine (id %s) and has\n"
		    "now been %s.  It will not be delivered.\n\n%s\n", q->host, name, why,
		    desc.p ? desc.p : "") < 0) {
			r = -1;
			break;
		}
		if (i == 0 && strstr(who, "recipients"))
			for (size_t k = 0; k < e.nrcpt && r == 0; k++)
				r = notice_send(out, q->host, &e.rcpt[k], 1,
				    "[mailscan] a message to you was not delivered", body.p, body.len);
		if (i == 1 && strstr(who, "sender") && e.sender && e.sender[0]) {
			one[0] = e.sender;
			r = notice_send(out, q->host, one, 1,
			    "[mailscan] your message was not delivered", body.p, body.len);
		}
	}
done:
	buf_free(&desc);
	buf_free(&body);
	env_free(&e);
	return r;
}

static void
delete_one(struct q *q, const char *name, const char *why, int skip_taken)
{
	char cur[PATH_MAX];
	struct msg m;

	if (claim(q, name) < 0) {
		if (skip_taken && errno == ENOENT) {
			ms_info("%s: taken by someone else meanwhile: not %s", name, why);
			return;
		}
		claim_or_die(q, name);
	}
	load_claimed(q, name, &m);
	if (notify_deleted(q, name, &m, why) < 0) {
		int e = errno;
		unclaim(q, name);
		errno = e;
		ms_fatalsys("unable to write the notices for %s (it stays in the quarantine)",
		    name);
	}
	snprintf(cur, sizeof cur, "cur/%s", name);
	if (unlinkat(q->md.dirfd, cur, 0) < 0)
		ms_fatalsys("unable to remove %s/%s", q->dir, cur);
	ms_info("%s: %s by %s", name, why, q->who);
	msg_free(&m);
}

static int
cmd_delete(struct q *q, const char *id)
{
	char name[NAME_MAX + 1];

	find(q, id, name, sizeof name);
	delete_one(q, name, "deleted", 0);
	return EX_PASS;
}

static int
cmd_expire(struct q *q, const char *days)
{
	char p[PATH_MAX], *end;
	struct dirent **ents;
	unsigned long d = strtoul(days, &end, 10);
	time_t cut;
	int n, k, gone = 0;

	if (*days == '\0' || *end)
		ms_fatal(EX_PERM, "expire wants a number of days, not %s", days);
	cut = time(NULL) - (time_t)d * 86400;
	snprintf(p, sizeof p, "%s/new", q->dir);
	if ((n = scandir(p, &ents, NULL, alphasort)) < 0)
		ms_fatalsys("unable to read %s", p);
	for (k = 0; k < n; k++) {
		if (ents[k]->d_name[0] != '.' && strtoll(ents[k]->d_name, NULL, 10) < (long long)cut) {
			delete_one(q, ents[k]->d_name, "expired", 1);
			gone++;
		}
		free(ents[k]);
	}
	free(ents);
	ms_info("expire %lu: %d message%s removed", d, gone, gone == 1 ? "" : "s");
	return EX_PASS;
}

int
main(int argc, char **argv)
{
	struct q q;
	struct stat st;
	int original = 0;

	PROG = "ms-quarantine";
	memset(&q, 0, sizeof q);
	if (argc < 2)
		ms_usage(usage_text);
	if (cfg_str("MS_QUARANTINE", NULL))
		strlcpy(q.dir, cfg_str("MS_QUARANTINE", NULL), sizeof q.dir);
	else if (cfg_spooldir(q.dir, sizeof q.dir, "quarantine") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	if (maildir_open(&q.md, q.dir, 0) < 0)
		ms_fatalsys("unable to open the quarantine %s", q.dir);
	/* cur/ holds the claimed ones: a quarantine made without it gets it */
	if (mkdirat(q.md.dirfd, "cur", 0770) < 0 && errno != EEXIST)
		ms_fatalsys("unable to create %s/cur", q.dir);
	if (cfg_size("MS_MAXSIZE", MS_MAXSIZE_DEFAULT, &q.maxsize) < 0 ||
	    cfg_uint("MS_RELEASE_TIMEOUT", 600, &q.copts.timeout) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_MAXSIZE or MS_RELEASE_TIMEOUT");
	q.copts.maxout = q.maxsize + (1 << 20);
	whoami(&q);
	cfg_hostname(q.host, sizeof q.host);
	/* Run as root, we become the owner of the quarantine, the service
	 * uid: the files we write into the spools are then its own, the
	 * scanners we run do not refuse us, and the signing key is readable. */
	if (geteuid() == 0 && fstat(q.md.dirfd, &st) == 0 && st.st_uid != 0) {
		if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
			ms_fatalsys("unable to become uid %ld, the owner of %s",
			    (long)st.st_uid, q.dir);
	}

	if (strcmp(argv[1], "list") == 0 && argc == 2)
		return cmd_list(&q);
	if (strcmp(argv[1], "show") == 0 && argc == 3)
		return cmd_show(&q, argv[2]);
	if (strcmp(argv[1], "release") == 0) {
		int i = 2;
		if (argc > 2 && (strcmp(argv[2], "-o") == 0 || strcmp(argv[2], "--original") == 0)) {
			original = 1;
			i = 3;
		}
		if (argc == i + 2 && (strcmp(argv[i + 1], "-o") == 0 ||
		    strcmp(argv[i + 1], "--original") == 0)) {
			original = 1;
			return cmd_release(&q, argv[i], original);
		}
		if (argc == i + 1)
			return cmd_release(&q, argv[i], original);
	}
	if (strcmp(argv[1], "delete") == 0 && argc == 3)
		return cmd_delete(&q, argv[2]);
	if (strcmp(argv[1], "expire") == 0 && argc == 3)
		return cmd_expire(&q, argv[2]);
	ms_usage(usage_text);
}
