/* buf: a growable byte buffer.  Bytes are bytes: no terminator is assumed,
 * though buf_cstr() adds one (not counted in len) for callers that need it. */
#ifndef MS_BUF_H
#define MS_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for n more bytes.  -1 with errno ENOMEM/EOVERFLOW on failure;
 * the buffer is left as it was. */
int buf_reserve(struct buf *b, size_t n);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminate (without counting it) and return b->p, or NULL on ENOMEM. */
char *buf_cstr(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
