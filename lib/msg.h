/* msg: a whole message in memory, bounded.  A regular file is mapped, a
 * pipe is read; either way no more than max bytes are accepted. */
#ifndef MS_MSG_H
#define MS_MSG_H

#include <stddef.h>

struct msg {
	char *p;
	size_t len;
	size_t maplen;		/* non-zero: p is an mmap of maplen bytes */
	size_t cap;		/* read into malloc'd memory of cap bytes */
};

/* Read (or map, for a regular file) everything from fd.  -1 with errno
 * EMSGSIZE when the input is longer than max; other errno from read/mmap. */
int msg_load(int fd, size_t max, struct msg *m);
void msg_free(struct msg *m);

/* Write all of p[0..n) to fd, retrying short writes and EINTR. */
int write_all(int fd, const void *p, size_t n);

#endif
