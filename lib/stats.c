/* stats: see stats.h */
#include <sys/file.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "maildir.h"
#include "stats.h"

#define REC 64

struct rec {
	long long start;	/* the current bucket began */
	unsigned long cur_k, cur_u, prev_k, prev_u;
};

int
stats_dir(char *dst, size_t dstsz)
{
	const char *d = cfg_str("MS_TRUST_STATS", NULL);

	if (d) {
		if (strlcpy(dst, d, dstsz) >= dstsz) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return 0;
	}
	return cfg_spooldir(dst, dstsz, "trust/stats");
}

/* The file of an address: its canonical text form, so one address has
 * one file however it was written. */
static int
path(const char *dir, const char *ip, char *dst, size_t dstsz)
{
	unsigned char a[16];
	char canon[INET6_ADDRSTRLEN];

	static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	if (inet_pton(AF_INET, ip, a) == 1)
		inet_ntop(AF_INET, a, canon, sizeof canon);
	else if (inet_pton(AF_INET6, ip, a) == 1) {
		/* an IPv4-mapped address is the IPv4 address */
		if (memcmp(a, mapped, 12) == 0)
			inet_ntop(AF_INET, a + 12, canon, sizeof canon);
		else
			inet_ntop(AF_INET6, a, canon, sizeof canon);
	}
	else {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)snprintf(dst, dstsz, "%s/%s", dir, canon) >= dstsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void
decode(const char *b, struct rec *r)
{
	memset(r, 0, sizeof *r);
	if (sscanf(b, "%lld %lu %lu %lu %lu", &r->start, &r->cur_k, &r->cur_u,
	    &r->prev_k, &r->prev_u) != 5)
		memset(r, 0, sizeof *r);
}

/* Move the buckets on to now. */
static void
roll(struct rec *r, time_t now, unsigned window)
{
	if (r->start == 0 || window == 0) {
		r->start = now;
		return;
	}
	if (now - r->start >= 2 * (long long)window) {
		r->prev_k = r->prev_u = r->cur_k = r->cur_u = 0;
		r->start = now;
	} else if (now - r->start >= (long long)window) {
		r->prev_k = r->cur_k;
		r->prev_u = r->cur_u;
		r->cur_k = r->cur_u = 0;
		r->start += window;
	}
}

int
stats_add(const char *dir, const char *ip, unsigned long known,
    unsigned long unknown, unsigned window)
{
	char p[PATH_MAX], b[REC + 1];
	struct rec r;
	ssize_t n;
	int fd, e, len;

	if (path(dir, ip, p, sizeof p) < 0)
		return -1;
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0) {
		if (errno != ENOENT || mkdir_p(dir, 0770) < 0 ||
		    (fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0)
			return -1;
	}
	if (flock(fd, LOCK_EX) < 0)
		goto fail;
	memset(b, 0, sizeof b);
	if ((n = pread(fd, b, REC, 0)) < 0)
		goto fail;
	decode(b, &r);
	roll(&r, time(NULL), window);
	r.cur_k += known;
	r.cur_u += unknown;
	memset(b, ' ', REC);
	len = snprintf(b, sizeof b, "%lld %lu %lu %lu %lu", r.start, r.cur_k, r.cur_u,
	    r.prev_k, r.prev_u);
	if (len < 0 || len >= REC)
		goto fail;
	b[len] = ' ';
	b[REC - 1] = '\n';
	/* one write of one record in one block: never half an update */
	if (pwrite(fd, b, REC, 0) != REC)
		goto fail;
	close(fd);	/* unlocks */
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
stats_get(const char *dir, const char *ip, unsigned window, struct stats *st)
{
	char p[PATH_MAX], b[REC + 1];
	struct rec r;
	int fd;

	memset(st, 0, sizeof *st);
	if (path(dir, ip, p, sizeof p) < 0)
		return -1;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	memset(b, 0, sizeof b);
	flock(fd, LOCK_SH);
	if (pread(fd, b, REC, 0) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	decode(b, &r);
	roll(&r, time(NULL), window);
	st->known = r.cur_k + r.prev_k;
	st->unknown = r.cur_u + r.prev_u;
	st->since = (time_t)(r.start - window);
	return 0;
}
