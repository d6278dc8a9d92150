/* base64: RFC 4648 encoding, a strict decoder for our own fields and a
 * tolerant one for mail (RFC 2045 6.8: line breaks and junk ignored). */
#ifndef MS_BASE64_H
#define MS_BASE64_H

#include <stddef.h>

struct buf;

/* Append the encoding of p[0..n) to out, no line breaks. */
int b64_encode(const void *p, size_t n, struct buf *out);

/* Append the encoding of p[0..n) for a MIME body: lines of 76
 * characters, each ended by eol (the last one too). */
int b64_encode_lines(const void *p, size_t n, const char *eol, struct buf *out);

/* Strict: only the alphabet, correct padding, nothing else.  -1 with
 * errno EBADMSG on anything else, ENOMEM. */
int b64_decode_strict(const char *s, size_t n, struct buf *out);

/* Tolerant: characters outside the alphabet are skipped; decoding stops at
 * the first '=' pad.  *truncated (if not NULL) is set when the input ends
 * in the middle of a 4-character group (the partial group is decoded as
 * far as it goes).  -1 only on ENOMEM. */
int b64_decode_mail(const char *s, size_t n, struct buf *out, int *truncated);

#endif
