/* io: buffered line I/O on a pair of descriptors (tcpserver's 0 and 1, or
 * a socket), optionally through libtls, with a timeout on every wait.
 * For the SMTP and POP3 programs, server and client side. */
#ifndef MS_IO_H
#define MS_IO_H

#include <stddef.h>

struct buf;
struct tls;

#define IO_BUFSZ 16384

struct io {
	int rfd, wfd;
	struct tls *tls;	/* NULL: plain */
	unsigned timeout;	/* seconds to wait for each read or write */
	int crlf;		/* the last line io_getline() read ended in CRLF,
				 * even if it was too long to keep whole */
	size_t rpos, rlen;
	size_t wlen;
	char rbuf[IO_BUFSZ];
	char wbuf[IO_BUFSZ];
};

void io_init(struct io *io, int rfd, int wfd, unsigned timeout);

/* Append one line, up to and including its LF, to line.  At most max bytes
 * are kept; the rest of a longer line is read and dropped, and *toolong is
 * set.  1: a line (the last one may lack its LF at EOF); 0: EOF; -1: error
 * (ETIMEDOUT, EPROTO for TLS, or read's errno). */
int io_getline(struct io *io, struct buf *line, size_t max, int *toolong);

/* Bytes read from the peer but not yet consumed. */
size_t io_pending(const struct io *io);
/* Drop them: after STARTTLS nothing sent in plaintext may be used. */
void io_discard(struct io *io);

int io_write(struct io *io, const void *p, size_t n);
int io_puts(struct io *io, const char *s);
int io_flush(struct io *io);

/* Server side of TLS over the io's descriptors with a configured
 * libtls server context.  -1 with errno EPROTO; io_tlserror() tells why. */
int io_starttls_server(struct io *io, struct tls *server);
/* Client side, checking the peer's name when servername is not NULL. */
int io_starttls_client(struct io *io, struct tls *client, const char *servername);
const char *io_tlserror(const struct io *io);
void io_close_tls(struct io *io);

#endif
