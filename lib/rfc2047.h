/* rfc2047: encoded-words in header values (=?charset?B?...?= and ?Q?) and
 * the charset conversion that file names need.  Only utf-8, us-ascii and
 * iso-8859-1 (with their common aliases) are converted to UTF-8; text in
 * any other charset is kept as the raw bytes it decodes to. */
#ifndef MS_RFC2047_H
#define MS_RFC2047_H

#include <stddef.h>

struct buf;

/* Append p[0..n), in charset cs[0..cslen), to out as UTF-8.  A language
 * suffix ("utf-8*en") is ignored.  1: the charset was known (converted or
 * copied); 0: unknown, the bytes were copied as they are; -1: ENOMEM. */
int cs_to_utf8(const char *cs, size_t cslen, const char *p, size_t n,
    struct buf *out);

/* Append s[0..n) to out with every well-formed encoded-word decoded and
 * converted by cs_to_utf8(); blanks between two adjacent encoded-words are
 * dropped; anything else, malformed encoded-words included, is copied as
 * it is.  Linear in n.  -1 only on ENOMEM. */
int rfc2047_decode(const char *s, size_t n, struct buf *out);

#endif
