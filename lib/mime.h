/* mime: a bounded, binary-safe walk of a message as a tree of parts.
 *
 * mime_walk() takes the message proper (env_parse()'s msgoff strips the
 * envelope block) and calls leaf() once for every leaf, in walk order
 * (depth first, as the parts appear): every MIME part that is neither
 * multipart nor message/rfc822, and every uuencoded block found in the
 * decoded text of a leaf, right after that leaf.  A multipart (any
 * subtype) is split at its boundary, preamble and epilogue skipped; a
 * message/rfc822 (also message/global and message/news) is walked as a
 * message of its own.
 * Lines may end in LF or CRLF anywhere.  Pure: no I/O, no global state;
 * memory only for the walk's own buffers.
 *
 * Every input is bounded by struct mime_limits.  When a limit is hit the
 * walk stops delivering and res->limit says which: the parts not walked
 * were not scanned, so the caller must never count the message as clean.
 * A malformed structure is walked as well as it can be, and what was odd
 * about it is set in res->anomalies; a caller may take that as the cue for
 * a second, whole-message pass through its engine.
 *
 * Nesting is followed with an explicit stack, never by recursion.  The
 * work is linear in the size of the message for each level of nesting:
 * O(n * depth limit) at worst.
 */
#ifndef MS_MIME_H
#define MS_MIME_H

#include <stddef.h>

struct buf;

struct mime_limits {
	size_t depth;	/* deepest nesting walked; the message is 0 (20) */
	size_t parts;	/* parts: containers, leaves and uu blocks (1000) */
	size_t factor;	/* decoded bytes allowed per byte of message (10) */
	size_t decoded;	/* absolute cap on the decoded bytes (512 MiB) */
	size_t header;	/* largest header block of one part (256 KiB) */
};

/* Fill in the defaults above. */
void mime_limits_default(struct mime_limits *l);

/* res->limit: the limit that stopped the walk. */
enum {
	MIME_LIMIT_NONE = 0,
	MIME_LIMIT_DEPTH,
	MIME_LIMIT_PARTS,
	MIME_LIMIT_DECODED,
	MIME_LIMIT_HEADER,
};

/* mime_part.kind */
enum {
	MIME_KIND_PART = 0,	/* a MIME leaf */
	MIME_KIND_UU,		/* a uuencoded block in the text of a leaf */
};

/* mime_part.flags */
#define MIME_F_MESSAGE    0x01	/* the part (for an indirect uu block: its
				 * carrier) is a whole message: its header is
				 * a message header */
#define MIME_F_TRUNCATED  0x02	/* base64 ends mid-group; uu block without end */
#define MIME_F_BADDATA    0x04	/* invalid QP "=", uu line length wrong,
				 * data after base64 padding */
#define MIME_F_UNKNOWNENC 0x08	/* unknown transfer encoding: data as it is */
#define MIME_F_INDIRECT   0x10	/* uu block in base64/QP text: off, len,
				 * bodyoff and bodylen are its carrier's */
#define MIME_F_BASE64     0x20	/* uu block is begin-base64 */
#define MIME_F_NOBOUNDARY 0x40	/* a multipart walked as one leaf */
#define MIME_F_ENCODED    0x80	/* a message/rfc822 with a transfer encoding,
				 * delivered decoded as one leaf */

/* mime_result.anomalies */
#define MIME_A_BOUNDARY  0x001	/* multipart: boundary absent, empty or never
				 * found, no part before the close, or parts
				 * after it (they are walked) */
#define MIME_A_NOCLOSE   0x002	/* multipart without its close delimiter */
#define MIME_A_NESTED    0x004	/* a nested boundary is a prefix of an outer
				 * one (or the reverse), or a line starts with
				 * a delimiter and goes on with other text */
#define MIME_A_HEADER    0x008	/* a header block not ended by an empty line;
				 * an mbox "From " line first (skipped) */
#define MIME_A_DUPLICATE 0x010	/* Content-Type, -Transfer-Encoding or
				 * -Disposition twice, or a parameter twice */
#define MIME_A_TYPE      0x020	/* Content-Type unparsable (the default was
				 * used), or a token longer than MIME_TOKMAX */
#define MIME_A_ENCODING  0x040	/* unknown transfer encoding, one on a
				 * multipart or message, data after base64
				 * padding */
#define MIME_A_TRUNCATED 0x080	/* a leaf or uu block was truncated */
#define MIME_A_PARAM     0x100	/* malformed parameters: junk, an open quote,
				 * a comment, bad RFC 2231 sections */

#define MIME_TOKMAX 128		/* room for a type, subtype, charset, encoding */

struct mime_part {
	size_t index;		/* walk order of the leaves, from 1 */
	size_t depth;		/* nesting; 0: the message itself */
	int kind;		/* MIME_KIND_* */
	unsigned flags;		/* MIME_F_* */
	char type[MIME_TOKMAX];	/* lower case, e.g. "application" */
	char subtype[MIME_TOKMAX];	/* lower case, e.g. "octet-stream" */
	char charset[MIME_TOKMAX];	/* lower case; "" when none */
	char encoding[MIME_TOKMAX];	/* transfer encoding, lower case; "" when none */
	const char *name;	/* file name: UTF-8, or raw bytes in another
				 * charset; may hold NUL; NULL when none */
	size_t namelen;
	size_t off, len;	/* the part, header and body, in the input; a
				 * uu block: from its begin through its end line */
	size_t bodyoff, bodylen;	/* the raw body; a uu block: its data lines */
	const char *data;	/* the decoded bytes */
	size_t datalen;
	size_t carrier;		/* uu block: index of the leaf that holds it */
	size_t textoff, textlen;	/* uu block: where it is in the carrier's data */
};

struct mime_result {
	size_t parts;		/* parts seen: containers, leaves, uu blocks */
	size_t leaves;		/* leaves delivered */
	size_t depth;		/* deepest nesting seen */
	size_t decoded;		/* decoded bytes delivered */
	int limit;		/* MIME_LIMIT_*: what stopped the walk */
	unsigned anomalies;	/* MIME_A_* */
	int stopped;		/* leaf() stopped the walk */
};

/* Walk msg[0..n) and call leaf(arg, part) for every leaf.  The part and
 * everything it points to (name, data) are valid only during the call:
 * data points into msg or into one buffer the walk reuses.  leaf() returns
 * 0 to go on, anything else to stop the walk.  lim NULL: the defaults.
 * Returns 0 when the walk ended (check res->limit!), leaf()'s value when
 * it stopped the walk, -1 with errno ENOMEM. */
int mime_walk(const char *msg, size_t n, const struct mime_limits *lim,
    int (*leaf)(void *arg, const struct mime_part *part), void *arg,
    struct mime_result *res);

/* Append msg[0..n) to out with msg[off..off+len) replaced by
 * newpart[0..newlen): every other byte unchanged.  -1 with errno EINVAL
 * (the range is not within msg) or ENOMEM.  To replace several parts,
 * build the notices during the walk and replace the last one first (or
 * walk the result again): ranges are offsets into msg.  A uu block's range
 * lies inside its carrier's: replace one or the other, not both. */
int mime_replace(const char *msg, size_t n, size_t off, size_t len,
    const char *newpart, size_t newlen, struct buf *out);

/* Append to out what replaces part p (as delivered by mime_walk over
 * msg[0..n), so call it from leaf() or keep name valid) at p->off,
 * p->len: a text/plain part saying "... was removed: REASON" that takes
 * the place of the part in its multipart or message (its header fields
 * other than Content-* are kept); for a uu block in plain text, one line
 * of text in its place.  Line ends follow the message's.  -1 on ENOMEM. */
int mime_notice(const char *msg, size_t n, const struct mime_part *p,
    const char *reason, size_t reasonlen, struct buf *out);

/* A short name for a MIME_LIMIT_* value ("depth", ...) or for one
 * MIME_A_* bit ("boundary", ...); NULL for anything else. */
const char *mime_limit_name(int limit);
const char *mime_anomaly_name(unsigned bit);

#endif
