/* chain: see chain.h */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "diag.h"
#include "msg.h"

/* Split "prog args | prog args | ..." into argv vectors, in place.  The
 * string is configuration, never mail: no quoting, no shell. */
int
chain_parse(struct chain *c, const char *spec)
{
	char *stage, *sp1, *sp2, *w, *p;
	int n = 0, a;

	memset(c, 0, sizeof *c);
	if ((c->spec = strdup(spec)) == NULL)
		return -1;
	/* strtok_r would skip an empty stage ("a || b"): look for one first */
	for (p = c->spec; *p; p++)
		if (*p == '|') {
			char *q = p + 1;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '|' || *q == '\0')
				goto bad;
		}
	for (stage = strtok_r(c->spec, "|", &sp1); stage; stage = strtok_r(NULL, "|", &sp1)) {
		if (n == CHAIN_MAXSTAGES)
			goto bad;
		a = 0;
		for (w = strtok_r(stage, " \t", &sp2); w; w = strtok_r(NULL, " \t", &sp2)) {
			if (a == CHAIN_MAXARGS)
				goto bad;
			c->argv[n][a++] = w;
		}
		if (a == 0)
			goto bad;
		c->argv[n][a] = NULL;
		n++;
	}
	if (n == 0)
		goto bad;
	c->n = n;
	return 0;
bad:
	chain_free(c);
	errno = EINVAL;
	return -1;
}

void
chain_free(struct chain *c)
{
	free(c->spec);
	memset(c, 0, sizeof *c);
}

/* A memory file holding p[0..n), positioned at its start. */
static int
memfile(const char *name, const char *p, size_t n)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if ((n && write_all(fd, p, n) < 0) || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Run one stage with in[0..n) on its stdin, its stdout into out, its
 * stderr passed on to ours with the last line kept in why.  stdin is a
 * complete file before the stage starts, so a stage never mistakes a
 * message cut short (ms-smtpd killed, a timeout) for a whole one.
 * Returns its exit code, or 111 for a crash, a timeout (timeout seconds,
 * 0: none) or a failure to run it. */
int
chain_stage(char *const argv[], const char *in, size_t n,
    const struct chain_opts *o, struct buf *out, char *why, size_t whysz)
{
	unsigned timeout = o->timeout;
	int fin = -1, fout = -1, ferr = -1, pfd = -1, status = 0, code = EX_TEMP;
	struct pollfd pf;
	struct msg m;
	char *nl, *last;
	pid_t pid;

	snprintf(why, whysz, "%s failed", argv[0]);
	buf_reset(out);
	if ((fin = memfile("stdin", in, n)) < 0 ||
	    (fout = memfd_create("stdout", MFD_CLOEXEC)) < 0 ||
	    (ferr = memfd_create("stderr", MFD_CLOEXEC)) < 0) {
		snprintf(why, whysz, "unable to make memory files for %s: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, whysz, "unable to fork for %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		alarm(0);
		if (dup2(fin, 0) < 0 || dup2(fout, 1) < 0 || dup2(ferr, 2) < 0)
			_exit(EX_TEMP);
		if (o->setids && (setgroups(0, NULL) < 0 || setgid(o->gid) < 0 ||
		    setuid(o->uid) < 0)) {
			ms_warnsys("unable to switch to uid %ld for %s", (long)o->uid, argv[0]);
			_exit(EX_TEMP);
		}
		execvp(argv[0], argv);
		ms_warnsys("unable to run %s", argv[0]);
		_exit(EX_TEMP);
	}
	/* Wait for it, no longer than timeout: on its pidfd, or where there
	 * is none (kernels before 5.3), by polling waitpid. */
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (timeout) {
		time_t end = time(NULL) + (time_t)timeout;
		int done = 0;
		while (!done && time(NULL) < end) {
			if (pfd >= 0) {
				pf.fd = pfd;
				pf.events = POLLIN;
				long left = (long)(end - time(NULL));
				if (poll(&pf, 1, (int)(left > INT_MAX / 1000 ? INT_MAX : left * 1000)) > 0)
					done = 1;
			} else {
				pid_t w = waitpid(pid, &status, WNOHANG);
				if (w == pid)
					goto reaped;
				usleep(20000);
			}
		}
		if (!done) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whysz, "%s timed out after %u seconds", argv[0], timeout);
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			goto out;
reaped:
	/* Its stderr: passed on, the last line kept. */
	if (lseek(ferr, 0, SEEK_SET) == 0 && msg_load(ferr, 1 << 20, &m) == 0) {
		if (m.len) {
			(void)!write_all(2, m.p, m.len);
			while (m.len && m.p[m.len - 1] == '\n')
				m.len--;
			last = m.p;
			for (nl = m.p; (nl = memchr(nl, '\n', m.len - (size_t)(nl - m.p))) != NULL; nl++)
				last = nl + 1;
			if (m.len > (size_t)(last - m.p)) {
				size_t l = m.len - (size_t)(last - m.p);
				if (l >= whysz)
					l = whysz - 1;
				memcpy(why, last, l);
				why[l] = '\0';
			}
		}
		msg_free(&m);
	}
	if (!WIFEXITED(status)) {
		snprintf(why, whysz, "%s crashed (signal %d)", argv[0],
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		goto out;
	}
	code = WEXITSTATUS(status);
	if (code == EX_PASS || code == EX_ALT) {
		if (lseek(fout, 0, SEEK_SET) < 0 ||
		    msg_load(fout, o->maxout ? o->maxout : SIZE_MAX, &m) < 0) {
			snprintf(why, whysz, "unable to read the output of %s: %s", argv[0],
			    errno == EMSGSIZE ? "larger than allowed" : strerror(errno));
			code = EX_TEMP;
			goto out;
		}
		if (buf_add(out, m.p, m.len) < 0)
			code = EX_TEMP;
		msg_free(&m);
	}
	/* "PROG: fatal: reason" -> "reason" */
	{
		char *f = strstr(why, ": fatal: ");
		if (f)
			memmove(why, f + 9, strlen(f + 9) + 1);
	}
out:
	if (fin >= 0) close(fin);
	if (fout >= 0) close(fout);
	if (ferr >= 0) close(ferr);
	if (pfd >= 0) close(pfd);
	return code;
}


int
chain_run(const struct chain *c, const char *in, size_t n,
    const struct chain_opts *o, struct buf *out, char *why, size_t whysz, int *at)
{
	struct buf tmp = BUF_INIT, *cur = NULL, *next = out;
	const char *p = in;
	size_t len = n;
	int i, code = 0;

	*at = 0;
	for (i = 0; i < c->n; i++) {
		/* alternate between out and tmp; the last output ends in out */
		next = ((c->n - i) % 2) ? out : &tmp;
		code = chain_stage(c->argv[i], p, len, o, next, why, whysz);
		*at = i;
		if (code != 0)
			break;
		cur = next;
		p = cur->p;
		len = cur->len;
	}
	if (code == 1 && next != out) {
		buf_reset(out);
		if (buf_add(out, next->p, next->len) < 0)
			code = 111;
	}
	buf_free(&tmp);
	return code;
}
