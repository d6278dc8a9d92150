/* ms-relay: deliver each recipient of a message by its route, or bounce it.
 *
 * Routes come from $MS_ROUTES (default $MS_ETC/routes.cdb, made by
 * ms-mkcdb), looked up by recipient domain, then its parent domains as
 * ".example.org", then "*"; without a match the route is "mx".  A message
 * that carries an X-Mailscan-Error field (it came from the bounce spool)
 * is turned into a delivery status notification to its sender instead.
 * See ms-relay(8).
 */
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "dns.h"
#include "dsn.h"
#include "envelope.h"
#include "header.h"
#include "maildir.h"
#include "smtpc.h"
#include "spool.h"
#include "table.h"

enum rstate { R_PENDING, R_DONE, R_PERM, R_TEMP };

struct rcpt {
	const char *addr;
	const char *domain;	/* after the last '@', or "" */
	char route[512];
	enum rstate state;
	char why[400];		/* the reply or reason, for logs and DSNs */
};

struct relay {
	struct table routes;
	int have_routes;
	char routespath[PATH_MAX];
	struct resolver *dns;
	struct tls_config *tls_opp, *tls_verify;
	char host[256];
	unsigned lifetime, connect_timeout, scale;
	const char *route;	/* $MS_ROUTE */
	unsigned perdest;	/* $MS_RELAY_PERDEST: connections per address */
	char slotdir[PATH_MAX];
};

struct route {
	enum { RT_SMTP, RT_MX, RT_MAILDIR, RT_HOLD, RT_BAD } kind;
	char host[256];
	unsigned port;
	int tls;		/* 0 opportunistic, 1 required+verified, 2 required */
	char path[PATH_MAX];
};

/* ---- routes ---- */

/* The route of r; -1 when the table cannot be read (then nothing is
 * guessed: the recipient waits). */
static int
lookup_route(struct relay *rc, struct rcpt *r)
{
	const char *d = r->domain;
	int found = 0, g;

	strlcpy(r->route, "mx", sizeof r->route);
	if (rc->route) {	/* MS_ROUTE: one route for every recipient */
		strlcpy(r->route, rc->route, sizeof r->route);
		return 0;
	}
	if (!rc->have_routes)
		return 0;
	table_refresh(&rc->routes);
	if (*d && (g = table_get(&rc->routes, d, strlen(d), r->route, sizeof r->route)) != 0)
		found = g;
	/* ".example.org" covers every subdomain of example.org */
	for (const char *p = d; !found && (p = strchr(p, '.')) != NULL; p++)
		found = table_get(&rc->routes, p, strlen(p), r->route, sizeof r->route);
	if (!found)
		found = table_get(&rc->routes, "*", 1, r->route, sizeof r->route);
	if (found < 0)
		return -1;
	if (!found)
		strlcpy(r->route, "mx", sizeof r->route);
	return 0;
}

static void
parse_route(const char *s, struct route *rt)
{
	char tmp[512], *opt, *colon;
	unsigned long port;

	memset(rt, 0, sizeof *rt);
	rt->port = 25;
	strlcpy(tmp, s, sizeof tmp);
	opt = strchr(tmp, '+');
	if (strncmp(tmp, "maildir:", 8) == 0) {
		rt->kind = strlcpy(rt->path, tmp + 8, sizeof rt->path) < sizeof rt->path &&
		    tmp[8] == '/' ? RT_MAILDIR : RT_BAD;
		return;
	}
	for (char *o = opt; o; o = strchr(o + 1, '+')) {
		if (strncmp(o, "+tls-noverify", 13) == 0 && (o[13] == '+' || !o[13]))
			rt->tls = 2;
		else if (strncmp(o, "+tls", 4) == 0 && (o[4] == '+' || !o[4]))
			rt->tls = 1;
		else {
			rt->kind = RT_BAD;
			return;
		}
	}
	if (opt)
		*opt = '\0';
	if (strcmp(tmp, "mx") == 0)
		rt->kind = RT_MX;
	else if (strcmp(tmp, "hold") == 0)
		rt->kind = RT_HOLD;
	else if (strncmp(tmp, "smtp:", 5) == 0) {
		rt->kind = RT_SMTP;
		/* host, host:port, [v6addr]:port */
		char *h = tmp + 5;
		if (*h == '[') {
			char *cl = strchr(h, ']');
			if (cl == NULL) {
				rt->kind = RT_BAD;
				return;
			}
			*cl = '\0';
			colon = cl[1] == ':' ? cl + 1 : NULL;
			h++;
		} else
			colon = strrchr(h, ':');
		if (colon) {
			*colon++ = '\0';
			port = strtoul(colon, &colon, 10);
			if (*colon || port == 0 || port > 65535) {
				rt->kind = RT_BAD;
				return;
			}
			rt->port = (unsigned)port;
		}
		if (*h == '\0' || strlcpy(rt->host, h, sizeof rt->host) >= sizeof rt->host)
			rt->kind = RT_BAD;
	} else
		rt->kind = RT_BAD;
}

/* ---- outcomes ---- */

static void
set_state(struct rcpt *r, enum rstate st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_state(struct rcpt *r, enum rstate st, const char *fmt, ...)
{
	va_list ap;

	r->state = st;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
}

/* Every pending recipient of the group gets this outcome. */
static void
group_state(struct rcpt **g, size_t n, enum rstate st, const char *why)
{
	for (size_t i = 0; i < n; i++)
		if (g[i]->state == R_PENDING || g[i]->state == R_TEMP)
			set_state(g[i], st, "%s", why);
}

/* ---- SMTP ---- */


/* One SMTP transaction at one address.  Returns 1 when the outcome is
 * final for this message at this destination, 0 when the next address
 * should be tried (connection refused, greeting refused, MAIL deferred,
 * lost), -1 when the same address should be tried once more without
 * STARTTLS. */
static int
smtp_try(struct relay *rc, const struct route *rt, const char *tlsname,
    const struct sockaddr_storage *a, const struct envelope *e, struct rcpt **g,
    size_t n, const char *msg, size_t len, int notls)
{
	struct smtpc c = { .scale = rc->scale };
	struct smtpc_rcpt *sr;
	char why[600];
	size_t i;
	int code, final;

	code = smtpc_open(&c, a, rc->connect_timeout);
	if (code < 0) {
		snprintf(why, sizeof why, "%s: %s", c.peer[0] ? c.peer : "connect",
		    c.reply[0] ? c.reply : strerror(errno));
		group_state(g, n, R_TEMP, why);
		smtpc_close(&c);
		return 0;
	}
	if (code != 220) {
		/* A server that refuses to talk (554 greeting, RFC 5321 3.1)
		 * judges this client, not the mail: the next address may take
		 * it, so any refusal here is only a deferral. */
		snprintf(why, sizeof why, "%s: greeting: %s", c.peer, c.reply);
		group_state(g, n, R_TEMP, why);
		smtpc_close(&c);
		return 0;
	}
	if ((code = smtpc_hello(&c, rc->host)) / 100 != 2)
		goto temp_or_perm_all;
	if (!notls && (c.caps & SMTPC_STARTTLS)) {
		if (smtpc_starttls(&c, rt->tls == 1 ? rc->tls_verify : rc->tls_opp,
		    rt->tls == 1 ? tlsname : NULL) < 0) {
			snprintf(why, sizeof why, "%s: %s", c.peer, c.reply);
			group_state(g, n, R_TEMP, why);
			smtpc_close(&c);
			/* opportunistic: try the same address once in the clear */
			return rt->tls ? 0 : -1;
		}
		if ((code = smtpc_hello(&c, rc->host)) / 100 != 2)
			goto temp_or_perm_all;
	} else if (rt->tls) {
		snprintf(why, sizeof why, "%s: TLS required by the route but not offered",
		    c.peer);
		group_state(g, n, R_TEMP, why);
		smtpc_close(&c);
		return 0;
	}
	if ((sr = calloc(n, sizeof *sr)) == NULL) {
		group_state(g, n, R_TEMP, "out of memory");
		smtpc_close(&c);
		return 1;
	}
	for (i = 0; i < n; i++)
		sr[i].addr = g[i]->addr;
	final = smtpc_transaction(&c, e->sender, sr, n, msg, len);
	for (i = 0; i < n; i++)
		set_state(g[i], sr[i].code / 100 == 2 ? R_DONE : sr[i].code / 100 == 5 ? R_PERM :
		    R_TEMP, "%s", sr[i].why);
	free(sr);
	smtpc_close(&c);
	return final;

temp_or_perm_all:
	snprintf(why, sizeof why, "%s: %s", c.peer, c.reply);
	group_state(g, n, code / 100 == 5 ? R_PERM : R_TEMP, why);
	smtpc_close(&c);
	return code / 100 == 5;
}

/* One of the MS_RELAY_PERDEST connection slots of an address: a lock on
 * a slot file, shared by every relay process on the host and released
 * when the descriptor is closed (or the process dies).  The descriptor, or
 * -1 when all are busy; -2 when slots are off or cannot be had (then the
 * connection goes ahead: a limit is not worth a delivery). */
static int
dest_slot(struct relay *rc, const struct sockaddr_storage *a)
{
	char ip[INET6_ADDRSTRLEN], p[PATH_MAX];
	int fd;

	if (rc->perdest == 0 || rc->slotdir[0] == '\0')
		return -2;
	if (a->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, ip, sizeof ip);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, ip, sizeof ip);
	if (mkdir_p(rc->slotdir, 0770) < 0)
		return -2;
	for (unsigned i = 0; i < rc->perdest; i++) {
		snprintf(p, sizeof p, "%s/%s.%u", rc->slotdir, ip, i);
		if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0)
			return -2;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

static void
smtp_addrs(struct relay *rc, const struct route *rt, const char *tlsname,
    struct sockaddr_storage *a, size_t na, const struct envelope *e,
    struct rcpt **g, size_t n, const char *msg, size_t len, int *final)
{
	for (size_t i = 0; i < na && !*final; i++) {
		int slot = dest_slot(rc, &a[i]), r;
		if (slot == -1) {
			group_state(g, n, R_TEMP, "4.4.5 too many connections to this "
			    "destination already (MS_RELAY_PERDEST)");
			continue;
		}
		r = smtp_try(rc, rt, tlsname, &a[i], e, g, n, msg, len, 0);
		if (r < 0)
			r = smtp_try(rc, rt, tlsname, &a[i], e, g, n, msg, len, 1);
		*final = r > 0;
		if (slot >= 0)
			close(slot);
	}
}

static void
deliver_smtp(struct relay *rc, const struct route *rt, const char *domain,
    const struct envelope *e, struct rcpt **g, size_t n, const char *msg, size_t len)
{
	struct sockaddr_storage a[DNS_MAXADDR];
	struct dns_mx mx[DNS_MAXMX];
	size_t na = 0, nmx, i;
	enum dns_result dr;
	int final = 0;
	char port[8];

	if (rt->kind == RT_SMTP) {
		struct addrinfo hints, *res, *ai;
		int gr;

		memset(&hints, 0, sizeof hints);
		hints.ai_socktype = SOCK_STREAM;
		snprintf(port, sizeof port, "%u", rt->port);
		if ((gr = getaddrinfo(rt->host, port, &hints, &res)) != 0) {
			char why[400];
			snprintf(why, sizeof why, "unable to resolve %s: %s", rt->host,
			    gai_strerror(gr));
			group_state(g, n, gr == EAI_NONAME ? R_PERM : R_TEMP, why);
			return;
		}
		for (ai = res; ai && na < DNS_MAXADDR; ai = ai->ai_next) {
			memcpy(&a[na], ai->ai_addr, ai->ai_addrlen);
			na++;
		}
		freeaddrinfo(res);
		smtp_addrs(rc, rt, rt->host, a, na, e, g, n, msg, len, &final);
		return;
	}
	/* mx: RFC 5321 section 5 */
	if (rc->dns == NULL) {
		group_state(g, n, R_TEMP, "no resolver");
		return;
	}
	dr = dns_mx(rc->dns, domain, mx, DNS_MAXMX, &nmx);
	if (dr == DNS_NXDOMAIN) {
		group_state(g, n, R_PERM, "5.1.2 domain does not exist");
		return;
	}
	if (dr == DNS_TEMP) {
		group_state(g, n, R_TEMP, "4.4.3 MX lookup failed, will retry");
		return;
	}
	int implicit = dr == DNS_NODATA;

	if (implicit) {		/* the implicit MX: the domain itself */
		nmx = 1;
		mx[0].pref = 0;
		strlcpy(mx[0].host, domain, sizeof mx[0].host);
	} else if (nmx == 1 && mx[0].host[0] == '\0') {
		group_state(g, n, R_PERM, "5.1.10 domain accepts no mail (null MX)");
		return;
	}
	for (i = 0; i < nmx && !final; i++) {
		if (mx[i].host[0] == '\0')
			continue;
		dr = dns_addrs(rc->dns, mx[i].host, 25, a, DNS_MAXADDR, &na);
		if (dr != DNS_OK) {
			char why[400];
			/* RFC 5321 5.1: a domain with neither MX nor address
			 * records has no mail host at all: that is final */
			if (implicit && (dr == DNS_NODATA || dr == DNS_NXDOMAIN)) {
				snprintf(why, sizeof why, "5.1.2 %s has no MX and no address: "
				    "no mail host", domain);
				group_state(g, n, R_PERM, why);
				return;
			}
			snprintf(why, sizeof why, "4.4.3 no address for MX %s", mx[i].host);
			group_state(g, n, R_TEMP, why);
			continue;
		}
		smtp_addrs(rc, rt, mx[i].host, a, na, e, g, n, msg, len, &final);
	}
}

/* ---- local delivery ---- */

/* A local part or domain made safe as one path component. */
static void
safe_component(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)s[i]);
		dst[o++] = (isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-') ? (char)c : '_';
	}
	if (o == 0 && dstsz > 1)
		dst[o++] = '_';
	if (dst[0] == '.')
		dst[0] = '_';
	dst[o] = '\0';
}

static int
expand_path(const char *tmpl, const struct rcpt *r, char *out, size_t outsz)
{
	char local[256], dom[256];
	const char *at = strrchr(r->addr, '@');
	size_t o = 0, l;

	safe_component(local, sizeof local, r->addr, at ? (size_t)(at - r->addr) : strlen(r->addr));
	safe_component(dom, sizeof dom, r->domain, strlen(r->domain));
	for (const char *p = tmpl; *p; p++) {
		const char *ins = NULL;
		if (p[0] == '%' && p[1] == 'u')
			ins = local;
		else if (p[0] == '%' && p[1] == 'd')
			ins = dom;
		if (ins) {
			l = strlen(ins);
			if (o + l >= outsz)
				return -1;
			memcpy(out + o, ins, l);
			o += l;
			p++;
		} else {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return 0;
}

static void
deliver_maildir(const struct route *rt, const struct envelope *e, struct rcpt *r,
    const char *msg, size_t len)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	struct buf hdr = BUF_INIT;
	struct maildir md;
	struct iovec iov[2];

	if (expand_path(rt->path, r, path, sizeof path) < 0) {
		set_state(r, R_PERM, "5.3.5 maildir path too long");
		return;
	}
	if (buf_printf(&hdr, "Return-Path: <%s>\nDelivered-To: %s\n", e->sender, r->addr) < 0) {
		set_state(r, R_TEMP, "out of memory");
		return;
	}
	iov[0].iov_base = hdr.p;
	iov[0].iov_len = hdr.len;
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = len;
	if (maildir_open(&md, path, MD_CREATE) < 0 ||
	    maildir_deliver(&md, iov, 2, name, sizeof name) < 0)
		set_state(r, R_TEMP, "4.3.0 unable to deliver to %s: %s", path, strerror(errno));
	else
		set_state(r, R_DONE, "delivered to %s/new/%s", path, name);
	maildir_close(&md);
	buf_free(&hdr);
}

/* hold: the group's copy, envelope block and all, waits in
 * $MS_SPOOL/hold/DOMAIN for a forward request. */
static void
deliver_hold(const char *domain, const struct envelope *e, struct rcpt **g, size_t n,
    const char *msg, size_t len)
{
	char dom[256], sub[300], path[PATH_MAX], name[NAME_MAX + 1];
	struct envelope he;
	struct buf blk = BUF_INIT;
	struct maildir md;
	struct iovec iov[2];
	size_t i;
	int ok;

	safe_component(dom, sizeof dom, domain, strlen(domain));
	snprintf(sub, sizeof sub, "hold/%s", dom);
	env_init(&he);
	ok = cfg_spooldir(path, sizeof path, sub) == 0 &&
	    env_set_sender(&he, e->sender, strlen(e->sender)) == 0;
	for (i = 0; ok && i < n; i++)
		ok = env_add_rcpt(&he, g[i]->addr, strlen(g[i]->addr)) == 0;
	if (ok && e->client)
		ok = env_set(&he.client, e->client, strlen(e->client)) == 0;
	ok = ok && env_write(&he, &blk) == 0;
	iov[0].iov_base = blk.p;
	iov[0].iov_len = blk.len;
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = len;
	if (!ok || maildir_open(&md, path, MD_CREATE) < 0) {
		group_state(g, n, R_TEMP, "4.3.0 unable to open the hold spool");
	} else {
		if (maildir_deliver(&md, iov, 2, name, sizeof name) < 0)
			group_state(g, n, R_TEMP, "4.3.0 unable to write to the hold spool");
		else {
			char why[400];
			snprintf(why, sizeof why, "held in %s/new/%s", path, name);
			group_state(g, n, R_DONE, why);
		}
		maildir_close(&md);
	}
	buf_free(&blk);
	env_free(&he);
}

/* ---- delivery status notifications ---- */

/* The recipients that failed for good, for lib/dsn. */
static struct dsn_failure *
failures(struct rcpt *r, size_t nr, size_t *nf)
{
	struct dsn_failure *f = calloc(nr ? nr : 1, sizeof *f);
	size_t i;

	*nf = 0;
	for (i = 0; f && i < nr; i++)
		if (r[i].state == R_PERM) {
			f[*nf].addr = r[i].addr;
			f[*nf].why = r[i].why;
			(*nf)++;
		}
	return f;
}

/* Queue a DSN for the permanent failures: into -o when given, else into
 * the relay's own spool (filter mode: $MS_SPOOL/out). */
static int
queue_dsn(struct relay *rc, struct job *job, const struct envelope *e, struct rcpt *r,
    size_t nr, const char *msg, size_t len, char *name, size_t namesz)
{
	char dir[PATH_MAX];
	struct dsn_failure *f;
	size_t nf;
	int ret;

	if (job->outspool)
		strlcpy(dir, job->outspool, sizeof dir);
	else if (job->spool)
		strlcpy(dir, job->spool, sizeof dir);
	else if (cfg_spooldir(dir, sizeof dir, "out") < 0)
		return -1;
	if ((f = failures(r, nr, &nf)) == NULL)
		return -1;
	ret = dsn_queue(dir, rc->host, e, f, nf, msg, len, name, namesz);
	free(f);
	return ret;
}

/* ---- the stage ---- */

static int
bounce_mode(struct relay *rc, struct job *job, struct envelope *e, const char *err,
    const char *msg, size_t len)
{
	struct rcpt *r;
	size_t i;
	int code;

	if (e->sender == NULL || e->sender[0] == '\0') {
		job_reason(job, "dropped: a bounce for a message from <>: %s", err);
		return EX_DONE;
	}
	if ((r = calloc(e->nrcpt ? e->nrcpt : 1, sizeof *r)) == NULL) {
		job_reason(job, "out of memory");
		return EX_TEMP;
	}
	for (i = 0; i < e->nrcpt; i++) {
		r[i].addr = e->rcpt[i];
		set_state(&r[i], R_PERM, "%s", err);
	}
	struct dsn_failure *fl;
	size_t nf;
	if ((fl = failures(r, e->nrcpt, &nf)) == NULL ||
	    dsn_make(rc->host, e, fl, nf, msg, len, &job->out) < 0) {
		free(fl);
		job_reason(job, "out of memory");
		code = EX_TEMP;
	} else {
		free(fl);
		job->changed = 1;
		job_reason(job, "bounce to <%s> for %zu recipient%s: %s", e->sender, e->nrcpt,
		    e->nrcpt == 1 ? "" : "s", err);
		code = EX_PASS;
	}
	free(r);
	return code;
}

static int
relay(void *ctx, struct job *job)
{
	struct relay *rc = ctx;
	struct envelope e;
	struct rcpt *r = NULL, **g = NULL;
	struct route rt;
	const char *msg, *err, *at;
	size_t off, len, i, j, ng, done = 0, perm = 0, temp = 0;
	char dsn[NAME_MAX + 1] = "";
	long long born;
	int code = EX_TEMP, expired;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		code = errno == EBADMSG ? EX_PERM : EX_TEMP;
		goto out;
	}
	msg = job->in + off;
	len = job->inlen - off;
	if ((err = env_get(&e, "X-Mailscan-Error")) != NULL) {
		code = bounce_mode(rc, job, &e, err, msg, len);
		goto out;
	}
	if (e.sender == NULL || e.nrcpt == 0) {
		job_reason(job, "5.5.1 no sender or no recipients in the envelope");
		code = EX_PERM;
		goto out;
	}
	if ((r = calloc(e.nrcpt, sizeof *r)) == NULL || (g = calloc(e.nrcpt, sizeof *g)) == NULL) {
		job_reason(job, "out of memory");
		goto out;
	}
	for (i = 0; i < e.nrcpt; i++) {
		r[i].addr = e.rcpt[i];
		at = strrchr(r[i].addr, '@');
		r[i].domain = at ? at + 1 : "";
		if (lookup_route(rc, &r[i]) < 0)
			set_state(&r[i], R_TEMP, "4.3.0 unable to read the routes table %s",
			    rc->routespath);
	}
	/* Group the recipients that share a route (and, for mx and hold,
	 * a domain); deliver each group once. */
	for (i = 0; i < e.nrcpt; i++) {
		if (r[i].state != R_PENDING)
			continue;
		parse_route(r[i].route, &rt);
		ng = 0;
		for (j = i; j < e.nrcpt; j++) {
			if (r[j].state != R_PENDING || strcmp(r[j].route, r[i].route) != 0)
				continue;
			if ((rt.kind == RT_MX || rt.kind == RT_HOLD || rt.kind == RT_MAILDIR) &&
			    strcasecmp(r[j].domain, r[i].domain) != 0)
				continue;
			g[ng++] = &r[j];
		}
		switch (rt.kind) {
		case RT_SMTP:
		case RT_MX:
			deliver_smtp(rc, &rt, r[i].domain, &e, g, ng, msg, len);
			break;
		case RT_MAILDIR:
			for (j = 0; j < ng; j++)
				deliver_maildir(&rt, &e, g[j], msg, len);
			break;
		case RT_HOLD:
			deliver_hold(r[i].domain, &e, g, ng, msg, len);
			break;
		default:
			group_state(g, ng, R_TEMP, "4.3.5 malformed route in the routes table");
			break;
		}
		/* anything still pending did not get an answer */
		for (j = 0; j < ng; j++)
			if (g[j]->state == R_PENDING)
				set_state(g[j], R_TEMP, "4.4.1 no answer");
	}

	/* Past the queue lifetime a temporary failure is final. */
	born = strtoll(job->name, NULL, 10);
	expired = job->spool && born > 0 && (long long)time(NULL) - born > (long long)rc->lifetime;
	for (i = 0; i < e.nrcpt; i++) {
		if (r[i].state == R_TEMP && expired) {
			char w[sizeof r[i].why];
			strlcpy(w, r[i].why, sizeof w);
			set_state(&r[i], R_PERM, "4.4.7 delivery time expired; last error: %s", w);
		}
		done += r[i].state == R_DONE;
		perm += r[i].state == R_PERM;
		temp += r[i].state == R_TEMP;
		ms_info("%s: <%s> %s: %s", job->name, r[i].addr,
		    r[i].state == R_DONE ? "delivered" : r[i].state == R_PERM ? "failed" : "deferred",
		    r[i].why);
	}
	if (perm && e.sender[0] != '\0' &&
	    queue_dsn(rc, job, &e, r, e.nrcpt, msg, len, dsn, sizeof dsn) < 0) {
		/* no DSN written: keep the failed ones to try again */
		for (i = 0; i < e.nrcpt; i++)
			if (r[i].state == R_PERM) {
				r[i].state = R_TEMP;
				temp++;
			}
		perm = 0;
		ms_warnsys("%s: unable to queue a bounce", job->name);
	}
	if (temp) {
		/* Keep only what is still to do. */
		if (done || perm) {
			struct envelope k;
			env_init(&k);
			env_set_sender(&k, e.sender, strlen(e.sender));
			for (i = 0; i < e.nrcpt; i++)
				if (r[i].state == R_TEMP)
					env_add_rcpt(&k, r[i].addr, strlen(r[i].addr));
			k.client = e.client;
			k.trust = e.trust;
			k.f = e.f;
			k.nf = e.nf;
			if (env_write(&k, &job->out) == 0 && buf_add(&job->out, msg, len) == 0)
				job->changed = 1;
			k.client = k.trust = NULL;
			k.f = NULL;
			k.nf = 0;
			env_free(&k);
		}
		job_reason(job, "delivered %zu, bounced %zu, deferred %zu", done, perm, temp);
		code = EX_TEMP;
	} else {
		job_reason(job, "delivered %zu, bounced %zu%s%s", done, perm,
		    dsn[0] ? ", notice " : "", dsn);
		code = EX_DONE;
	}
out:
	free(r);
	free(g);
	env_free(&e);
	return code;
}

static int
setup(struct relay *rc)
{
	const char *ca = cfg_str("MS_TLS_CAFILE", NULL);

	if (control_path(rc->routespath, sizeof rc->routespath, "MS_ROUTES", "routes.cdb") < 0)
		ms_fatal(EX_TEMP, "MS_ETC or MS_ROUTES is too long");
	if (table_open(&rc->routes, rc->routespath) == 0)
		rc->have_routes = 1;
	else if (errno != ENOENT)
		ms_fatalsys("unable to open %s", rc->routespath);
	if (cfg_uint("MS_QUEUE_LIFETIME", 5 * 86400, &rc->lifetime) < 0 ||
	    cfg_uint("MS_CONNECT_TIMEOUT", 30, &rc->connect_timeout) < 0 ||
	    cfg_uint("MS_RELAY_TIMEOUT_DIVISOR", 1, &rc->scale) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_QUEUE_LIFETIME, MS_CONNECT_TIMEOUT "
		    "or MS_RELAY_TIMEOUT_DIVISOR");
	if ((rc->dns = dns_open()) == NULL && errno == EINVAL)
		ms_fatal(EX_TEMP, "MS_RESOLVER is not addr or addr:port");
	rc->route = cfg_str("MS_ROUTE", NULL);
	if (cfg_uint("MS_RELAY_PERDEST", 10, &rc->perdest) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_RELAY_PERDEST");
	if (cfg_spooldir(rc->slotdir, sizeof rc->slotdir, "relay-slots") < 0)
		rc->slotdir[0] = '\0';
	if (tls_init() < 0 || (rc->tls_opp = tls_config_new()) == NULL ||
	    (rc->tls_verify = tls_config_new()) == NULL)
		ms_fatal(EX_TEMP, "unable to set up TLS");
	tls_config_insecure_noverifycert(rc->tls_opp);
	tls_config_insecure_noverifyname(rc->tls_opp);
	if (ca && tls_config_set_ca_file(rc->tls_verify, ca) < 0)
		ms_fatal(EX_TEMP, "unable to load MS_TLS_CAFILE %s", ca);
	cfg_hostname(rc->host, sizeof rc->host);
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct relay rc;
	struct stage st = { .ctx = &rc, .filter = relay, .log = ms_logline };

	PROG = "ms-relay";
	memset(&rc, 0, sizeof rc);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-1] [-q out [-o dsn-out] [-b bounce] [-j n]]");
	signal(SIGPIPE, SIG_IGN);
	setup(&rc);
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
