/* smtpc: see smtpc.h */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <tls.h>

#include "buf.h"
#include "diag.h"
#include "smtpc.h"

static unsigned
tmo(const struct smtpc *c, unsigned t)
{
	return c->scale > 1 ? (t / c->scale ? t / c->scale : 1) : t;
}

int
smtpc_open(struct smtpc *c, const struct sockaddr_storage *a, unsigned timeout)
{
	socklen_t len = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                         : sizeof(struct sockaddr_in);
	struct pollfd p;
	int fd, err, one = 1, fl;
	socklen_t el = sizeof err;
	unsigned scale = c->scale;

	memset(c, 0, sizeof *c);
	c->scale = scale;
	c->fd = -1;
	c->code = -1;
	if (a->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, c->peer, sizeof c->peer);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, c->peer, sizeof c->peer);
	if ((fd = socket(a->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)a, len) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		p.fd = fd;
		p.events = POLLOUT;
		if ((err = poll(&p, 1, (int)timeout * 1000)) <= 0) {
			errno = err == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
	}
	/* Replies and commands are small: no Nagle delay on them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	c->fd = fd;
	io_init(&c->io, fd, fd, tmo(c, SMTPC_T_GREETING));
	return smtpc_reply(c, SMTPC_T_GREETING);
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
smtpc_send(struct smtpc *c, int flush, const char *fmt, ...)
{
	char line[1100];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof line - 2) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(line + r, "\r\n", 2);
	if (io_write(&c->io, line, (size_t)r + 2) < 0)
		return -1;
	return flush ? io_flush(&c->io) : 0;
}

int
smtpc_reply(struct smtpc *c, unsigned timeout)
{
	struct buf line = BUF_INIT;
	size_t used = 0, l;
	int toolong, r, code = -1, lines = 0;

	c->io.timeout = tmo(c, timeout);
	if (io_flush(&c->io) < 0) {
		snprintf(c->reply, sizeof c->reply, "connection lost: %s", strerror(errno));
		return c->code = -1;
	}
	c->reply[0] = '\0';
	for (;;) {
		buf_reset(&line);
		r = io_getline(&c->io, &line, 2048, &toolong);
		if (r <= 0) {
			snprintf(c->reply, sizeof c->reply, "%s",
			    r == 0 ? "connection closed" : errno == ETIMEDOUT ? "timeout"
			    : strerror(errno));
			buf_free(&line);
			return c->code = -1;
		}
		l = line.len;
		while (l && (line.p[l - 1] == '\n' || line.p[l - 1] == '\r'))
			l--;
		if (l < 3 || line.p[0] < '2' || line.p[0] > '5' ||
		    line.p[1] < '0' || line.p[1] > '9' || line.p[2] < '0' || line.p[2] > '9' ||
		    (l > 3 && line.p[3] != ' ' && line.p[3] != '-')) {
			snprintf(c->reply, sizeof c->reply, "malformed reply");
			buf_free(&line);
			return c->code = -1;
		}
		code = (line.p[0] - '0') * 100 + (line.p[1] - '0') * 10 + (line.p[2] - '0');
		/* Collect the text (sanitized) of the first lines. */
		if (used + 8 < sizeof c->reply && lines++ < 4) {
			if (used) {
				strlcpy(c->reply + used, " / ", sizeof c->reply - used);
				used += 3;
			}
			ms_sanitize(c->reply + used, sizeof c->reply - used, line.p, l);
			used = strlen(c->reply);
		}
		if (c->caps & 0x80000000u) {	/* inside EHLO: note extensions */
			const char *k = line.p + 4;
			size_t kl = l > 4 ? l - 4 : 0;
			if (kl >= 10 && strncasecmp(k, "PIPELINING", 10) == 0)
				c->caps |= SMTPC_PIPELINING;
			else if (kl >= 8 && strncasecmp(k, "8BITMIME", 8) == 0)
				c->caps |= SMTPC_8BITMIME;
			else if (kl >= 8 && strncasecmp(k, "STARTTLS", 8) == 0)
				c->caps |= SMTPC_STARTTLS;
			else if (kl >= 4 && strncasecmp(k, "SIZE", 4) == 0) {
				c->caps |= SMTPC_SIZE;
				c->maxsize = kl > 5 ? strtoull(k + 5, NULL, 10) : 0;
			}
		}
		if (l == 3 || line.p[3] == ' ')
			break;
	}
	buf_free(&line);
	return c->code = code;
}

int
smtpc_hello(struct smtpc *c, const char *myname)
{
	int code;

	c->caps = 0x80000000u;
	c->maxsize = 0;
	if (smtpc_send(c, 1, "EHLO %s", myname) < 0)
		return -1;
	code = smtpc_reply(c, SMTPC_T_MAIL);
	c->caps &= ~0x80000000u;
	if (code >= 500 && code < 600) {
		c->caps = 0;
		if (smtpc_send(c, 1, "HELO %s", myname) < 0)
			return -1;
		code = smtpc_reply(c, SMTPC_T_MAIL);
	} else if (code / 100 != 2)
		c->caps = 0;
	return code;
}

int
smtpc_starttls(struct smtpc *c, struct tls_config *cfg, const char *servername)
{
	struct tls *t;

	if (smtpc_send(c, 1, "STARTTLS") < 0 || smtpc_reply(c, SMTPC_T_MAIL) != 220) {
		if (c->code != -1) {
			char r[sizeof c->reply];
			strlcpy(r, c->reply, sizeof r);
			snprintf(c->reply, sizeof c->reply, "STARTTLS refused: %.400s", r);
		}
		return -1;
	}
	if ((t = tls_client()) == NULL || tls_configure(t, cfg) < 0) {
		snprintf(c->reply, sizeof c->reply, "TLS setup failed");
		tls_free(t);
		return -1;
	}
	c->io.timeout = tmo(c, SMTPC_T_MAIL);
	if (io_starttls_client(&c->io, t, servername) < 0) {
		snprintf(c->reply, sizeof c->reply, "TLS handshake failed: %s", io_tlserror(&c->io));
		return -1;
	}
	return 0;
}

int
smtpc_data(struct smtpc *c, const char *msg, size_t n)
{
	size_t i = 0, s;
	const char *lf;

	c->io.timeout = tmo(c, SMTPC_T_BLOCK);
	while (i < n) {
		s = i;
		lf = memchr(msg + i, '\n', n - i);
		i = lf ? (size_t)(lf - msg) : n;
		if (msg[s] == '.' && io_write(&c->io, ".", 1) < 0)
			return -1;
		/* a line already ending in CRLF keeps its CR */
		if (io_write(&c->io, msg + s, i - s - (i > s && msg[i - 1] == '\r')) < 0 ||
		    io_write(&c->io, "\r\n", 2) < 0)
			goto lost;
		if (lf)
			i++;
	}
	if (io_write(&c->io, ".\r\n", 3) < 0)
		goto lost;
	return smtpc_reply(c, SMTPC_T_DOT);
lost:
	snprintf(c->reply, sizeof c->reply, "connection lost during data: %s", strerror(errno));
	return c->code = -1;
}

void
smtpc_close(struct smtpc *c)
{
	if (c->fd < 0)
		return;
	if (c->code != -1 && smtpc_send(c, 1, "QUIT") == 0)
		smtpc_reply(c, 10);
	if (c->io.tls) {
		tls_close(c->io.tls);
		tls_free(c->io.tls);
		c->io.tls = NULL;
	}
	close(c->fd);
	c->fd = -1;
}

int
smtpc_attach(struct smtpc *c, int rfd, int wfd, const char *peer)
{
	unsigned scale = c->scale;

	memset(c, 0, sizeof *c);
	c->scale = scale;
	c->fd = rfd;
	c->code = -1;
	strlcpy(c->peer, peer, sizeof c->peer);
	io_init(&c->io, rfd, wfd, tmo(c, SMTPC_T_GREETING));
	return smtpc_reply(c, SMTPC_T_GREETING);
}

static int
has8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

static void
all(struct smtpc *c, struct smtpc_rcpt *r, size_t n, int only_pending)
{
	for (size_t i = 0; i < n; i++) {
		if (only_pending && r[i].code != 0)
			continue;
		r[i].code = c->code;
		snprintf(r[i].why, sizeof r[i].why, "%s: %s", c->peer, c->reply);
	}
}

int
smtpc_transaction(struct smtpc *c, const char *sender, struct smtpc_rcpt *r,
    size_t n, const char *msg, size_t len)
{
	size_t i, accepted = 0;
	int code, pipelined = (c->caps & SMTPC_PIPELINING) != 0;

	for (i = 0; i < n; i++) {
		r[i].code = 0;
		r[i].why[0] = '\0';
	}
	if ((c->caps & SMTPC_SIZE) && c->maxsize && len > c->maxsize) {
		for (i = 0; i < n; i++) {
			r[i].code = 552;
			snprintf(r[i].why, sizeof r[i].why,
			    "%s: 5.3.4 message too big for the server (%llu)", c->peer, c->maxsize);
		}
		return 1;
	}
	if (smtpc_send(c, !pipelined, "MAIL FROM:<%s>%s", sender,
	    ((c->caps & SMTPC_8BITMIME) && has8bit(msg, len)) ? " BODY=8BITMIME" : "") < 0)
		goto lost;
	if (!pipelined && (code = smtpc_reply(c, SMTPC_T_MAIL)) / 100 != 2) {
		all(c, r, n, 0);
		return code / 100 == 5;
	}
	for (i = 0; i < n; i++) {
		if (smtpc_send(c, !pipelined, "RCPT TO:<%s>", r[i].addr) < 0)
			goto lost;
		if (!pipelined) {
			r[i].code = smtpc_reply(c, SMTPC_T_RCPT);
			snprintf(r[i].why, sizeof r[i].why, "%s: %s", c->peer, c->reply);
		}
	}
	if (pipelined) {
		if (smtpc_send(c, 1, "DATA") < 0)
			goto lost;
		if ((code = smtpc_reply(c, SMTPC_T_MAIL)) / 100 != 2) {
			/* MAIL refused: read the rest, all share its fate */
			int mail = code;
			char why[sizeof c->reply];
			strlcpy(why, c->reply, sizeof why);
			for (i = 0; i < n && code >= 0; i++)
				code = smtpc_reply(c, SMTPC_T_RCPT);
			if (code >= 0)
				smtpc_reply(c, SMTPC_T_DATA);
			c->code = mail;
			strlcpy(c->reply, why, sizeof c->reply);
			all(c, r, n, 0);
			return mail / 100 == 5;
		}
		for (i = 0; i < n; i++) {
			r[i].code = smtpc_reply(c, SMTPC_T_RCPT);
			snprintf(r[i].why, sizeof r[i].why, "%s: %s", c->peer, c->reply);
		}
	}
	for (i = 0; i < n; i++) {
		if (r[i].code < 0)
			goto lost;
		if (r[i].code / 100 == 2) {
			accepted++;
			r[i].code = 0;	/* pending: DATA decides */
		}
	}
	if (!pipelined && accepted && smtpc_send(c, 1, "DATA") < 0)
		goto lost;
	code = (accepted || pipelined) ? smtpc_reply(c, SMTPC_T_DATA) : 0;
	if (accepted == 0)
		return 1;
	if (code != 354) {
		all(c, r, n, 1);
		return code / 100 == 5;
	}
	code = smtpc_data(c, msg, len);
	all(c, r, n, 1);
	/* a connection lost during data: another server may do better */
	return code >= 0;
lost:
	for (i = 0; i < n; i++)
		if (r[i].code <= 0 || r[i].code / 100 == 2) {
			r[i].code = -1;
			snprintf(r[i].why, sizeof r[i].why, "%s: %s", c->peer,
			    c->reply[0] ? c->reply : "connection lost");
		}
	return 0;
}
