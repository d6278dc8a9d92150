/* msg: see msg.h */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "msg.h"

static char empty[1];

int
msg_load(int fd, size_t max, struct msg *m)
{
	struct stat st;
	size_t cap, len = 0, lim;
	char *p = NULL, *np;
	ssize_t r;
	void *mp;

	memset(m, 0, sizeof *m);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0) {
		if ((unsigned long long)st.st_size > max) {
			errno = EMSGSIZE;
			return -1;
		}
		if (st.st_size == 0) {
			m->p = empty;
			return 0;
		}
		mp = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (mp != MAP_FAILED) {
			m->p = mp;
			m->len = m->maplen = (size_t)st.st_size;
			return 0;
		}
		/* fall back to reading */
	}
	/* One byte more than max tells "too long". */
	lim = max < SIZE_MAX ? max + 1 : SIZE_MAX;
	cap = 0;
	for (;;) {
		if ((np = grow_max(p, len, &cap, 1, 65536, lim)) == NULL) {
			free(p);
			return -1;
		}
		p = np;
		r = read(fd, p + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(p);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			free(p);
			errno = EMSGSIZE;
			return -1;
		}
	}
	m->p = p;
	m->len = len;
	m->cap = cap;
	return 0;
}

void
msg_free(struct msg *m)
{
	if (m->maplen)
		munmap(m->p, m->maplen);
	else if (m->cap)
		free(m->p);
	memset(m, 0, sizeof *m);
}

int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
