/* envelope: see envelope.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cfg.h"
#include "envelope.h"
#include "grow.h"
#include "header.h"

void
env_init(struct envelope *e)
{
	memset(e, 0, sizeof *e);
}

void
env_free(struct envelope *e)
{
	size_t i;

	free(e->sender);
	for (i = 0; i < e->nrcpt; i++)
		free(e->rcpt[i]);
	free(e->rcpt);
	free(e->client);
	free(e->trust);
	for (i = 0; i < e->nf; i++) {
		free(e->f[i].name);
		free(e->f[i].value);
	}
	free(e->f);
	env_init(e);
}

int
env_addr_ok(const char *a, size_t n)
{
	size_t i;

	if (n > ENV_MAXADDR)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return 0;
	return 1;
}

static char *
dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

int
env_set(char **slot, const char *v, size_t n)
{
	char *d = dupn(v, n);
	if (d == NULL)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}

/* Strip WSP and one pair of enclosing angle brackets. */
static void
addr_trim(const char **a, size_t *n)
{
	while (*n && (**a == ' ' || **a == '\t')) {
		(*a)++;
		(*n)--;
	}
	while (*n && ((*a)[*n - 1] == ' ' || (*a)[*n - 1] == '\t'))
		(*n)--;
	if (*n >= 2 && (*a)[0] == '<' && (*a)[*n - 1] == '>') {
		(*a)++;
		*n -= 2;
	}
}

int
env_set_sender(struct envelope *e, const char *a, size_t n)
{
	addr_trim(&a, &n);
	if (!env_addr_ok(a, n)) {
		errno = EBADMSG;
		return -1;
	}
	return env_set(&e->sender, a, n);
}

int
env_add_rcpt(struct envelope *e, const char *a, size_t n)
{
	char **nr, *d;

	addr_trim(&a, &n);
	if (n == 0 || !env_addr_ok(a, n)) {
		errno = EBADMSG;
		return -1;
	}
	if ((nr = grow(e->rcpt, e->nrcpt, &e->rcptcap, sizeof *nr, 8)) == NULL)
		return -1;
	e->rcpt = nr;
	if ((d = dupn(a, n)) == NULL)
		return -1;
	e->rcpt[e->nrcpt++] = d;
	return 0;
}

int
env_add(struct envelope *e, const char *name, const char *value)
{
	struct envfield *nf;

	if ((nf = grow(e->f, e->nf, &e->fcap, sizeof *nf, 4)) == NULL)
		return -1;
	e->f = nf;
	nf = &e->f[e->nf];
	nf->name = strdup(name);
	nf->value = strdup(value);
	if (nf->name == NULL || nf->value == NULL) {
		free(nf->name);
		free(nf->value);
		return -1;
	}
	e->nf++;
	return 0;
}

const char *
env_get(const struct envelope *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nf; i++)
		if (strcasecmp(e->f[i].name, name) == 0)
			return e->f[i].value;
	return NULL;
}

/* Values are written back one per line: no control characters but HTAB. */
static int
value_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return 0;
	return 1;
}

static int
is_env_field(const struct hdr *h)
{
	if (hdr_is(h, "Return-Path"))
		return 1;
	return hdr_has_prefix(h, "X-Mailscan-") && !hdr_is(h, "X-Mailscan-Status");
}

int
env_parse(const char *p, size_t n, size_t maxrcpt, struct envelope *e,
    size_t *msgoff)
{
	struct buf v = BUF_INIT;
	struct hdr h;
	size_t pos = 0, last = 0;
	char name[128];
	int r = 0;

	while (hdr_next(p, n, &pos, &h) && is_env_field(&h)) {
		last = pos;
		/* The raw value is bounded loosely (folding adds bytes), the
		 * value itself exactly: what env_write() writes parses again. */
		if (h.valuelen > 2 * ENV_MAXFIELD || h.namelen >= sizeof name) {
			errno = EBADMSG;
			r = -1;
			break;
		}
		buf_reset(&v);
		if (hdr_unfold(&h, &v) < 0) {
			r = -1;
			break;
		}
		if (v.len > ENV_MAXFIELD) {
			errno = EBADMSG;
			r = -1;
			break;
		}
		if (!value_ok(v.p, v.len)) {
			errno = EBADMSG;
			r = -1;
			break;
		}
		if (hdr_is(&h, "Return-Path"))
			r = env_set_sender(e, v.p ? v.p : "", v.len);
		else if (hdr_is(&h, "X-Mailscan-Rcpt")) {
			if (e->nrcpt >= maxrcpt) {
				errno = EBADMSG;
				r = -1;
			} else
				r = env_add_rcpt(e, v.p, v.len);
		} else if (hdr_is(&h, "X-Mailscan-Client"))
			r = env_set(&e->client, v.p ? v.p : "", v.len);
		else if (hdr_is(&h, "X-Mailscan-Trust"))
			r = env_set(&e->trust, v.p ? v.p : "", v.len);
		else {
			memcpy(name, h.name, h.namelen);
			name[h.namelen] = '\0';
			if (buf_cstr(&v) == NULL)
				r = -1;
			else
				r = env_add(e, name, v.p);
		}
		if (r < 0)
			break;
	}
	buf_free(&v);
	*msgoff = last;
	return r;
}

int
env_from_environ(struct envelope *e, size_t maxrcpt)
{
	const char *s, *w;
	size_t i, l;

	/* An empty variable counts as unset, as everywhere (cfg_str). */
	if ((s = cfg_str("SENDER", NULL)) != NULL && env_set_sender(e, s, strlen(s)) < 0)
		return -1;
	if ((s = cfg_str("RECIPIENTS", NULL)) != NULL) {
		for (i = 0; i < e->nrcpt; i++)
			free(e->rcpt[i]);
		e->nrcpt = 0;
		while (*s) {
			while (*s == ' ' || *s == '\t' || *s == '\n')
				s++;
			for (w = s; *s && *s != ' ' && *s != '\t' && *s != '\n'; s++)
				;
			if ((l = (size_t)(s - w)) == 0)
				break;
			if (e->nrcpt >= maxrcpt) {
				errno = EBADMSG;
				return -1;
			}
			if (env_add_rcpt(e, w, l) < 0)
				return -1;
		}
	}
	if ((s = cfg_str("TCPREMOTEIP", NULL)) != NULL) {
		/* Keep the HELO name the block had, if any. */
		const char *helo = e->client ? strchr(e->client, ' ') : NULL;
		struct buf c = BUF_INIT;
		if (!env_addr_ok(s, strlen(s))) {
			errno = EBADMSG;
			return -1;
		}
		if (buf_adds(&c, s) < 0 || (helo && buf_adds(&c, helo) < 0) ||
		    env_set(&e->client, c.p, c.len) < 0) {
			buf_free(&c);
			return -1;
		}
		buf_free(&c);
	}
	if ((s = cfg_str("MS_TRUST", NULL)) != NULL) {
		if (!env_addr_ok(s, strlen(s))) {
			errno = EBADMSG;
			return -1;
		}
		if (env_set(&e->trust, s, strlen(s)) < 0)
			return -1;
	}
	return 0;
}

int
env_overridden(void)
{
	return cfg_str("SENDER", NULL) || cfg_str("RECIPIENTS", NULL) ||
	    cfg_str("TCPREMOTEIP", NULL) || cfg_str("MS_TRUST", NULL);
}

int
env_write(const struct envelope *e, struct buf *out)
{
	size_t i;

	/* No sender, no Return-Path: "<>" would say "a bounce". */
	if (e->sender && buf_printf(out, "Return-Path: <%s>\n", e->sender) < 0)
		return -1;
	for (i = 0; i < e->nrcpt; i++)
		if (buf_printf(out, "X-Mailscan-Rcpt: <%s>\n", e->rcpt[i]) < 0)
			return -1;
	if (e->client && buf_printf(out, "X-Mailscan-Client: %s\n", e->client) < 0)
		return -1;
	if (e->trust && buf_printf(out, "X-Mailscan-Trust: %s\n", e->trust) < 0)
		return -1;
	for (i = 0; i < e->nf; i++)
		if (buf_printf(out, "%s: %s\n", e->f[i].name, e->f[i].value) < 0)
			return -1;
	return 0;
}

/* The fields that must not come from outside. */
static int
foreign(const struct hdr *h, void *arg)
{
	(void)arg;
	if (hdr_is(h, "Return-Path"))
		return 1;
	return hdr_has_prefix(h, "X-Mailscan-") && !hdr_is(h, "X-Mailscan-Status");
}

int
env_accept(const struct envelope *e, const char *received, const char *msg,
    size_t n, struct buf *out)
{
	if (env_write(e, out) < 0 || buf_adds(out, received) < 0)
		return -1;
	if (n && (msg[0] == ' ' || msg[0] == '\t') && buf_addc(out, '\n') < 0)
		return -1;
	return hdr_filter(msg ? msg : "", n, foreign, NULL, out) < 0 ? -1 : 0;
}
