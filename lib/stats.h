/* stats: known and unknown recipients per client address, over a sliding
 * window, shared by every ms-smtpd session and ms-subscriber (writers) and
 * ms-trust (reader).
 *
 * One small file per address in a directory (default $MS_SPOOL/trust/stats),
 * a fixed 64-byte record updated in place under flock(2): concurrent
 * sessions lose no count, a crash loses at most the update it was making,
 * and nothing needs a server or a library beyond the file system.  The
 * window is two buckets, the current one and the one before, so "the last
 * window" is counted to within one window's length.
 */
#ifndef MS_STATS_H
#define MS_STATS_H

#include <stddef.h>
#include <time.h>

struct stats {
	unsigned long known, unknown;	/* both buckets added up */
	time_t since;			/* the start of the older bucket */
};

/* The directory: $MS_TRUST_STATS, or $MS_SPOOL/trust/stats. */
int stats_dir(char *dst, size_t dstsz);

/* Add to the counts of ip.  -1 with errno. */
int stats_add(const char *dir, const char *ip, unsigned long known,
    unsigned long unknown, unsigned window);

/* The counts of ip; all zero when it has none.  -1 with errno. */
int stats_get(const char *dir, const char *ip, unsigned window, struct stats *st);

#endif
