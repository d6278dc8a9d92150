/* maildir: see maildir.h */
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maildir.h"

int
mkdir_p(const char *path, mode_t mode)
{
	char p[PATH_MAX], *s;

	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || strlcpy(p, path, sizeof p) >= sizeof p)
		return -1;
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
}

int
maildir_open(struct maildir *md, const char *path, int flags)
{
	char sub[PATH_MAX];
	static const char *const subs[] = { "tmp", "new", "cur" };
	size_t i;
	int e;

	memset(md, 0, sizeof *md);
	md->dirfd = md->tmpfd = md->newfd = -1;
	if (strlcpy(md->path, path, sizeof md->path) >= sizeof md->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (flags & MD_CREATE) {
		if (mkdir_p(path, 0770) < 0)
			return -1;
		for (i = 0; i < 3; i++) {
			if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, subs[i]) >= sizeof sub) {
				errno = ENAMETOOLONG;
				return -1;
			}
			if (mkdir_p(sub, 0770) < 0)
				return -1;
		}
	}
	md->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->dirfd < 0)
		return -1;
	md->tmpfd = openat(md->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->tmpfd >= 0)
		md->newfd = openat(md->dirfd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->newfd < 0) {
		e = errno;
		maildir_close(md);
		errno = e;
		return -1;
	}
	return 0;
}

void
maildir_close(struct maildir *md)
{
	if (md->newfd >= 0)
		close(md->newfd);
	if (md->tmpfd >= 0)
		close(md->tmpfd);
	if (md->dirfd >= 0)
		close(md->dirfd);
	md->dirfd = md->tmpfd = md->newfd = -1;
}

int
maildir_uniq(struct maildir *md, char *name, size_t n)
{
	char host[256], esc[1024];
	struct timeval tv;
	size_t i, o = 0;
	int r;

	if (gethostname(host, sizeof host) < 0)
		strlcpy(host, "localhost", sizeof host);
	host[sizeof host - 1] = '\0';
	for (i = 0; host[i] && o + 5 < sizeof esc; i++) {
		if (host[i] == '/' || host[i] == ':') {
			o += (size_t)snprintf(esc + o, sizeof esc - o, "\\%03o",
			    (unsigned char)host[i]);
		} else
			esc[o++] = host[i];
	}
	esc[o] = '\0';
	gettimeofday(&tv, NULL);
	/* Microseconds zero-padded: names then sort by time as plain strings
	 * (ls, and the spool driver's oldest-first order). */
	r = snprintf(name, n, "%lld.M%06ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++md->seq, esc);
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
writev_all(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec v[64];
	int i, cnt;
	ssize_t w;

	while (iovcnt > 0) {
		cnt = iovcnt > 64 ? 64 : iovcnt;
		memcpy(v, iov, (size_t)cnt * sizeof *v);
		i = 0;
		while (i < cnt) {
			w = writev(fd, v + i, cnt - i);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			while (i < cnt && (size_t)w >= v[i].iov_len) {
				w -= (ssize_t)v[i].iov_len;
				i++;
			}
			if (i < cnt) {
				v[i].iov_base = (char *)v[i].iov_base + w;
				v[i].iov_len -= (size_t)w;
			}
		}
		iov += cnt;
		iovcnt -= cnt;
	}
	return 0;
}

int
maildir_put(struct maildir *md, const char *name, const struct iovec *iov,
    int iovcnt, int flags)
{
	int fd, e;

	fd = openat(md->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST) {
		/* Names are unique per message; a file already there is
		 * what an earlier, interrupted attempt for this very
		 * message left behind. */
		if (unlinkat(md->tmpfd, name, 0) == 0)
			fd = openat(md->tmpfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	}
	if (fd < 0)
		return -1;
	if (writev_all(fd, iov, iovcnt) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		e = errno;
		goto fail;
	}
	if (renameat(md->tmpfd, name, md->newfd, name) < 0) {
		e = errno;
		goto fail;
	}
	if (!(flags & MD_NOSYNC) && fsync(md->newfd) < 0)
		return -1;	/* in new/ but not known durable: caller retries */
	return 0;
fail:
	unlinkat(md->tmpfd, name, 0);
	errno = e;
	return -1;
}

int
maildir_deliver(struct maildir *md, const struct iovec *iov, int iovcnt,
    char *name, size_t namesz)
{
	if (maildir_uniq(md, name, namesz) < 0)
		return -1;
	return maildir_put(md, name, iov, iovcnt, 0);
}

int
maildir_sync(struct maildir *md)
{
	return fsync(md->newfd);
}

long
maildir_sweep(struct maildir *md, time_t maxage)
{
	struct dirent *d;
	struct stat st;
	time_t now = time(NULL);
	long n = 0;
	DIR *dir;
	int fd;

	/* Not dup(): a duplicate shares its offset with other processes. */
	if ((fd = openat(md->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (fstatat(md->tmpfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && now - st.st_mtime > maxage &&
		    unlinkat(md->tmpfd, d->d_name, 0) == 0)
			n++;
	}
	closedir(dir);
	return n;
}
