/* mimewalk: the MIME walk of lib/mime, made visible for the tests.
 *
 *	mimewalk [-D depth] [-P parts] [-F factor] [-X decoded] [-H header]
 *	    [-r index [-R reason] | -d index] < message
 *
 * Reads a message (no envelope block) on stdin and prints one line per
 * leaf, fields separated by one blank, the free-form one last:
 *
 *	INDEX DEPTH TYPE/SUBTYPE CHARSET ENCODING KIND OFF LEN SIZE SHA256 FLAGS [NAME]
 *
 * CHARSET and ENCODING are "-" when absent, KIND is "part" or "uu", OFF and
 * LEN the byte range of the part (what -r replaces), SIZE and SHA256 those
 * of the decoded bytes, FLAGS a comma list or "-",
 * NAME the file name with bytes outside printable ASCII and the backslash
 * written as \xHH.  A last line sums up:
 *
 *	result parts=N leaves=N depth=N decoded=N limit=NAME anomalies=LIST
 *
 * -r INDEX prints the message with leaf INDEX replaced by the removal
 * notice of mime_notice() instead; -d INDEX prints the decoded bytes of
 * leaf INDEX.  The options in capitals override the limits.
 *
 * Exit: 0 walked; 1 a limit stopped the walk; 100 usage, or no leaf INDEX;
 * 111 out of memory or unable to read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "buf.h"
#include "diag.h"
#include "mime.h"
#include "msg.h"

#define MAXMSG ((size_t)1 << 30)

struct ctx {
	const char *msg;
	size_t n;
	size_t want;		/* -r or -d: the leaf wanted; 0 none */
	int replace;
	const char *reason;
	struct buf out;		/* what is printed */
	size_t off, len;	/* -r: the range replaced */
	int found;
};

static const char *const flagnames[] = { "message", "truncated", "baddata",
    "unknownenc", "indirect", "base64", "noboundary", "encoded" };

static int
addlist(struct buf *b, unsigned bits, const char *(*name)(unsigned))
{
	unsigned bit;
	int any = 0;

	for (bit = 1; bit; bit <<= 1) {
		if (!(bits & bit))
			continue;
		if ((any++ && buf_addc(b, ',') < 0) ||
		    buf_adds(b, name(bit) ? name(bit) : "?") < 0)
			return -1;
	}
	return any ? 0 : buf_addc(b, '-');
}

static const char *
flagname(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof flagnames / sizeof flagnames[0]; i++)
		if (bit == 1u << i)
			return flagnames[i];
	return NULL;
}

static int
leaf(void *arg, const struct mime_part *p)
{
	struct ctx *c = arg;
	struct buf *b = &c->out;
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	if (c->want) {
		if (p->index != c->want)
			return 0;
		c->found = 1;
		if (!c->replace)
			return buf_add(b, p->data, p->datalen) < 0 ? -1 : 1;
		c->off = p->off;
		c->len = p->len;
		return mime_notice(c->msg, c->n, p, c->reason, strlen(c->reason), b) < 0 ?
		    -1 : 1;
	}
	SHA256((const unsigned char *)p->data, p->datalen, md);
	if (buf_printf(b, "%zu %zu %s/%s %s %s %s %zu %zu %zu ", p->index, p->depth,
	    p->type, p->subtype, *p->charset ? p->charset : "-",
	    *p->encoding ? p->encoding : "-",
	    p->kind == MIME_KIND_UU ? "uu" : "part", p->off, p->len, p->datalen) < 0)
		return -1;
	for (i = 0; i < sizeof md; i++)
		if (buf_printf(b, "%02x", md[i]) < 0)
			return -1;
	if (buf_addc(b, ' ') < 0 || addlist(b, p->flags, flagname) < 0)
		return -1;
	if (p->name) {
		if (buf_addc(b, ' ') < 0)
			return -1;
		for (i = 0; i < p->namelen; i++) {
			unsigned char ch = (unsigned char)p->name[i];

			if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
				if (buf_addc(b, (char)ch) < 0)
					return -1;
			} else if (buf_printf(b, "\\x%02x", ch) < 0)
				return -1;
		}
	}
	return buf_addc(b, '\n') < 0 ? -1 : 0;
}

static void
usage(void)
{
	ms_usage("[-D depth] [-P parts] [-F factor] [-X decoded] [-H header] "
	    "[-r index [-R reason] | -d index]");
}

static size_t
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || v > SIZE_MAX)
		usage();
	return (size_t)v;
}

int
main(int argc, char **argv)
{
	struct mime_limits lim;
	struct mime_result res;
	struct ctx c = { .reason = "removed by mimewalk", .out = BUF_INIT };
	struct buf rep = BUF_INIT;
	struct msg m;
	int ch, r;

	PROG = "mimewalk";
	mime_limits_default(&lim);
	while ((ch = getopt(argc, argv, "D:P:F:X:H:r:R:d:")) != -1) {
		switch (ch) {
		case 'D': lim.depth = num(optarg); break;
		case 'P': lim.parts = num(optarg); break;
		case 'F': lim.factor = num(optarg); break;
		case 'X': lim.decoded = num(optarg); break;
		case 'H': lim.header = num(optarg); break;
		case 'r': c.want = num(optarg); c.replace = 1; break;
		case 'd': c.want = num(optarg); c.replace = 0; break;
		case 'R': c.reason = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (msg_load(0, MAXMSG, &m) < 0)
		ms_fatalsys("unable to read the message");
	c.msg = m.p;
	c.n = m.len;
	r = mime_walk(m.p, m.len, &lim, leaf, &c, &res);
	if (r < 0)
		ms_fatalsys("unable to walk the message");
	if ((c.want || c.replace) && !c.found)
		ms_fatal(EX_PERM, "no leaf %zu%s", c.want,
		    res.limit ? " before the walk hit a limit" : "");
	if (c.want && c.replace) {
		if (mime_replace(m.p, m.len, c.off, c.len, c.out.p, c.out.len, &rep) < 0)
			ms_fatalsys("unable to replace leaf %zu", c.want);
		if (write_all(1, rep.p, rep.len) < 0)
			ms_fatalsys("unable to write the message");
		buf_free(&rep);
		buf_free(&c.out);
		msg_free(&m);
		return EX_PASS;
	}
	if (!c.want) {
		if (buf_printf(&c.out, "result parts=%zu leaves=%zu depth=%zu decoded=%zu "
		    "limit=%s anomalies=", res.parts, res.leaves, res.depth, res.decoded,
		    mime_limit_name(res.limit)) < 0 ||
		    addlist(&c.out, res.anomalies, mime_anomaly_name) < 0 ||
		    buf_addc(&c.out, '\n') < 0)
			ms_fatalsys("unable to format the result");
	}
	if (write_all(1, c.out.p, c.out.len) < 0)
		ms_fatalsys("unable to write");
	buf_free(&c.out);
	msg_free(&m);
	return res.limit ? EX_ALT : EX_PASS;
}
