/* pop3: see pop3.h */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tls.h>

#include "base64.h"
#include "buf.h"
#include "diag.h"
#include "pop3.h"

int
pop3_status(const char *line, size_t n, const char **text, size_t *textlen)
{
	size_t i;
	int ok;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n >= 3 && memcmp(line, "+OK", 3) == 0) {
		ok = 1;
		i = 3;
	} else if (n >= 4 && memcmp(line, "-ERR", 4) == 0) {
		ok = 0;
		i = 4;
	} else
		return -1;
	if (i < n && line[i] != ' ')
		return -1;
	while (i < n && line[i] == ' ')
		i++;
	*text = line + i;
	*textlen = n - i;
	return ok;
}

int
pop3_timestamp(const char *g, size_t n, char *ts, size_t tssz)
{
	const char *lt = memchr(g, '<', n), *gt, *at;

	if (lt == NULL)
		return 0;
	gt = memchr(lt, '>', n - (size_t)(lt - g));
	if (gt == NULL || (size_t)(gt - lt) + 2 > tssz)
		return 0;
	at = memchr(lt, '@', (size_t)(gt - lt));
	if (at == NULL)
		return 0;	/* RFC 1939 7: a msg-id, which has an @ */
	for (const char *c = lt; c <= gt; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
			return 0;
	memcpy(ts, lt, (size_t)(gt - lt) + 1);
	ts[gt - lt + 1] = '\0';
	return 1;
}

int
pop3_listing(const char *line, size_t n, unsigned long *num, const char **word,
    size_t *wordlen)
{
	size_t i = 0, s;
	unsigned long v = 0;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n == 0 || line[0] < '0' || line[0] > '9')
		return -1;
	for (; i < n && line[i] >= '0' && line[i] <= '9'; i++) {
		if (v > (~0UL - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long)(line[i] - '0');
	}
	if (i >= n || line[i] != ' ')
		return -1;
	while (i < n && line[i] == ' ')
		i++;
	s = i;
	while (i < n && line[i] != ' ')
		i++;
	if (i == s || i - s > 70)
		return -1;
	for (size_t k = s; k < i; k++)
		if ((unsigned char)line[k] < 0x21 || (unsigned char)line[k] > 0x7e)
			return -1;
	*num = v;
	*word = line + s;
	*wordlen = i - s;
	return 0;
}

static void
seterr(struct pop3 *p, int perm, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(struct pop3 *p, int perm, const char *fmt, ...)
{
	char raw[sizeof p->err];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	ms_sanitize(p->err, sizeof p->err, raw, strlen(raw));
	p->perm = perm;
}

/* One status line; 1 +OK, 0 -ERR (p->err has the text), -1 failure. */
static int
status(struct pop3 *p)
{
	struct buf line = BUF_INIT;
	const char *t;
	size_t tl;
	int toolong, r;

	r = io_getline(&p->io, &line, POP3_MAXLINE, &toolong);
	if (r <= 0) {
		seterr(p, 0, "%s", r == 0 ? "connection closed" :
		    errno == ETIMEDOUT ? "timeout" : strerror(errno));
		buf_free(&line);
		return -1;
	}
	r = pop3_status(line.p, line.len, &t, &tl);
	if (r < 0)
		seterr(p, 0, "malformed reply: %.*s", (int)(line.len > 80 ? 80 : line.len), line.p);
	else if (r == 0)
		seterr(p, 0, "-ERR %.*s", (int)(tl > 200 ? 200 : tl), t);
	else if (!p->greeted) {
		/* the greeting: keep the APOP timestamp */
		pop3_timestamp(line.p, line.len, p->ts, sizeof p->ts);
		p->greeted = 1;
	}
	buf_free(&line);
	return r;
}

int
pop3_open(struct pop3 *p, const char *host, const char *port,
    struct tls_config *tls, const char *servername, unsigned timeout)
{
	struct addrinfo hints, *res, *ai;
	struct pollfd pf;
	int fd = -1, r, err = 0, one = 1;
	socklen_t el = sizeof err;
	struct tls *t;

	memset(p, 0, sizeof *p);
	p->fd = -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		seterr(p, r == EAI_NONAME, "unable to resolve %s: %s", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pf.fd = fd;
			pf.events = POLLOUT;
			if (poll(&pf, 1, (int)timeout * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
				break;
			if (err == 0)
				err = ETIMEDOUT;
		} else
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		seterr(p, 0, "unable to connect to %s:%s: %s", host, port, strerror(err ? err : errno));
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	p->fd = fd;
	io_init(&p->io, fd, fd, timeout);
	if (tls) {
		if ((t = tls_client()) == NULL || tls_configure(t, tls) < 0) {
			seterr(p, 0, "TLS setup failed");
			tls_free(t);
			return -1;
		}
		if (io_starttls_client(&p->io, t, servername) < 0) {
			seterr(p, 0, "TLS handshake with %s failed: %s", host, io_tlserror(&p->io));
			return -1;
		}
	}
	if (status(p) != 1)
		return -1;
	return 0;
}

int
pop3_cmd(struct pop3 *p, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof line - 2) {
		seterr(p, 1, "command too long");
		return -1;
	}
	memcpy(line + r, "\r\n", 2);
	if (io_write(&p->io, line, (size_t)r + 2) < 0 || io_flush(&p->io) < 0) {
		seterr(p, 0, "connection lost: %s", strerror(errno));
		return -1;
	}
	return status(p);
}

int
pop3_multiline(struct pop3 *p, struct buf *out, size_t max, int *toobig)
{
	size_t start, l;
	int toolong, r;
	char *s;

	*toobig = 0;
	buf_reset(out);
	for (;;) {
		start = out->len;
		r = io_getline(&p->io, out, *toobig ? 3 : max + 3 - start, &toolong);
		if (r <= 0) {
			seterr(p, 0, "%s during a multi-line reply", r == 0 ?
			    "connection closed" : errno == ETIMEDOUT ? "timeout" : strerror(errno));
			return -1;
		}
		s = out->p + start;
		l = out->len - start;
		if (!toolong && ((l == 3 && memcmp(s, ".\r\n", 3) == 0) ||
		    (l == 2 && memcmp(s, ".\n", 2) == 0))) {
			out->len = start;
			if (*toobig)
				out->len = 0;
			return 0;
		}
		if (toolong || *toobig) {
			*toobig = 1;
			out->len = 0;
			continue;
		}
		if (l >= 2 && s[l - 2] == '\r' && s[l - 1] == '\n') {
			s[l - 2] = '\n';
			out->len--;
			l--;
		}
		if (s[0] == '.') {
			memmove(s, s + 1, l - 1);
			out->len--;
		}
		if (out->len > max) {
			*toobig = 1;
			out->len = 0;
		}
	}
}

int
pop3_capa(struct pop3 *p)
{
	struct buf b = BUF_INIT;
	size_t i = 0, s;
	int big, r;

	p->caps = 0;
	if ((r = pop3_cmd(p, "CAPA")) != 1)
		return r;	/* no CAPA: an old server, nothing known */
	if (pop3_multiline(p, &b, 65536, &big) < 0) {
		buf_free(&b);
		return -1;
	}
	while (i < b.len) {
		s = i;
		while (i < b.len && b.p[i] != '\n')
			i++;
		if (i - s >= 4 && strncasecmp(b.p + s, "STLS", 4) == 0)
			p->caps |= POP3_CAPA_STLS;
		else if (i - s >= 4 && strncasecmp(b.p + s, "UIDL", 4) == 0)
			p->caps |= POP3_CAPA_UIDL;
		else if (i - s >= 4 && strncasecmp(b.p + s, "USER", 4) == 0)
			p->caps |= POP3_CAPA_USER;
		else if (i - s >= 4 && strncasecmp(b.p + s, "SASL", 4) == 0) {
			/* "SASL PLAIN LOGIN ..." */
			for (size_t k = s + 4; k + 5 <= i; k++)
				if (strncasecmp(b.p + k, "PLAIN", 5) == 0 &&
				    (b.p[k - 1] == ' ') && (k + 5 == i || b.p[k + 5] == ' ' ||
				    b.p[k + 5] == '\r'))
					p->caps |= POP3_CAPA_PLAIN;
		}
		i++;
	}
	buf_free(&b);
	return 1;
}

int
pop3_stls(struct pop3 *p, struct tls_config *tls, const char *servername)
{
	struct tls *t;

	if (pop3_cmd(p, "STLS") != 1)
		return -1;
	if ((t = tls_client()) == NULL || tls_configure(t, tls) < 0) {
		seterr(p, 0, "TLS setup failed");
		tls_free(t);
		return -1;
	}
	if (io_starttls_client(&p->io, t, servername) < 0) {
		seterr(p, 0, "TLS handshake failed: %s", io_tlserror(&p->io));
		return -1;
	}
	return 0;
}

int
pop3_login(struct pop3 *p, const char *user, const char *pass, int mode)
{
	int apop = mode == POP3_AUTH_APOP;
	struct buf raw = BUF_INIT, b64 = BUF_INIT;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	int r;

	if (mode == POP3_AUTH_AUTO && (p->caps & POP3_CAPA_PLAIN)) {
		if (buf_addc(&raw, '\0') < 0 || buf_adds(&raw, user) < 0 ||
		    buf_addc(&raw, '\0') < 0 || buf_adds(&raw, pass) < 0 ||
		    b64_encode(raw.p, raw.len, &b64) < 0 || buf_cstr(&b64) == NULL)
			r = -1;
		else
			r = pop3_cmd(p, "AUTH PLAIN %s", b64.p);
		explicit_bzero(raw.p, raw.cap);
		if (b64.p)
			explicit_bzero(b64.p, b64.cap);
		buf_free(&raw);
		buf_free(&b64);
	} else if (apop && p->ts[0]) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		if (md == NULL || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 ||
		    EVP_DigestUpdate(md, p->ts, strlen(p->ts)) != 1 ||
		    EVP_DigestUpdate(md, pass, strlen(pass)) != 1 ||
		    EVP_DigestFinal_ex(md, d, &dl) != 1) {
			EVP_MD_CTX_free(md);
			seterr(p, 0, "unable to compute the APOP digest");
			return -1;
		}
		EVP_MD_CTX_free(md);
		for (i = 0; i < dl; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		r = pop3_cmd(p, "APOP %s %s", user, hex);
	} else if (apop) {
		seterr(p, 1, "APOP wanted, but the server's greeting has no timestamp");
		return -1;
	} else {
		r = pop3_cmd(p, "USER %s", user);
		if (r == 1)
			r = pop3_cmd(p, "PASS %s", pass);
	}
	/* the credentials were refused, unless the server says it is its own
	 * passing trouble (RFC 3206) */
	if (r == 0)
		p->perm = strstr(p->err, "[SYS/TEMP]") == NULL && strstr(p->err, "[IN-USE]") == NULL;
	return r == 1 ? 0 : -1;
}

void
pop3_close(struct pop3 *p, int quit)
{
	if (p->fd < 0)
		return;
	if (quit)
		pop3_cmd(p, "QUIT");
	io_close_tls(&p->io);
	close(p->fd);
	p->fd = -1;
}
