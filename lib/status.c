/* status: see status.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "buf.h"
#include "header.h"
#include "status.h"

static const char *const words[] = {
	"clean", "cleaned", "infected", "unscanned", "released",
};

int
status_word_ok(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(w, words[i]) == 0)
			return 1;
	return 0;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
copyval(char *dst, size_t dstsz, const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n >= dstsz)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f || v[i] == ';')
			return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int
status_parse(const char *v, size_t n, struct status *st)
{
	size_t i = 0, s, e, eq, tl;
	unsigned seen = 0, bit;
	int first = 1;
	char *end;
	char t[24];

	memset(st, 0, sizeof *st);
	while (i <= n) {
		/* one item: up to ';' or the end, white space trimmed */
		s = i;
		while (i < n && v[i] != ';')
			i++;
		e = i++;
		while (s < e && is_wsp(v[s]))
			s++;
		while (e > s && is_wsp(v[e - 1]))
			e--;
		if (first) {
			if (copyval(st->status, sizeof st->status, v + s, e - s) < 0 ||
			    !status_word_ok(st->status))
				goto bad;
			first = 0;
			continue;
		}
		if (s == e && i > n)
			break;	/* a trailing ';' */
		for (eq = s; eq < e && v[eq] != '='; eq++)
			;
		if (eq == e)
			goto bad;
		tl = eq - s;
#define TAG(name) (tl == sizeof(name) - 1 && memcmp(v + s, name, tl) == 0)
		eq++;
		if (TAG("by")) {
			bit = 1;
			if (copyval(st->by, sizeof st->by, v + eq, e - eq) < 0)
				goto bad;
		} else if (TAG("engines")) {
			bit = 2;
			if (copyval(st->engines, sizeof st->engines, v + eq, e - eq) < 0)
				goto bad;
		} else if (TAG("t")) {
			bit = 4;
			if (copyval(t, sizeof t, v + eq, e - eq) < 0 || t[0] < '0' || t[0] > '9')
				goto bad;
			errno = 0;
			st->t = strtoll(t, &end, 10);
			if (*end || errno)
				goto bad;
		} else if (TAG("bh")) {
			bit = 8;
			if (copyval(st->bh, sizeof st->bh, v + eq, e - eq) < 0)
				goto bad;
		} else if (TAG("s")) {
			bit = 16;
			if (copyval(st->s, sizeof st->s, v + eq, e - eq) < 0)
				goto bad;
		} else
			goto bad;
#undef TAG
		if (seen & bit)
			goto bad;
		seen |= bit;
	}
	if (first || seen != 31)
		goto bad;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
status_canon(const struct status *st, struct buf *out)
{
	return buf_printf(out, "mailscan-status-1\n%s; by=%s; engines=%s; t=%lld; bh=%s",
	    st->status, st->by, st->engines, st->t, st->bh);
}

int
status_format(const struct status *st, struct buf *out)
{
	return buf_printf(out, "%s: %s; by=%s; engines=%s; t=%lld;\n\tbh=%s;\n\ts=%s\n",
	    STATUS_FIELD, st->status, st->by, st->engines, st->t, st->bh, st->s);
}

/* A header value, unfolded, runs of white space made one space. */
static int
hash_field(EVP_MD_CTX *md, const char *msg, size_t n, const char *name)
{
	struct buf v = BUF_INIT, c = BUF_INIT;
	struct hdr h;
	size_t i;
	int r = 0;

	if (buf_printf(&c, "%s:", name) < 0)
		return -1;
	if (hdr_find(msg, n, name, &h)) {
		if (hdr_unfold(&h, &v) < 0)
			r = -1;
		for (i = 0; r == 0 && i < v.len; i++) {
			if (v.p[i] == ' ' || v.p[i] == '\t') {
				if (c.len && c.p[c.len - 1] == ' ')
					continue;
				r = buf_addc(&c, ' ');
			} else
				r = buf_addc(&c, v.p[i]);
		}
	}
	if (r == 0 && buf_addc(&c, '\n') == 0)
		r = EVP_DigestUpdate(md, c.p, c.len) == 1 ? 0 : -1;
	else
		r = -1;
	buf_free(&v);
	buf_free(&c);
	return r;
}

int
status_bodyhash(const char *msg, size_t n, char *bh, size_t bhsz)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl;
	struct buf b = BUF_INIT;
	EVP_MD_CTX *md;
	size_t i, s, e, blank = 0;
	int r = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    hash_field(md, msg, n, "Content-Type") < 0 ||
	    hash_field(md, msg, n, "Content-Transfer-Encoding") < 0 ||
	    EVP_DigestUpdate(md, "\n", 1) != 1)
		goto out;
	/* The body line by line: CRLF, LF and a bare CR alike (a reader that
	 * takes a bare CR for a line end must not see lines we did not
	 * hash); empty lines are held back until a non-empty one follows, so
	 * trailing ones vanish. */
	i = hdr_end(msg, n);
	while (i < n) {
		s = i;
		while (i < n && msg[i] != '\n' && msg[i] != '\r')
			i++;
		e = i;
		if (i < n && msg[i] == '\r' && i + 1 < n && msg[i + 1] == '\n')
			i += 2;
		else if (i < n)
			i++;
		if (e == s) {
			blank++;
			continue;
		}
		for (; blank; blank--)
			if (EVP_DigestUpdate(md, "\n", 1) != 1)
				goto out;
		if (EVP_DigestUpdate(md, msg + s, e - s) != 1 ||
		    EVP_DigestUpdate(md, "\n", 1) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, d, &dl) != 1 || b64_encode(d, dl, &b) < 0 ||
	    b.len >= bhsz)
		goto out;
	memcpy(bh, b.p, b.len);
	bh[b.len] = '\0';
	r = 0;
out:
	EVP_MD_CTX_free(md);
	buf_free(&b);
	return r;
}
