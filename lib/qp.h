/* qp: quoted-printable (RFC 2045 6.7), a tolerant decoder for mail and an
 * encoder for the text parts mailscan writes itself. */
#ifndef MS_QP_H
#define MS_QP_H

#include <stddef.h>

struct buf;

/* Append the decoding of s[0..n) to out.  "=XY" (hex digits of either
 * case) is one byte; "=" followed by optional blanks and a line end (LF or
 * CRLF) or the end of input is a soft line break and disappears; blanks
 * before a hard line end are transport padding and disappear; line ends are
 * kept as they are.  Any other "=" is kept literally and sets *bad (if not
 * NULL).  -1 only on ENOMEM. */
int qp_decode(const char *s, size_t n, struct buf *out, int *bad);

/* Append the encoding of p[0..n) to out: an LF in p (with or without a CR
 * before it) is a hard line break written as eol; lines are kept under 76
 * characters with soft breaks.  -1 on ENOMEM. */
int qp_encode(const char *p, size_t n, const char *eol, struct buf *out);

/* The value of one hex digit (either case), or -1. */
int qp_hexval(unsigned char c);

#endif
