/* spool: see spool.h */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "diag.h"
#include "grow.h"
#include "maildir.h"
#include "msg.h"
#include "spool.h"

/* Set by signal handlers; the only state outside the context structs.
 * Signals are blocked except while the driver waits, so a message is never
 * interrupted half-way. */
static volatile sig_atomic_t got_term, got_hup, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

struct driver {
	const struct stage *st;
	struct maildir in, out, alt, bounce;
	int has_out, has_alt;
	size_t maxsize;
	unsigned rescan, retry_min, retry_max;
	int ino;		/* inotify fd, or -1 */
	sigset_t waitmask;	/* the mask while waiting: our signals open */
	time_t next_sweep;
	int worker;		/* a -j child: SIGHUP is the parent's */
	int once;		/* -1 */
	int bounce_is_in;	/* -q is the bounce spool */
};

static void
logf_(const struct stage *st, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
logf_(const struct stage *st, const char *level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (st->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	st->log(level, line);
}

void
job_reason(struct job *job, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	va_start(ap, fmt);
	vsnprintf(job->reason, sizeof job->reason, fmt, ap);
	va_end(ap);
	while ((nl = strpbrk(job->reason, "\r\n")) != NULL)
		*nl = ' ';
}

int
spool_opt(struct spool_opts *o, int c, const char *arg)
{
	char *end;
	unsigned long v;

	switch (c) {
	case 'q': o->in = arg; return 1;
	case 'o': o->out = arg; return 1;
	case 'a': o->alt = arg; return 1;
	case 'b': o->bounce = arg; return 1;
	case '1': o->once = 1; return 1;
	case 'j':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || v < 1 || v > 64) {
			errno = EINVAL;
			return -1;
		}
		o->jobs = (unsigned)v;
		return 1;
	}
	return 0;
}

int
spool_getopt(int argc, char **argv, struct spool_opts *o)
{
	int c;

	while ((c = getopt(argc, argv, SPOOL_OPTS)) != -1)
		if (spool_opt(o, c, optarg) != 1)
			return -1;
	return optind == argc ? 0 : -1;
}

static const char *
code_word(int code)
{
	switch (code) {
	case EX_PASS: return "pass";
	case EX_ALT: return "alt";
	case EX_DONE: return "done";
	case EX_PERM: return "bounce";
	default: return "defer";
	}
}

static int
settings(struct driver *d)
{
	if (cfg_size("MS_MAXSIZE", MS_MAXSIZE_DEFAULT, &d->maxsize) < 0) {
		logf_(d->st, "fatal", "unable to parse MS_MAXSIZE");
		return -1;
	}
	if (cfg_uint("MS_RESCAN", 60, &d->rescan) < 0 || d->rescan == 0 ||
	    cfg_uint("MS_RETRY_MIN", 60, &d->retry_min) < 0 ||
	    cfg_uint("MS_RETRY_MAX", 3600, &d->retry_max) < 0 || d->retry_min == 0) {
		logf_(d->st, "fatal", "unable to parse MS_RESCAN, MS_RETRY_MIN or MS_RETRY_MAX "
		    "(MS_RESCAN and MS_RETRY_MIN must be at least 1)");
		return -1;
	}
	return 0;
}

/* ---- filter mode ---- */

int
filter_run(const struct stage *st)
{
	struct driver d = { .st = st };
	struct job job;
	struct msg m;
	int code;

	if (settings(&d) < 0)
		return EX_TEMP;
	memset(&job, 0, sizeof job);
	if (msg_load(0, d.maxsize, &m) < 0) {
		if (errno == EMSGSIZE) {
			logf_(st, "fatal", "5.3.4 message is larger than MS_MAXSIZE (%zu bytes)",
			    d.maxsize);
			return EX_PERM;
		}
		logf_(st, "fatal", "unable to read message: %s", strerror(errno));
		return EX_TEMP;
	}
	job.in = m.p;
	job.inlen = m.len;
	job.name = "-";
	job.byhand = 1;
	code = st->filter(st->ctx, &job);
	if (code == EX_PASS || code == EX_ALT) {
		const char *p = job.changed ? job.out.p : job.in;
		size_t n = job.changed ? job.out.len : job.inlen;
		if (write_all(1, p, n) < 0) {
			logf_(st, "fatal", "unable to write message: %s", strerror(errno));
			code = EX_TEMP;
		}
	}
	if (code == EX_PERM || code == EX_TEMP)
		/* The last stderr line is the reason (mailscan(7)). */
		logf_(st, "fatal", "%s", job.reason[0] ? job.reason : "failed");
	else
		logf_(st, "info", "-: %s: %s", code_word(code), job.reason);
	buf_free(&job.out);
	msg_free(&m);
	return code;
}

/* ---- spool mode ---- */

/* "BASE:1,ATTEMPTS,NEXTTRY": split off the retry state. */
static size_t
parse_name(const char *name, unsigned *attempts, time_t *next)
{
	const char *c = strstr(name, ":1,");
	unsigned long a;
	long long t;
	char *end;

	*attempts = 0;
	*next = 0;
	if (c == NULL)
		return strlen(name);
	a = strtoul(c + 3, &end, 10);
	if (*end == ',') {
		t = strtoll(end + 1, &end, 10);
		if (*end == '\0') {
			*attempts = (unsigned)a;
			*next = (time_t)t;
		}
	}
	return (size_t)(c - name);
}

/* Move the claimed message to dst (by rename when possible). */
static int
move_to(struct driver *d, struct maildir *dst, const char *name,
    const char *base, const struct job *job)
{
	struct iovec iov;

	if (!job->changed) {
		if (renameat(d->in.newfd, name, dst->newfd, base) == 0)
			return maildir_sync(dst);
		if (errno != EXDEV)
			return -1;
	}
	iov.iov_base = (void *)(job->changed ? job->out.p : job->in);
	iov.iov_len = job->changed ? job->out.len : job->inlen;
	if (maildir_put(dst, base, &iov, 1, 0) < 0)
		return -1;
	if (unlinkat(d->in.newfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static int
to_bounce(struct driver *d, const char *name, const char *base,
    const struct job *job)
{
	struct buf hdr = BUF_INIT;
	struct iovec iov[2];
	int r;

	if (buf_printf(&hdr, "X-Mailscan-Error: %s %s\n", PROG,
	    job->reason[0] ? job->reason : "permanent failure") < 0)
		return -1;
	iov[0].iov_base = hdr.p;
	iov[0].iov_len = hdr.len;
	iov[1].iov_base = (void *)job->in;
	iov[1].iov_len = job->inlen;
	r = maildir_put(&d->bounce, base, iov, 2, 0);
	buf_free(&hdr);
	if (r == 0 && unlinkat(d->in.newfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return r;
}

/* Leave the message for a later attempt under "BASE:1,ATTEMPTS,NEXTTRY";
 * a stage that changed it (e.g. the relay, with the recipients already
 * done removed) has the new form written there instead. */
static int
defer(struct driver *d, const char *name, size_t baselen, unsigned attempts,
    const struct job *job, time_t *wake)
{
	char nn[NAME_MAX + 1];
	unsigned long delay = d->retry_min;
	unsigned i;
	time_t next;
	struct iovec iov;

	for (i = 1; i < attempts && delay < d->retry_max; i++)
		delay *= 2;
	if (delay > d->retry_max)
		delay = d->retry_max;
	next = time(NULL) + (time_t)delay;
	if ((size_t)snprintf(nn, sizeof nn, "%.*s:1,%u,%lld", (int)baselen, name,
	    attempts, (long long)next) >= sizeof nn) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (job->changed && job->in != NULL) {
		iov.iov_base = job->out.p;
		iov.iov_len = job->out.len;
		if (maildir_put(&d->in, nn, &iov, 1, 0) < 0)
			return -1;
		if (strcmp(nn, name) != 0 && unlinkat(d->in.newfd, name, 0) < 0 &&
		    errno != ENOENT)
			return -1;
	} else if (strcmp(nn, name) != 0 &&
	    renameat(d->in.newfd, name, d->in.newfd, nn) < 0)
		return -1;
	if (*wake == 0 || next < *wake)
		*wake = next;
	return 0;
}

/* Claim, filter and route one message.  Returns 1 if it was processed, 0
 * if it was skipped (gone, or another worker holds it). */
static int
process(struct driver *d, const char *name, time_t *wake)
{
	char base[NAME_MAX + 1];
	unsigned attempts;
	time_t next;
	size_t baselen;
	struct stat a, b;
	struct job job;
	struct msg m;
	struct maildir *dst;
	int fd, code, r;

	baselen = parse_name(name, &attempts, &next);
	if (next > time(NULL) && !d->once) {
		if (*wake == 0 || next < *wake)
			*wake = next;
		return 0;
	}
	if (baselen >= sizeof base)
		baselen = sizeof base - 1;
	memcpy(base, name, baselen);
	base[baselen] = '\0';

	fd = openat(d->in.newfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* Another worker has it, or the stage before us still holds
		 * the lock it had when it renamed the file in here (the lock
		 * goes with the inode) and is about to let go: no event will
		 * say when, so look again in a second. */
		close(fd);
		if (*wake == 0 || time(NULL) + 1 < *wake)
			*wake = time(NULL) + 1;
		return 0;
	}
	/* Another driver may have finished it between our readdir and our
	 * lock: only go on if the name still leads to the inode we hold. */
	if (fstat(fd, &a) < 0 || a.st_nlink == 0 || !S_ISREG(a.st_mode) ||
	    fstatat(d->in.newfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return 0;
	}

	memset(&job, 0, sizeof job);
	job.name = base;
	job.spool = d->in.path;
	job.outspool = d->has_out ? d->out.path : NULL;
	job.attempts = attempts;
	if (msg_load(fd, d->maxsize, &m) < 0) {
		if (errno != EMSGSIZE) {
			logf_(d->st, "warn", "%s: unable to read message: %s", base,
			    strerror(errno));
			close(fd);
			return 0;	/* stays; the next rescan tries again */
		}
		/* Larger than this stage accepts: bounce it, never drop it;
		 * the bounce spool gets the file by rename. */
		job_reason(&job, "5.3.4 message is larger than MS_MAXSIZE (%zu bytes)",
		    d->maxsize);
		code = EX_PERM;
		/* mapped, not read: the copy into the bounce spool costs no
		 * memory of its own */
		if (msg_load(fd, SIZE_MAX, &m) == 0) {
			job.in = m.p;
			job.inlen = m.len;
		} else
			memset(&m, 0, sizeof m);
	} else {
		job.in = m.p;
		job.inlen = m.len;
		code = d->st->filter(d->st->ctx, &job);
	}

	switch (code) {
	case EX_PASS:
	case EX_ALT:
		dst = code == EX_PASS ? (d->has_out ? &d->out : NULL)
		                      : (d->has_alt ? &d->alt : NULL);
		if (dst == NULL) {
			job_reason(&job, "no %s spool configured for exit %d",
			    code == EX_PASS ? "-o" : "-a", code);
			code = EX_TEMP;
			break;
		}
		if (move_to(d, dst, name, base, &job) < 0) {
			job_reason(&job, "unable to move to %s: %s", dst->path,
			    strerror(errno));
			code = EX_TEMP;
		}
		break;
	case EX_DONE:
		if (unlinkat(d->in.newfd, name, 0) < 0 && errno != ENOENT) {
			logf_(d->st, "warn", "%s: unable to remove: %s", base,
			    strerror(errno));
		}
		break;
	case EX_PERM:
		if (d->bounce_is_in) {
			logf_(d->st, "warn", "%s: fails for good in the bounce spool itself (%s): "
			    "left there for the postmaster", base, job.reason);
			code = EX_TEMP;
			break;
		}
		if (job.in == NULL) {
			/* unable to map it: move the file as it is */
			r = renameat(d->in.newfd, name, d->bounce.newfd, base);
			if (r == 0)
				r = maildir_sync(&d->bounce);
		} else
			r = to_bounce(d, name, base, &job);
		if (r < 0) {
			logf_(d->st, "warn", "%s: unable to move to %s: %s", base,
			    d->bounce.path, strerror(errno));
			code = EX_TEMP;
		}
		break;
	default:
		code = EX_TEMP;
		break;
	}
	if (code == EX_TEMP) {
		attempts++;
		if (defer(d, name, baselen, attempts, &job, wake) < 0)
			logf_(d->st, "warn", "%s: unable to record retry: %s", base,
			    strerror(errno));
		logf_(d->st, "warn", "%s: defer: attempt %u: %s", base, attempts,
		    job.reason[0] ? job.reason : "temporary failure");
	} else
		logf_(d->st, "info", "%s: %s: %s", base, code_word(code), job.reason);
	buf_free(&job.out);
	msg_free(&m);
	close(fd);
	return 1;
}

/* Signals stay blocked while a message is processed; between two messages
 * the ones that arrived are let in, so SIGTERM and SIGHUP act under load. */
static void
take_signals(struct driver *d)
{
	sigset_t pend, old;

	if (sigpending(&pend) < 0)
		return;
	if (sigismember(&pend, SIGTERM) || sigismember(&pend, SIGINT) ||
	    sigismember(&pend, SIGHUP)) {
		sigprocmask(SIG_SETMASK, &d->waitmask, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

/* Oldest first: by the time a maildir name starts with (SECONDS, then
 * .MMICROSECONDS as a number, so that names written by other programs
 * without zero padding sort right too), then as strings. */
static int
cmpname(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	unsigned long long xs, ys, xu = 0, yu = 0;
	char *xe, *ye;

	xs = strtoull(x, &xe, 10);
	ys = strtoull(y, &ye, 10);
	if (xe != x && ye != y) {
		if (xs != ys)
			return xs < ys ? -1 : 1;
		if (xe[0] == '.' && xe[1] == 'M' && ye[0] == '.' && ye[1] == 'M') {
			xu = strtoull(xe + 2, NULL, 10);
			yu = strtoull(ye + 2, NULL, 10);
			if (xu != yu)
				return xu < yu ? -1 : 1;
		}
	}
	return strcmp(x, y);
}

/* One pass over new/: every message that is due, oldest name first.
 * Returns how many were processed; *wake gets the earliest retry time. */
static long
pass(struct driver *d, time_t *wake)
{
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	long done = 0;
	DIR *dir;
	int fd;

	/* A descriptor of our own: one dup()ed from in.newfd would share its
	 * file offset with every forked worker, and their readdir()s would
	 * each see only part of the directory. */
	if ((fd = openat(d->in.dirfd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((nn = grow(names, n, &cap, sizeof *nn, 64)) == NULL)
			break;
		names = nn;
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof *names, cmpname);
	for (i = 0; i < n; i++) {
		if (!got_term && !(got_hup && !d->worker))
			done += process(d, names[i], wake);
		free(names[i]);
		take_signals(d);
	}
	free(names);
	return done;
}

static void
drain_inotify(int fd)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, ev, sizeof ev) > 0)
		;
}

static void
reload(struct driver *d)
{
	got_hup = 0;
	if (d->st->reload == NULL)
		return;
	if (d->st->reload(d->st->ctx) < 0)
		logf_(d->st, "warn", "reload failed: keeping what was loaded");
	else
		logf_(d->st, "info", "reloaded");
}

static int
worker_loop(struct driver *d)
{
	struct timespec ts;
	struct pollfd pfd;
	time_t wake, now;
	long n;

	while (!got_term) {
		if (got_hup && !d->worker)
			reload(d);
		now = time(NULL);
		if (now >= d->next_sweep) {
			maildir_sweep(&d->in, MD_STALE_TMP);
			d->next_sweep = now + 3600;
		}
		if (d->ino >= 0)
			drain_inotify(d->ino);
		wake = 0;
		if ((n = pass(d, &wake)) < 0) {
			logf_(d->st, "warn", "unable to scan %s/new: %s", d->in.path,
			    strerror(errno));
			n = 0;
		}
		if (d->once)
			break;		/* -1: each message had its one try */
		if (n > 0)
			continue;	/* more may have arrived meanwhile */
		now = time(NULL);
		ts.tv_sec = d->rescan;
		if (wake && wake - now < (time_t)d->rescan)
			ts.tv_sec = wake > now ? wake - now : 0;
		ts.tv_nsec = 0;
		pfd.fd = d->ino;
		pfd.events = POLLIN;
		ppoll(&pfd, d->ino >= 0 ? 1 : 0, &ts, &d->waitmask);
	}
	return EX_PASS;
}

/* Watch new/ for arrivals; without inotify the rescan alone wakes us. */
static void
watch(struct driver *d)
{
	char p[PATH_MAX];

	d->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if ((size_t)snprintf(p, sizeof p, "%s/new", d->in.path) >= sizeof p && d->ino >= 0) {
		close(d->ino);
		d->ino = -1;
		errno = ENAMETOOLONG;
	}
	if (d->ino >= 0 &&
	    inotify_add_watch(d->ino, p, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(d->ino);
		d->ino = -1;
	}
	if (d->ino < 0)
		logf_(d->st, "warn", "no inotify (%s): rescanning every %u seconds",
		    strerror(errno), d->rescan);
}

static pid_t
spawn(struct driver *d)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		/* A worker ends with its parent: a supervisor that kills the
		 * service signals the parent alone. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(EX_PASS);
		d->worker = 1;
		signal(SIGHUP, SIG_IGN);
		watch(d);
		_exit(worker_loop(d));
	}
	return pid;
}

/* -j N: the parent holds the loaded state, forks N workers that share it
 * copy-on-write, restarts any that die, and on SIGHUP reloads and replaces
 * them (each finishes its current message first). */
static int
supervise(struct driver *d, unsigned jobs)
{
	pid_t *kids;
	time_t *born;
	unsigned i, alive;
	int status;
	pid_t pid;

	kids = calloc(jobs, sizeof *kids);
	born = calloc(jobs, sizeof *born);
	if (kids == NULL || born == NULL) {
		free(kids);
		free(born);
		return EX_TEMP;
	}
	for (;;) {
		if (!got_term) {
			for (i = 0; i < jobs; i++) {
				if (kids[i] > 0)
					continue;
				if (born[i] && time(NULL) - born[i] < 1)
					sleep(1);	/* do not spin on a crashing worker */
				born[i] = time(NULL);
				if ((kids[i] = spawn(d)) < 0) {
					logf_(d->st, "warn", "unable to fork: %s", strerror(errno));
					kids[i] = 0;
				}
			}
		}
		if (got_hup) {
			reload(d);
			for (i = 0; i < jobs; i++)
				if (kids[i] > 0)
					kill(kids[i], SIGTERM);
		}
		if (got_term) {
			for (i = 0; i < jobs; i++)
				if (kids[i] > 0)
					kill(kids[i], SIGTERM);
		}
		got_chld = 0;
		alive = 0;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < jobs; i++)
				if (kids[i] == pid)
					kids[i] = 0;
			if (!got_term && WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
				logf_(d->st, "warn", "worker %ld killed by signal %d",
				    (long)pid, WTERMSIG(status));
		}
		for (i = 0; i < jobs; i++)
			alive += kids[i] > 0;
		if (got_term && alive == 0)
			break;
		if (!got_chld && !got_hup && !(got_term && alive == 0)) {
			struct timespec ts = { 5, 0 };
			ppoll(NULL, 0, &ts, &d->waitmask);
		}
	}
	free(kids);
	free(born);
	return EX_PASS;
}

static int
same_dir(const struct maildir *a, const struct maildir *b)
{
	struct stat x, y;

	return fstat(a->dirfd, &x) == 0 && fstat(b->dirfd, &y) == 0 &&
	    x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int
open_spool(struct driver *d, struct maildir *md, const char *path)
{
	if (maildir_open(md, path, MD_CREATE) < 0) {
		logf_(d->st, "fatal", "unable to open spool %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
spool_run(const struct spool_opts *o, const struct stage *st)
{
	struct driver d;
	struct sigaction sa;
	sigset_t block;
	char bdir[PATH_MAX];
	int code;

	memset(&d, 0, sizeof d);
	d.st = st;
	d.ino = -1;
	d.in.dirfd = d.in.tmpfd = d.in.newfd = -1;
	d.out = d.alt = d.bounce = d.in;
	if (settings(&d) < 0)
		return EX_TEMP;
	if (o->bounce == NULL && cfg_spooldir(bdir, sizeof bdir, "bounce") < 0) {
		logf_(st, "fatal", "spool path too long");
		return EX_TEMP;
	}
	if (open_spool(&d, &d.in, o->in) < 0 ||
	    open_spool(&d, &d.bounce, o->bounce ? o->bounce : bdir) < 0 ||
	    (o->out && open_spool(&d, &d.out, o->out) < 0) ||
	    (o->alt && open_spool(&d, &d.alt, o->alt) < 0))
		return EX_TEMP;
	d.has_out = o->out != NULL;
	d.has_alt = o->alt != NULL;
	d.once = o->once;
	/* A destination that is the spool itself would have a message
	 * written over itself and then removed: refuse it.  The bounce spool
	 * may be the input (ms-relay turning bounces into DSNs); a message
	 * that fails for good there stays where it is. */
	if ((d.has_out && same_dir(&d.in, &d.out)) || (d.has_alt && same_dir(&d.in, &d.alt))) {
		logf_(st, "fatal", "-o or -a names the -q spool %s itself", o->in);
		return EX_PERM;
	}
	d.bounce_is_in = same_dir(&d.in, &d.bounce);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &d.waitmask);
	sigdelset(&d.waitmask, SIGTERM);
	sigdelset(&d.waitmask, SIGINT);
	sigdelset(&d.waitmask, SIGHUP);
	sigdelset(&d.waitmask, SIGCHLD);

	logf_(st, "info", "spool mode: %s -> %s%s%s, %u worker%s", o->in,
	    o->out ? o->out : "(none)", o->alt ? ", alt " : "", o->alt ? o->alt : "",
	    o->jobs ? o->jobs : 1, o->jobs > 1 ? "s" : "");
	if (o->jobs > 1 && !o->once)
		code = supervise(&d, o->jobs);
	else {
		watch(&d);
		code = worker_loop(&d);
	}
	logf_(st, "info", "stopping");
	maildir_close(&d.in);
	maildir_close(&d.out);
	maildir_close(&d.alt);
	maildir_close(&d.bounce);
	return code;
}
