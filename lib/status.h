/* status: the X-Mailscan-Status field that ms-stamp writes and ms-verify
 * trusts (see mailscan(7), ms-stamp(8)):
 *
 *   X-Mailscan-Status: clean; by=HOST; engines=E1,E2; t=UNIXTIME;
 *	bh=BASE64(SHA-256); s=BASE64(Ed25519 signature)
 *
 * The signature covers status_canon(): a fixed prefix and the fields in a
 * fixed order, rebuilt from the parsed values, so refolding or re-spacing
 * the field by an MTA keeps it valid.  bh covers the MIME-defining fields
 * (Content-Type, Content-Transfer-Encoding) and the body, with line ends
 * normalised (CRLF = LF = a bare CR) and trailing empty lines ignored.  The parser and
 * the hash are pure functions.
 */
#ifndef MS_STATUS_H
#define MS_STATUS_H

#include <stddef.h>

struct buf;

#define STATUS_FIELD "X-Mailscan-Status"

struct status {
	char status[16];	/* clean cleaned infected unscanned released */
	char by[256];
	char engines[512];
	long long t;
	char bh[48];		/* base64 of 32 bytes: 44 characters */
	char s[96];		/* base64 of 64 bytes: 88 characters; "" before signing */
};

/* Is w one of the five status words? */
int status_word_ok(const char *w);

/* Parse a field value (folded or not).  0, or -1 with errno EBADMSG: an
 * unknown status word or tag, a tag twice or missing, a value too long or
 * with characters outside printable ASCII, ';' or white space. */
int status_parse(const char *v, size_t n, struct status *st);

/* Append the signed text of st (without s). */
int status_canon(const struct status *st, struct buf *out);

/* Append the whole field, "X-Mailscan-Status: ...\n", folded before bh. */
int status_format(const struct status *st, struct buf *out);

/* SHA-256 over the message proper's MIME-defining fields and body, base64
 * into bh (at least 45 bytes). */
int status_bodyhash(const char *msg, size_t n, char *bh, size_t bhsz);

#endif
