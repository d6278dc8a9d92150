/* table: the lists looked up per message (routes, subscribers, trust),
 * compiled from a control file into a cdb (tinycdb) for constant-time
 * lookups.  Source lines are "key" or "key value" (value: the rest of the
 * line); keys are lower-cased; the first line for a key wins.
 * table_compile() writes FILE.cdb atomically (FILE.cdb.tmp.PID, fsync,
 * rename), so a
 * running program sees the old table or the new one, never half of one. */
#ifndef MS_TABLE_H
#define MS_TABLE_H

#include <stddef.h>
#include <sys/types.h>

#include <cdb.h>

struct table {
	int fd;
	struct cdb cdb;
	ino_t ino;	/* to notice a recompiled file */
	char path[4096];
};

/* Compile src into dst (dst.tmp then rename).  With TABLE_PREFIX the
 * keys are addresses or prefixes, stored as cidr_key() writes them.
 * Returns the number of keys, -1 with errno (EINVAL: *badline is the line
 * of a key longer than 1024 bytes, or of a bad prefix). */
#define TABLE_PREFIX 1
long table_compile(const char *src, const char *dst, int flags, size_t *badline);

/* Open path (the .cdb).  -1 with errno; ENOENT when there is none. */
int table_open(struct table *t, const char *path);
/* Reopen if the file was replaced since it was opened. */
int table_refresh(struct table *t);
void table_close(struct table *t);

/* Look key up (case-insensitive).  1 found (value copied, NUL-terminated,
 * into val, truncated to valsz - 1), 0 not found, -1 error. */
int table_get(struct table *t, const char *key, size_t klen, char *val, size_t valsz);

/* Is addr in a table of addresses and "@domain" entries (subscribers)?
 * The address is looked up whole, then as "@domain".  1 yes, 0 no, -1
 * error. */
int table_has_address(struct table *t, const char *addr, size_t n);

/* The longest prefix in a TABLE_PREFIX table that holds the address ip:
 * 1 found (its value in val), 0 none, -1 error (EINVAL: ip is not an
 * address). */
int table_prefix(struct table *t, const char *ip, char *val, size_t valsz);

#endif
