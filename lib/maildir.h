/* maildir: durable delivery into a maildir and the bookkeeping around it.
 *
 * A message is written to tmp/NAME (O_CREAT|O_EXCL), fsynced, closed,
 * renamed to new/NAME, and new/ is fsynced: once maildir_put() returns 0
 * the message survives a crash.  On any failure the tmp file is removed
 * and nothing appears in new/.
 */
#ifndef MS_MAILDIR_H
#define MS_MAILDIR_H

#include <sys/types.h>
#include <sys/uio.h>

#include <limits.h>
#include <stddef.h>
#include <time.h>

struct maildir {
	char path[PATH_MAX];
	int dirfd, tmpfd, newfd;	/* the maildir, tmp/ and new/ */
	unsigned long seq;		/* per-process counter for unique names */
};

#define MD_CREATE 1	/* maildir_open: make DIR, DIR/tmp, new and cur if missing */
#define MD_NOSYNC 2	/* maildir_put: leave the fsync of new/ to maildir_sync() */

int maildir_open(struct maildir *md, const char *path, int flags);
/* mkdir -p: path and its missing parents, each with mode. */
int mkdir_p(const char *path, mode_t mode);
void maildir_close(struct maildir *md);

/* A new unique name "time.M<usec>P<pid>Q<seq>.host" (host with '/' and
 * ':' escaped as \057 and \072, as the maildir convention says). */
int maildir_uniq(struct maildir *md, char *name, size_t n);

/* Write the iovec into tmp/NAME and move it durably into new/NAME. */
int maildir_put(struct maildir *md, const char *name, const struct iovec *iov,
    int iovcnt, int flags);
/* maildir_uniq() then maildir_put(): a new message; its name in name. */
int maildir_deliver(struct maildir *md, const struct iovec *iov, int iovcnt,
    char *name, size_t namesz);
/* fsync new/: makes every earlier MD_NOSYNC delivery durable. */
int maildir_sync(struct maildir *md);

/* Remove files in tmp/ not modified for maxage seconds (a writer that died
 * leaves them).  Returns how many were removed, -1 on error. */
long maildir_sweep(struct maildir *md, time_t maxage);

#define MD_STALE_TMP (36 * 3600)

#endif
