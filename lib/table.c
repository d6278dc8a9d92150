/* table: see table.h */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "control.h"
#include "table.h"

#define KEYMAX 1024

struct compilectx {
	struct cdb_make cm;
	long keys;
	size_t badline;
	int flags;
};

static int
addline(void *arg, const char *line, size_t n, size_t lineno)
{
	struct compilectx *c = arg;
	char key[KEYMAX];
	size_t kl = 0, v;
	int r;

	while (kl < n && line[kl] != ' ' && line[kl] != '\t')
		kl++;
	if (kl > KEYMAX) {
		c->badline = lineno;
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < kl; i++)
		key[i] = (char)tolower((unsigned char)line[i]);
	v = kl;		/* the value starts after the key as written */
	while (v < n && (line[v] == ' ' || line[v] == '\t'))
		v++;
	if (c->flags & TABLE_PREFIX) {
		struct cidr p;
		if (cidr_parse(key, kl, &p) < 0 || cidr_key(&p, key, sizeof key) < 0) {
			c->badline = lineno;
			errno = EINVAL;
			return -1;
		}
		kl = strlen(key);
	}
	r = cdb_make_put(&c->cm, key, (unsigned)kl, line + v, (unsigned)(n - v), CDB_PUT_INSERT);
	if (r < 0)
		return -1;
	if (r == 0)
		c->keys++;
	return 0;
}

long
table_compile(const char *src, const char *dst, int flags, size_t *badline)
{
	char tmp[4200];
	struct compilectx c;
	int fd, e;

	memset(&c, 0, sizeof c);
	c.flags = flags;
	/* A temporary file of our own: two compilers of one table never
	 * write into the same one, and the last rename wins whole. */
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 &&
	    !(errno == EEXIST && unlink(tmp) == 0 &&
	    (fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0))
		return -1;
	if (cdb_make_start(&c.cm, fd) < 0)
		goto fail;
	if (control_each(src, 0, addline, &c) < 0)
		goto fail;
	if (cdb_make_finish(&c.cm) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) < 0)
		goto fail;
	return c.keys;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	if (badline)
		*badline = c.badline;
	errno = e;
	return -1;
}

int
table_open(struct table *t, const char *path)
{
	struct stat st;

	memset(t, 0, sizeof *t);
	t->fd = -1;
	if (strlcpy(t->path, path, sizeof t->path) >= sizeof t->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((t->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(t->fd, &st) < 0 || cdb_init(&t->cdb, t->fd) < 0) {
		close(t->fd);
		t->fd = -1;
		errno = errno ? errno : EINVAL;
		return -1;
	}
	t->ino = st.st_ino;
	return 0;
}

int
table_refresh(struct table *t)
{
	struct stat st;
	struct table n;

	if (stat(t->path, &st) == 0 && st.st_ino == t->ino)
		return 0;
	if (table_open(&n, t->path) < 0)
		return -1;
	table_close(t);
	*t = n;
	return 0;
}

void
table_close(struct table *t)
{
	if (t->fd >= 0) {
		cdb_free(&t->cdb);
		close(t->fd);
	}
	t->fd = -1;
}

int
table_get(struct table *t, const char *key, size_t klen, char *val, size_t valsz)
{
	char k[KEYMAX];
	unsigned vl;
	int r;

	if (klen > KEYMAX || valsz == 0)
		return 0;
	for (size_t i = 0; i < klen; i++)
		k[i] = (char)tolower((unsigned char)key[i]);
	if ((r = cdb_find(&t->cdb, k, (unsigned)klen)) <= 0)
		return r < 0 ? -1 : 0;
	vl = cdb_datalen(&t->cdb);
	if (vl > valsz - 1)
		vl = (unsigned)(valsz - 1);
	if (cdb_read(&t->cdb, val, vl, cdb_datapos(&t->cdb)) < 0)
		return -1;
	val[vl] = '\0';
	return 1;
}

int
table_has_address(struct table *t, const char *addr, size_t n)
{
	char v[8];
	const char *at;
	int r;

	if ((r = table_get(t, addr, n, v, sizeof v)) != 0)
		return r;
	at = memrchr(addr, '@', n);
	if (at == NULL || at + 1 == addr + n)
		return 0;
	return table_get(t, at, n - (size_t)(at - addr), v, sizeof v);
}

int
table_prefix(struct table *t, const char *ip, char *val, size_t valsz)
{
	struct cidr c;
	char key[80];
	int r;

	if (cidr_parse(ip, strlen(ip), &c) < 0)
		return -1;
	/* from the address itself down to /0: the first hit is the longest */
	for (int bits = (int)c.bits; bits >= 0; bits--) {
		c.bits = (unsigned)bits;
		if (cidr_key(&c, key, sizeof key) < 0)
			return -1;
		if ((r = table_get(t, key, strlen(key), val, valsz)) != 0)
			return r;
	}
	return 0;
}
