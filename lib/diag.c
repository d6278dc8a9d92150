/* diag: see diag.h */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

const char *PROG = "mailscan";

static void
emit(const char *level, int err, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int r;

	r = snprintf(line, sizeof line, "%s: %s: ", PROG, level);
	n = r < 0 ? 0 : (size_t)r;
	if (n < sizeof line) {
		r = vsnprintf(line + n, sizeof line - n, fmt, ap);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (err && n < sizeof line) {
		r = snprintf(line + n, sizeof line - n, ": %s", strerror(err));
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	/* One write: a line is never split between writers. */
	(void)!write(2, line, n);
}

void
ms_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("info", 0, fmt, ap);
	va_end(ap);
}

void
ms_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("warn", 0, fmt, ap);
	va_end(ap);
}

void
ms_warnsys(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	emit("warn", e, fmt, ap);
	va_end(ap);
	errno = e;
}

static void
emit_plain(const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(level, 0, fmt, ap);
	va_end(ap);
}

void
ms_logline(const char *level, const char *line)
{
	emit_plain(level, "%s", line);
}

void
ms_fatal(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void
ms_fatalsys(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	emit("fatal", e, fmt, ap);
	va_end(ap);
	exit(ms_errcode(e));
}

void
ms_usage(const char *synopsis)
{
	char line[512];
	int r = snprintf(line, sizeof line, "usage: %s %s\n", PROG, synopsis);
	if (r > 0)
		(void)!write(2, line, (size_t)r < sizeof line ? (size_t)r : sizeof line - 1);
	exit(EX_PERM);
}

int
ms_errcode(int err)
{
	switch (err) {
	case EMSGSIZE:
	case EBADMSG:
	case EILSEQ:
	case ENAMETOOLONG:
		return EX_PERM;
	default:
		return EX_TEMP;
	}
}

static unsigned deadline_secs;
static const char *deadline_what;
static char deadline_bye[256];
static size_t deadline_byelen;
static int deadline_fd = -1;

static void
on_alarm(int sig)
{
	char line[256];
	int r;

	(void)sig;
	/* Async-signal-safe: snprintf of integers and fixed strings is safe
	 * in glibc in practice; keep the format trivial anyway. */
	r = snprintf(line, sizeof line, "%s: fatal: timed out after %u seconds: %s\n",
	    PROG, deadline_secs, deadline_what ? deadline_what : "deadline");
	if (r > 0)
		(void)!write(2, line, (size_t)r < sizeof line ? (size_t)r : sizeof line - 1);
	if (deadline_fd >= 0)
		(void)!write(deadline_fd, deadline_bye, deadline_byelen);
	_exit(EX_TEMP);
}

void
ms_deadline_farewell(int fd, const char *line)
{
	deadline_fd = -1;	/* never half a line from the handler */
	if (fd < 0 || line == NULL)
		return;
	deadline_byelen = strlcpy(deadline_bye, line, sizeof deadline_bye);
	if (deadline_byelen >= sizeof deadline_bye)
		deadline_byelen = sizeof deadline_bye - 1;
	deadline_fd = fd;
}

void
ms_deadline(unsigned secs, const char *what)
{
	struct sigaction sa;

	deadline_secs = secs;
	deadline_what = what;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = secs ? on_alarm : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

char *
ms_sanitize(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i, o = 0;

	if (dstsz == 0)
		return dst;
	for (i = 0; i < n && o + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n && dstsz >= 4) {
		o = o > dstsz - 4 ? dstsz - 4 : o;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}
