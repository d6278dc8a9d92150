/* uu: uuencoded blocks inside text, as old mailers and news posts carry
 * files: "begin MODE NAME", lines of encoded data, "end"; or the POSIX
 * "begin-base64 MODE NAME", base64 lines, "====".  Pure functions over
 * (const char *, size_t), several blocks per text, linear in the text. */
#ifndef MS_UU_H
#define MS_UU_H

#include <stddef.h>

struct buf;

struct uu_block {
	size_t off, len;	/* from the begin line through the end line */
	size_t dataoff, datalen;	/* the encoded lines */
	const char *name;	/* the name on the begin line, in the text */
	size_t namelen;
	int base64;		/* begin-base64 */
	int truncated;		/* no end line: the block stops at a line that is not data */
};

/* Find the next block at or after *pos in p[0..n): 1 with *b filled and
 * *pos moved past the block; 0 when there is none (*pos = n).  A begin line
 * is taken only when at least one data line or the end line follows it. */
int uu_next(const char *p, size_t n, size_t *pos, struct uu_block *b);

/* Append the decoded data of block b (found in p[0..n)) to out.  *bad is
 * set when a line is shorter than its length character says (the missing
 * characters count as zero bits, as for stripped trailing blanks) or, for
 * begin-base64, when the data ends in the middle of a group.  -1 only on
 * ENOMEM. */
int uu_decode(const char *p, size_t n, const struct uu_block *b,
    struct buf *out, int *bad);

#endif
