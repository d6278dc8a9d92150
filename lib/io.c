/* io: see io.h */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "buf.h"
#include "io.h"

void
io_init(struct io *io, int rfd, int wfd, unsigned timeout)
{
	io->rfd = rfd;
	io->wfd = wfd;
	io->tls = NULL;
	io->timeout = timeout;
	io->rpos = io->rlen = io->wlen = 0;
}

static int
wait_fd(int fd, short ev, unsigned timeout)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	for (;;) {
		r = poll(&p, 1, timeout ? (int)(timeout * 1000) : -1);
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static ssize_t
raw_read(struct io *io, char *p, size_t n)
{
	ssize_t r;

	for (;;) {
		if (io->tls) {
			r = tls_read(io->tls, p, n);
			if (r == TLS_WANT_POLLIN) {
				if (wait_fd(io->rfd, POLLIN, io->timeout) < 0)
					return -1;
				continue;
			}
			if (r == TLS_WANT_POLLOUT) {
				if (wait_fd(io->wfd, POLLOUT, io->timeout) < 0)
					return -1;
				continue;
			}
			if (r < 0)
				errno = EPROTO;
			return r;
		}
		if (wait_fd(io->rfd, POLLIN, io->timeout) < 0)
			return -1;
		r = read(io->rfd, p, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return r;
	}
}

static int
raw_write(struct io *io, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (io->tls) {
			w = tls_write(io->tls, p, n);
			if (w == TLS_WANT_POLLIN) {
				if (wait_fd(io->rfd, POLLIN, io->timeout) < 0)
					return -1;
				continue;
			}
			if (w == TLS_WANT_POLLOUT) {
				if (wait_fd(io->wfd, POLLOUT, io->timeout) < 0)
					return -1;
				continue;
			}
			if (w < 0) {
				errno = EPROTO;
				return -1;
			}
		} else {
			if (wait_fd(io->wfd, POLLOUT, io->timeout) < 0)
				return -1;
			w = write(io->wfd, p, n);
			if (w < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				return -1;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
io_getline(struct io *io, struct buf *line, size_t max, int *toolong)
{
	size_t kept = 0, take;
	const char *lf;
	ssize_t r;
	int got = 0;
	char prev = '\0';	/* the byte before the current chunk */

	*toolong = 0;
	io->crlf = 0;
	for (;;) {
		if (io->rpos == io->rlen) {
			r = raw_read(io, io->rbuf, sizeof io->rbuf);
			if (r < 0)
				return -1;
			if (r == 0)
				return got;
			io->rpos = 0;
			io->rlen = (size_t)r;
		}
		got = 1;
		lf = memchr(io->rbuf + io->rpos, '\n', io->rlen - io->rpos);
		take = lf ? (size_t)(lf - (io->rbuf + io->rpos)) + 1 : io->rlen - io->rpos;
		if (kept + take > max) {
			size_t room = max > kept ? max - kept : 0;
			if (room && buf_add(line, io->rbuf + io->rpos, room) < 0)
				return -1;
			kept += room;
			*toolong = 1;
		} else {
			if (buf_add(line, io->rbuf + io->rpos, take) < 0)
				return -1;
			kept += take;
		}
		if (lf)
			io->crlf = (take >= 2 ? io->rbuf[io->rpos + take - 2] : prev) == '\r';
		if (take)
			prev = io->rbuf[io->rpos + take - 1];
		io->rpos += take;
		if (lf)
			return 1;
	}
}

size_t
io_pending(const struct io *io)
{
	return io->rlen - io->rpos;
}

void
io_discard(struct io *io)
{
	io->rpos = io->rlen = 0;
}

int
io_flush(struct io *io)
{
	size_t n = io->wlen;

	io->wlen = 0;
	return n ? raw_write(io, io->wbuf, n) : 0;
}

int
io_write(struct io *io, const void *p, size_t n)
{
	if (io->wlen + n > sizeof io->wbuf) {
		if (io_flush(io) < 0)
			return -1;
		if (n > sizeof io->wbuf)
			return raw_write(io, p, n);
	}
	memcpy(io->wbuf + io->wlen, p, n);
	io->wlen += n;
	return 0;
}

int
io_puts(struct io *io, const char *s)
{
	return io_write(io, s, strlen(s));
}

static int
handshake(struct io *io)
{
	int r;

	for (;;) {
		r = tls_handshake(io->tls);
		if (r == 0)
			return 0;
		if (r == TLS_WANT_POLLIN) {
			if (wait_fd(io->rfd, POLLIN, io->timeout) < 0)
				return -1;
		} else if (r == TLS_WANT_POLLOUT) {
			if (wait_fd(io->wfd, POLLOUT, io->timeout) < 0)
				return -1;
		} else {
			errno = EPROTO;
			return -1;
		}
	}
}

/* TLS reads and writes through libtls on a blocking descriptor would
 * wait in read(2) with no timeout: make both non-blocking, so that every
 * wait is a poll() bounded by io->timeout. */
static void
nonblocking(struct io *io)
{
	fcntl(io->rfd, F_SETFL, fcntl(io->rfd, F_GETFL) | O_NONBLOCK);
	if (io->wfd != io->rfd)
		fcntl(io->wfd, F_SETFL, fcntl(io->wfd, F_GETFL) | O_NONBLOCK);
}

int
io_starttls_server(struct io *io, struct tls *server)
{
	struct tls *c = NULL;

	if (tls_accept_fds(server, &c, io->rfd, io->wfd) < 0) {
		errno = EPROTO;
		return -1;
	}
	io->tls = c;
	io_discard(io);
	nonblocking(io);
	return handshake(io);
}

int
io_starttls_client(struct io *io, struct tls *client, const char *servername)
{
	if (tls_connect_fds(client, io->rfd, io->wfd, servername) < 0) {
		errno = EPROTO;
		return -1;
	}
	io->tls = client;
	io_discard(io);
	nonblocking(io);
	return handshake(io);
}

const char *
io_tlserror(const struct io *io)
{
	const char *e = io->tls ? tls_error(io->tls) : NULL;
	return e ? e : "TLS failure";
}

void
io_close_tls(struct io *io)
{
	if (io->tls) {
		tls_close(io->tls);
		tls_free(io->tls);
		io->tls = NULL;
	}
}
