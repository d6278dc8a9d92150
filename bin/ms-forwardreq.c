/* ms-forwardreq: a gateway on a dynamic address asks the scanning group
 * for its held mail.
 *
 *   ms-forwardreq [-i seconds] [-m forward|odmr] domain server[:port]
 *
 * forward (default, port 2526): the signed request line of lib/fwd.h to
 * every address of server; the group's ms-forwardd then sends the held
 * mail to us over SMTP.  odmr (port 366): RFC 2645, for a gateway behind
 * NAT; after ATRN the roles turn and ms-smtpd runs on the same connection,
 * so each message is queued before it is acknowledged.  The key goes only
 * under STARTTLS unless MS_ODMR_TLS says otherwise; under TLS ms-smtpd
 * talks to us through a socketpair and we carry its bytes through the TLS
 * session.  See ms-forwardreq(8).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "base64.h"
#include "buf.h"
#include "cfg.h"
#include "chain.h"
#include "control.h"
#include "diag.h"
#include "fwd.h"
#include "io.h"
#include "maildir.h"
#include "msg.h"
#include "smtpc.h"

/* MS_ODMR_TLS */
enum { ODMR_TLS_DEFAULT, ODMR_TLS_REQUIRE, ODMR_TLS_TRY, ODMR_TLS_NO, ODMR_TLS_NOVERIFY };

struct req {
	const char *domain;
	char dom[256];		/* the domain, lower case */
	char tried[64];		/* the address last asked for, whatever came of it */
	char host[256], port[8];
	int odmr;
	char key[FWD_KEYMAX + 1];
	size_t keylen;
	const char *addrspec;	/* MS_FORWARD_ADDR */
	unsigned myport, timeout;
	char state[PATH_MAX];
	int tls;		/* ODMR_TLS_* */
	const char *pin;	/* MS_ODMR_TLS_PIN: "SHA256:hex" or NULL */
	const char *cafile;	/* MS_TLS_CAFILE or NULL: the system's */
};

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* The address to announce: "-" (the one the server sees), a literal,
 * "if:NAME" (the first IPv4 address of that interface), or "cmd:PROG ARGS"
 * (the first line PROG prints).  0 or -1. */
static int
myaddress(const struct req *r, char *out, size_t outsz)
{
	const char *s = r->addrspec;
	unsigned char a[16];

	if (strcmp(s, "-") == 0) {
		strlcpy(out, "-", outsz);
		return 0;
	}
	if (strncmp(s, "if:", 3) == 0) {
		struct ifaddrs *ifs, *i;
		int found = 0;
		if (getifaddrs(&ifs) < 0)
			return -1;
		for (i = ifs; i && !found; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    strcmp(i->ifa_name, s + 3) == 0) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				    out, (socklen_t)outsz);
				found = 1;
			}
		freeifaddrs(ifs);
		if (!found)
			errno = ENXIO;
		return found ? 0 : -1;
	}
	if (strncmp(s, "cmd:", 4) == 0) {
		struct chain c;
		struct chain_opts o = { .timeout = 30, .maxout = 4096 };
		struct buf b = BUF_INIT;
		char why[300];
		int at, code;
		size_t l;
		if (chain_parse(&c, s + 4) < 0)
			return -1;
		code = chain_run(&c, "", 0, &o, &b, why, sizeof why, &at);
		chain_free(&c);
		if (code != 0 || b.len == 0) {
			buf_free(&b);
			errno = EINVAL;
			return -1;
		}
		for (l = 0; l < b.len && b.p[l] != '\n' && b.p[l] != '\r' && b.p[l] != ' '; l++)
			;
		if (l == 0 || l >= outsz) {
			buf_free(&b);
			errno = EINVAL;
			return -1;
		}
		memcpy(out, b.p, l);
		out[l] = '\0';
		buf_free(&b);
	} else
		strlcpy(out, s, outsz);
	if (inet_pton(AF_INET, out, a) != 1 && inet_pton(AF_INET6, out, a) != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
dial(const struct sockaddr *sa, socklen_t len, unsigned timeout)
{
	struct pollfd p;
	int fd, err = 0;
	socklen_t el = sizeof err;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, (int)timeout * 1000) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			errno = err ? err : errno;
			goto fail;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* One request to every address of the server: EX_PASS if one took it. */
static int
forward(struct req *r, const char *addr)
{
	struct addrinfo hints, *res, *ai;
	struct fwd_req q;
	struct buf text = BUF_INIT, line = BUF_INIT;
	unsigned char nb[16];
	char ip[64], safe[300];
	int fd, gr, ok = 0, toolong;
	struct io io;

	memset(&q, 0, sizeof q);
	strlcpy(q.domain, r->domain, sizeof q.domain);
	strlcpy(q.addr, addr, sizeof q.addr);
	q.port = r->myport;
	q.t = (long long)time(NULL);
	arc4random_buf(nb, sizeof nb);
	for (size_t i = 0; i < sizeof nb; i++)
		snprintf(q.nonce + 2 * i, 3, "%02x", nb[i]);
	if (fwd_text(&q, &text) < 0 || fwd_mac(r->key, r->keylen, text.p, text.len, q.mac) < 0)
		ms_fatal(EX_TEMP, "unable to compute the request's MAC");
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((gr = getaddrinfo(r->host, r->port, &hints, &res)) != 0) {
		ms_warn("unable to resolve %s: %s", r->host, gai_strerror(gr));
		buf_free(&text);
		return gr == EAI_NONAME ? EX_PERM : EX_TEMP;
	}
	/* every address of the group: each host holds mail for us */
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip, sizeof ip);
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof ip);
		if ((fd = dial(ai->ai_addr, ai->ai_addrlen, r->timeout)) < 0) {
			ms_warnsys("%s port %s", ip, r->port);
			continue;
		}
		io_init(&io, fd, fd, r->timeout);
		buf_reset(&line);
		if (io_write(&io, text.p, text.len) < 0 || io_puts(&io, " ") < 0 ||
		    io_puts(&io, q.mac) < 0 || io_puts(&io, "\r\n") < 0 || io_flush(&io) < 0 ||
		    io_getline(&io, &line, 512, &toolong) <= 0) {
			ms_warnsys("%s port %s: no answer", ip, r->port);
			close(fd);
			continue;
		}
		close(fd);
		while (line.len && (line.p[line.len - 1] == '\n' || line.p[line.len - 1] == '\r'))
			line.len--;
		ms_sanitize(safe, sizeof safe, line.p, line.len);
		if (strncmp(safe, "OK", 2) == 0) {
			ms_info("%s: %s", ip, safe);
			ok = 1;
		} else
			ms_warn("%s: %s", ip, safe);
	}
	freeaddrinfo(res);
	buf_free(&text);
	buf_free(&line);
	return ok ? EX_PASS : EX_TEMP;
}

static int
loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* STARTTLS, the handshake bounded by MS_TIMEOUT for each wait, the
 * certificate checked (chain and name, or the pin), then EHLO again.
 * 0, or -1 logged. */
static int
odmr_starttls(const struct req *r, struct smtpc *c, const char *ip)
{
	struct tls_config *cfg = NULL;
	struct tls *t = NULL;
	const char *h;
	size_t n;

	if (smtpc_send(c, 1, "STARTTLS") < 0 || smtpc_reply(c, r->timeout) != 220) {
		ms_warn("%s: STARTTLS refused: %s", ip, c->reply);
		return -1;
	}
	/* Anything after the 220 came in the clear and may be an attacker's
	 * replies waiting to be taken as said under TLS: a server that sends
	 * it is not trusted with the key. */
	if ((n = io_pending(&c->io)) > 0) {
		ms_warn("%s: %zu bytes after the 220 to STARTTLS, before the handshake: "
		    "not going on", ip, n);
		return -1;
	}
	if (tls_init() < 0 || (cfg = tls_config_new()) == NULL || (t = tls_client()) == NULL) {
		ms_warn("%s: unable to set up TLS", ip);
		goto fail;
	}
	if (r->pin || r->tls == ODMR_TLS_NOVERIFY) {
		tls_config_insecure_noverifycert(cfg);
		tls_config_insecure_noverifyname(cfg);
	} else if (r->cafile && tls_config_set_ca_file(cfg, r->cafile) < 0) {
		ms_warn("unable to load MS_TLS_CAFILE %s: %s", r->cafile, tls_config_error(cfg));
		goto fail;
	}
	if (tls_configure(t, cfg) < 0) {
		ms_warn("%s: unable to set up TLS: %s", ip, tls_error(t));
		goto fail;
	}
	tls_config_free(cfg);
	cfg = NULL;
	c->io.timeout = r->timeout;
	if (io_starttls_client(&c->io, t, r->host) < 0) {
		ms_warn("%s: TLS handshake failed: %s", ip,
		    errno == ETIMEDOUT ? "timeout" : io_tlserror(&c->io));
		return -1;
	}
	if (r->pin && ((h = tls_peer_cert_hash(t)) == NULL || strcasecmp(h, r->pin) != 0)) {
		ms_warn("%s: the server's certificate %s is not the one of MS_ODMR_TLS_PIN", ip,
		    h ? h : "(none)");
		return -1;
	}
	ms_info("%s: TLS %s %s%s", ip, tls_conn_version(t), tls_conn_cipher(t),
	    r->pin ? ", certificate pinned" : r->tls == ODMR_TLS_NOVERIFY ?
	    ", certificate NOT verified (MS_ODMR_TLS=insecure-noverify)" : "");
	if (smtpc_hello(c, "odmr-client") / 100 != 2) {
		ms_warn("%s: EHLO under TLS: %s", ip, c->reply);
		return -1;
	}
	return 0;
fail:
	tls_config_free(cfg);
	tls_free(t);
	return -1;
}

/* After ATRN under TLS: ms-smtpd on one end of a socketpair, and its
 * bytes carried to and from the TLS session until it exits.  Each wait
 * for the network is bounded by the io's timeout, and ms-smtpd bounds its
 * own session (MS_TIMEOUT, MS_SESSION_TIMEOUT): its exit ends the relay.
 * Its exit status. */
static int
odmr_carry(struct smtpc *c, const char *ip)
{
	char b[IO_BUFSZ];
	struct pollfd p[2];
	int sp[2], st, netin = 1, smtpdin = 1, wantout = 0, sig = 0;
	ssize_t n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		ms_fatalsys("unable to make a socketpair for ms-smtpd");
	if ((pid = fork()) < 0)
		ms_fatalsys("unable to fork");
	if (pid == 0) {
		if (dup2(sp[1], 0) < 0 || dup2(sp[1], 1) < 0)
			ms_fatalsys("unable to hand the connection to ms-smtpd");
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execlp("ms-smtpd", "ms-smtpd", (char *)NULL);
		ms_fatalsys("unable to run ms-smtpd");
	}
	close(sp[1]);
	while (smtpdin) {
		if (got_term && !sig) {
			kill(pid, SIGTERM);
			sig = 1;
		}
		/* what libtls has decrypted already, poll() cannot see */
		while (netin) {
			n = tls_read(c->io.tls, b, sizeof b);
			if (n == TLS_WANT_POLLIN)
				break;
			if (n == TLS_WANT_POLLOUT) {
				wantout = 1;
				break;
			}
			wantout = 0;
			if (n <= 0) {
				if (n < 0)
					ms_warn("%s: TLS: %s", ip, tls_error(c->io.tls));
				netin = 0;
				shutdown(sp[0], SHUT_WR);
				break;
			}
			if (write_all(sp[0], b, (size_t)n) < 0) {
				netin = 0;	/* ms-smtpd is gone: so is its input */
				break;
			}
		}
		p[0].fd = netin ? c->fd : -1;
		p[0].events = wantout ? POLLOUT : POLLIN;
		p[1].fd = sp[0];
		p[1].events = POLLIN;
		n = poll(p, 2, c->io.timeout ? (int)c->io.timeout * 1000 : 60000);
		if (n < 0 && errno != EINTR)
			ms_fatalsys("unable to poll");
		if (n == 0 && waitpid(pid, &st, WNOHANG) == pid) {
			pid = -1;	/* gone, and something it started holds the pair */
			break;
		}
		if (n <= 0 || !(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(sp[0], b, sizeof b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			smtpdin = 0;
			break;
		}
		if (netin && (io_write(&c->io, b, (size_t)n) < 0 || io_flush(&c->io) < 0)) {
			ms_warn("%s: lost the connection: %s", ip,
			    errno == ETIMEDOUT ? "timeout" : strerror(errno));
			netin = 0;
			shutdown(sp[0], SHUT_WR);
		}
	}
	close(sp[0]);
	if (netin)
		tls_close(c->io.tls);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				return EX_TEMP;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EX_TEMP;
}

/* ODMR: STARTTLS, AUTH, ATRN, then ms-smtpd on this very connection. */
static int
odmr(struct req *r)
{
	struct addrinfo hints, *res, *ai;
	struct smtpc c = { 0 };
	struct buf raw = BUF_INIT, b64 = BUF_INIT;
	char ip[64];
	int fd = -1, gr, code, tls = r->tls, local = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((gr = getaddrinfo(r->host, r->port, &hints, &res)) != 0) {
		ms_warn("unable to resolve %s: %s", r->host, gai_strerror(gr));
		return gr == EAI_NONAME ? EX_PERM : EX_TEMP;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip, sizeof ip);
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof ip);
		if ((fd = dial(ai->ai_addr, ai->ai_addrlen, r->timeout)) < 0)
			ms_warnsys("%s port %s", ip, r->port);
		else
			local = loopback(ai->ai_addr);
	}
	freeaddrinfo(res);
	if (fd < 0)
		return EX_TEMP;
	/* Unset: TLS required, but tried only on a loopback address (a
	 * tunnel's end, or the group on this host): the key does not cross
	 * the network there. */
	if (tls == ODMR_TLS_DEFAULT)
		tls = local && !r->pin ? ODMR_TLS_TRY : ODMR_TLS_REQUIRE;
	/* the commands and the handshake, up to ATRN */
	ms_deadline(r->timeout * 10 > r->timeout ? r->timeout * 10 : r->timeout,
	    "ODMR session before ATRN");
	if (smtpc_attach(&c, fd, fd, ip) != 220 || smtpc_hello(&c, "odmr-client") / 100 != 2) {
		ms_warn("%s: %s", ip, c.reply);
		return EX_TEMP;
	}
	if (tls != ODMR_TLS_NO && (c.caps & SMTPC_STARTTLS)) {
		if (odmr_starttls(r, &c, ip) < 0)
			return EX_TEMP;
	} else if (tls == ODMR_TLS_REQUIRE || tls == ODMR_TLS_NOVERIFY) {
		ms_warn("%s: the server offers no STARTTLS: the key is not sent in the clear "
		    "(MS_ODMR_TLS%s)", ip, r->tls == ODMR_TLS_DEFAULT ? " unset: require" :
		    tls == ODMR_TLS_REQUIRE ? "=require" : "=insecure-noverify");
		smtpc_close(&c);
		return EX_TEMP;
	} else if (r->tls == ODMR_TLS_TRY)
		ms_warn("%s: no STARTTLS: the key goes in the clear (MS_ODMR_TLS=try)", ip);
	if (buf_addc(&raw, '\0') < 0 || buf_adds(&raw, r->domain) < 0 || buf_addc(&raw, '\0') < 0 ||
	    buf_add(&raw, r->key, r->keylen) < 0 || b64_encode(raw.p, raw.len, &b64) < 0 ||
	    buf_cstr(&b64) == NULL)
		ms_fatal(EX_TEMP, "out of memory");
	explicit_bzero(raw.p, raw.cap);
	code = smtpc_send(&c, 1, "AUTH PLAIN %s", b64.p) < 0 ? -1 : smtpc_reply(&c, 60);
	explicit_bzero(b64.p, b64.cap);
	if (code != 235) {
		ms_warn("%s: authentication refused: %s", ip, c.reply);
		return code / 100 == 5 ? EX_PERM : EX_TEMP;
	}
	if (smtpc_send(&c, 1, "ATRN %s", r->domain) < 0 ||
	    (code = smtpc_reply(&c, 60)) < 0) {
		ms_warn("%s: %s", ip, c.reply);
		return EX_TEMP;
	}
	if (code == 453) {
		ms_info("%s: no mail held for %s", ip, r->domain);
		smtpc_close(&c);
		return EX_PASS;
	}
	if (code != 250) {
		ms_warn("%s: ATRN refused: %s", ip, c.reply);
		return code / 100 == 5 ? EX_PERM : EX_TEMP;
	}
	/* The roles turn: we are the server now; ms-smtpd takes each message
	 * and queues it before it says 250. */
	ms_deadline(0, NULL);
	ms_info("%s: ATRN %s accepted: receiving", ip, r->domain);
	if (io_pending(&c.io))
		ms_warn("%s: data after the ATRN reply dropped", ip);
	setenv("TCPREMOTEIP", ip, 1);
	/* SSL_PROTOCOL and SSL_CIPHER tell ms-smtpd the session is already
	 * encrypted (mailscan(7), TLS FROM OUTSIDE). */
	unsetenv("SSL_PROTOCOL");
	unsetenv("SSL_CIPHER");
	if (c.io.tls) {
		setenv("SSL_PROTOCOL", tls_conn_version(c.io.tls), 1);
		setenv("SSL_CIPHER", tls_conn_cipher(c.io.tls), 1);
		c.io.timeout = r->timeout;
		return odmr_carry(&c, ip);
	}
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		ms_fatalsys("unable to hand the connection to ms-smtpd");
	execlp("ms-smtpd", "ms-smtpd", (char *)NULL);
	ms_fatalsys("unable to run ms-smtpd");
}

/* The address we announced last time, from the state file. */
static void
last_address(const struct req *r, char *out, size_t outsz)
{
	FILE *f = fopen(r->state, "re");

	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)outsz, f) == NULL)
			out[0] = '\0';
		out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static void
save_address(const struct req *r, const char *a)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", r->state);
	{
		char dir[PATH_MAX], *sl;
		strlcpy(dir, r->state, sizeof dir);
		if ((sl = strrchr(dir, '/')) != NULL && sl != dir) {
			*sl = '\0';
			mkdir_p(dir, 0700);
		}
	}
	if ((f = fopen(tmp, "we")) == NULL) {
		ms_warnsys("unable to write %s", tmp);
		return;
	}
	fprintf(f, "%s\n", a);
	if (fclose(f) != 0 || rename(tmp, r->state) < 0)
		ms_warnsys("unable to write %s", r->state);
}

static int
once(struct req *r, int force)
{
	char addr[64], last[64];
	int code;

	if (r->odmr)
		return odmr(r);
	if (myaddress(r, addr, sizeof addr) < 0) {
		ms_warnsys("unable to find our address from MS_FORWARD_ADDR=%s", r->addrspec);
		return EX_TEMP;
	}
	last_address(r, last, sizeof last);
	/* between the intervals: only a new address is worth asking for, one
	 * that neither succeeded nor was tried already */
	if (!force && (strcmp(addr, last) == 0 || strcmp(addr, r->tried) == 0))
		return EX_PASS;
	strlcpy(r->tried, addr, sizeof r->tried);
	if (strcmp(addr, last) != 0 && last[0])
		ms_info("our address changed from %s to %s: asking at once", last, addr);
	code = forward(r, addr);
	if (code == EX_PASS)
		save_address(r, addr);
	return code;
}

int
main(int argc, char **argv)
{
	struct req r;
	char keypath[PATH_MAX], *colon;
	unsigned interval = 0;
	size_t l;
	FILE *f;
	int c;

	PROG = "ms-forwardreq";
	memset(&r, 0, sizeof r);
	while ((c = getopt(argc, argv, "i:m:")) != -1) {
		switch (c) {
		case 'i':
			interval = (unsigned)strtoul(optarg, &colon, 10);
			if (*colon || interval == 0)
				ms_fatal(EX_PERM, "-i wants a number of seconds, not %s", optarg);
			break;
		case 'm':
			if (strcmp(optarg, "odmr") == 0)
				r.odmr = 1;
			else if (strcmp(optarg, "forward") != 0)
				ms_fatal(EX_PERM, "-m wants forward or odmr, not %s", optarg);
			break;
		default:
			ms_usage("[-i seconds] [-m forward|odmr] domain server[:port]");
		}
	}
	if (argc - optind != 2)
		ms_usage("[-i seconds] [-m forward|odmr] domain server[:port]");
	r.domain = argv[optind];
	strlcpy(r.host, argv[optind + 1], sizeof r.host);
	strlcpy(r.port, r.odmr ? "366" : "2526", sizeof r.port);
	if (r.host[0] == '[' && (colon = strchr(r.host, ']')) != NULL) {
		*colon = '\0';
		if (colon[1] == ':')
			strlcpy(r.port, colon + 2, sizeof r.port);
		memmove(r.host, r.host + 1, strlen(r.host));
	} else if ((colon = strrchr(r.host, ':')) != NULL && strchr(r.host, ':') == colon) {
		*colon = '\0';
		strlcpy(r.port, colon + 1, sizeof r.port);
	}
	if (strchr(r.domain, '/') || r.domain[0] == '.' || r.domain[0] == '\0' ||
	    strlen(r.domain) >= sizeof r.dom)
		ms_fatal(EX_PERM, "not a domain: %s", r.domain);
	/* the server signs and looks up the domain in lower case */
	for (size_t k = 0; r.domain[k]; k++)
		r.dom[k] = (char)tolower((unsigned char)r.domain[k]);
	r.domain = r.dom;
	if (cfg_uint("MS_FORWARD_PORT", 25, &r.myport) < 0 || r.myport == 0 || r.myport > 65535 ||
	    cfg_uint("MS_TIMEOUT", 60, &r.timeout) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_FORWARD_PORT or MS_TIMEOUT");
	r.addrspec = cfg_str("MS_FORWARD_ADDR", "-");
	if (cfg_str("MS_FORWARD_KEY", NULL))
		strlcpy(keypath, cfg_str("MS_FORWARD_KEY", NULL), sizeof keypath);
	else
		snprintf(keypath, sizeof keypath, "%s/forward/%s", control_dir(), r.domain);
	if ((f = fopen(keypath, "re")) == NULL)
		ms_fatalsys("unable to read the key %s", keypath);
	if (fgets(r.key, sizeof r.key, f) == NULL)
		ms_fatal(EX_PERM, "%s is empty", keypath);
	fclose(f);
	l = strcspn(r.key, "\r\n");
	r.key[l] = '\0';
	r.keylen = l;
	if (l == 0)
		ms_fatal(EX_PERM, "%s is empty", keypath);
	{
		const char *t = cfg_str("MS_ODMR_TLS", NULL);
		if (t == NULL)
			r.tls = ODMR_TLS_DEFAULT;
		else if (strcmp(t, "require") == 0)
			r.tls = ODMR_TLS_REQUIRE;
		else if (strcmp(t, "try") == 0)
			r.tls = ODMR_TLS_TRY;
		else if (strcmp(t, "no") == 0)
			r.tls = ODMR_TLS_NO;
		else if (strcmp(t, "insecure-noverify") == 0)
			r.tls = ODMR_TLS_NOVERIFY;
		else
			ms_fatal(EX_TEMP, "MS_ODMR_TLS wants require, try, no or insecure-noverify, "
			    "not %s", t);
		r.pin = cfg_str("MS_ODMR_TLS_PIN", NULL);
		if (r.pin && (strncasecmp(r.pin, "SHA256:", 7) != 0 || strlen(r.pin) != 7 + 64 ||
		    strspn(r.pin + 7, "0123456789abcdefABCDEF") != 64))
			ms_fatal(EX_TEMP, "MS_ODMR_TLS_PIN wants SHA256: and 64 hexadecimal digits");
		if (r.pin && r.tls == ODMR_TLS_NO)
			ms_fatal(EX_TEMP, "MS_ODMR_TLS=no and MS_ODMR_TLS_PIN contradict each other");
		r.cafile = cfg_str("MS_TLS_CAFILE", NULL);
	}
	if (cfg_str("MS_FORWARD_STATE", NULL))
		strlcpy(r.state, cfg_str("MS_FORWARD_STATE", NULL), sizeof r.state);
	else if (cfg_spooldir(r.state, sizeof r.state, "forward-last") < 0 ||
	    strlcat(r.state, "-", sizeof r.state) >= sizeof r.state ||
	    strlcat(r.state, r.domain, sizeof r.state) >= sizeof r.state)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	signal(SIGPIPE, SIG_IGN);
	if (interval == 0)
		return once(&r, 1);
	/* Supervised: ask every interval, and at once when our address
	 * changes (looked at every 10 seconds). */
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	{
		time_t next = 0;
		while (!got_term) {
			time_t now = time(NULL);
			if (now >= next) {
				if (r.odmr) {
					pid_t pid = fork();
					if (pid == 0)
						_exit(once(&r, 1));
					if (pid > 0)
						while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
							;
				} else
					once(&r, 1);
				next = now + (time_t)interval;
			} else if (!r.odmr)
				once(&r, 0);
			for (int s = 0; s < 10 && !got_term && time(NULL) < next; s++)
				sleep(1);
		}
	}
	return EX_PASS;
}
