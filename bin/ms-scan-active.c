/* ms-scan-active: take active content out of mail, keep the rest.
 *
 * Every leaf of the MIME walk is looked at:
 *   - a document (by its bytes, not its name): OOXML, OLE2, RTF, PDF.
 *     lib/doc.h takes out VBA projects, remote templates, embedded
 *     objects and PDF actions, within the limits MS_DOC_*; the part is
 *     re-encoded as it came and what was taken out is kept in the
 *     quarantine maildir (MS_MACROS: strip, remove, quarantine, reject,
 *     tag);
 *   - HTML: text/html, XHTML, SVG, and text parts or attachments whose
 *     bytes a browser would render as HTML.  lib/html.h edits byte ranges
 *     of the decoded part; each removal leaves MS_ACTIVE_NOTE (MS_ACTION:
 *     clean, quarantine, reject, tag);
 *   - a message/rfc822 sent with a transfer encoding is walked as a
 *     message of its own and re-encoded.
 * Every other byte of the message stays as it was.  The verdict line
 * names what was found in which part, and the quarantine ID of what was
 * kept ("kept=ID").  See ms-scan-active(8).
 */
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "cfg.h"
#include "diag.h"
#include "doc.h"
#include "envelope.h"
#include "grow.h"
#include "header.h"
#include "html.h"
#include "maildir.h"
#include "mime.h"
#include "notice.h"
#include "qp.h"
#include "scan.h"
#include "spool.h"

#define DEPTH 4		/* encoded messages inside encoded messages */

enum { M_STRIP, M_REMOVE, M_QUARANTINE, M_REJECT, M_TAG };

struct act {
	struct scan_settings s;
	struct doc_limits dlim;	/* MS_DOC_ENTRIES, _PARTMAX, _TOTALMAX, _RATIO, _DEPTH */
	int macros;		/* MS_MACROS */
	unsigned hopts;		/* MS_ACTIVE_FORMS */
	char note[256];		/* MS_ACTIVE_NOTE */
	char qdir[PATH_MAX];	/* MS_QUARANTINE */
	struct maildir md;
	int mdopen;
	char host[256];
	char id[32];
};

/* Something taken out, to be kept in the quarantine. */
struct kept {
	size_t hit;		/* the top-level hit it belongs to */
	char what[120];		/* "word/vbaProject.bin", "the whole part" */
	char file[120];		/* the attachment's name, or "" */
	size_t part;
	char why[200];
	struct buf data;
};

struct walk {
	struct act *a;
	const char *msg;
	size_t n;
	int depth;
	const struct mime_part *part;
	struct scan_findings f;
	unsigned classes;	/* 1: HTML, 2: documents */
	struct kept *k;
	size_t nk, kcap;
	size_t keepfrom;	/* kept parts of the leaf being looked at */
	int failed;
	char err[200];
};

#define C_HTML 1
#define C_DOC 2

static int walk_message(struct walk *w, const char *msg, size_t n);

static int
fail(struct walk *w, const char *fmt, const char *arg)
{
	if (!w->failed)
		snprintf(w->err, sizeof w->err, fmt, arg);
	w->failed = 1;
	return 1;
}

/* doc_removed_fn: keep one part taken out of the current leaf. */
static int
keep(void *arg, const char *name, const char *data, size_t len)
{
	struct walk *w = arg;
	struct kept *k;

	if ((k = grow(w->k, w->nk, &w->kcap, sizeof *k, 4)) == NULL)
		return -1;
	w->k = k;
	k = &w->k[w->nk];
	memset(k, 0, sizeof *k);
	ms_sanitize(k->what, sizeof k->what, name, strlen(name));
	if (buf_add(&k->data, data, len) < 0)
		return -1;
	w->nk++;
	return 0;
}

static void
kept_free(struct walk *w)
{
	for (size_t i = 0; i < w->nk; i++)
		buf_free(&w->k[i].data);
	free(w->k);
	w->k = NULL;
	w->nk = w->kcap = 0;
}

/* A hit on the current leaf: its range replaced by repl (a new body when
 * body is set, else a removal notice made here). */
static int
hit(struct walk *w, const struct mime_part *p, const char *name, int body,
    const struct buf *repl, const char *why)
{
	struct scan_hit *h;
	char reason[300];

	if (body) {
		if (scan_hit(&w->f, w->msg, w->n, NULL, name, NULL, "") < 0)
			return -1;
		h = &w->f.hit[w->f.nhit - 1];
		h->part = p->index;
		if (p->name)
			ms_sanitize(h->file, sizeof h->file, p->name, p->namelen);
		h->off = p->bodyoff;
		h->len = p->bodylen;
		if (buf_add(&h->notice, repl->p, repl->len) < 0)
			return -1;
	} else {
		snprintf(reason, sizeof reason, "%s; it was taken out by mailscan "
		    "(ms-scan-active)", why);
		if (scan_hit(&w->f, w->msg, w->n, p, name, NULL, "") < 0)
			return -1;
		h = &w->f.hit[w->f.nhit - 1];
		buf_reset(&h->notice);
		if (mime_notice(w->msg, w->n, p, reason, strlen(reason), &h->notice) < 0)
			return -1;
	}
	for (size_t i = w->keepfrom; i < w->nk; i++) {
		w->k[i].hit = w->f.nhit - 1;
		w->k[i].part = p->index;
		strlcpy(w->k[i].file, h->file, sizeof w->k[i].file);
		ms_sanitize(w->k[i].why, sizeof w->k[i].why, why, strlen(why));
	}
	return 0;
}

/* The decoded bytes data[0..len) as the body of part p, encoded as it was. */
static int
reencode(const struct walk *w, const struct mime_part *p, const char *data,
    size_t len, struct buf *out)
{
	const char *eol = p->bodylen && memmem(w->msg + p->bodyoff, p->bodylen, "\r\n", 2) ?
	    "\r\n" : "\n";

	if (strcmp(p->encoding, "base64") == 0)
		return b64_encode_lines(data, len, eol, out);
	if (strcmp(p->encoding, "quoted-printable") == 0)
		return qp_encode(data, len, eol, out);
	return buf_add(out, data, len);
}

static int
name_ends(const struct mime_part *p, const char *ext)
{
	size_t l = strlen(ext);
	return p->name && p->namelen >= l &&
	    strncasecmp(p->name + p->namelen - l, ext, l) == 0;
}

/* Would a mail client or a browser render this part as HTML? */
static int
is_html(const struct mime_part *p)
{
	static const char *const ext[] = { ".htm", ".html", ".xhtml", ".shtml", ".svg",
	    ".hta", ".xht", NULL };

	if (strcmp(p->type, "text") == 0 && strcmp(p->subtype, "html") == 0)
		return 1;
	if (strcmp(p->subtype, "xhtml+xml") == 0 || strcmp(p->subtype, "svg+xml") == 0)
		return 1;
	for (const char *const *e = ext; *e; e++)
		if (name_ends(p, *e))
			return 1;
	if (strcmp(p->type, "text") == 0 || strcmp(p->subtype, "octet-stream") == 0 ||
	    p->kind == MIME_KIND_UU)
		return html_sniff(p->data, p->datalen);
	return 0;
}

/* A document: its finding is named for what was found in it (vba-macro,
 * xlm-macro, remote-template ...); the reason a document could not be
 * read names its kind as the finding of that kind would (vba-macro for
 * any zip, ole-macro, rtf-object, pdf-action). */
static int
leaf_doc(struct walk *w, const struct mime_part *p)
{
	const struct doc_limits *lim = &w->a->dlim;
	struct buf out = BUF_INIT, repl = BUF_INIT;
	char why[200] = "", name[128];
	const char *kind;
	unsigned found = 0;
	int rc, ole = 0;

	if (doc_is_zip(p->data, p->datalen)) {
		kind = "vba-macro";
		rc = ooxml_strip(p->data, p->datalen, lim, &out, &found, why, sizeof why,
		    keep, w);
	} else if (doc_is_ole(p->data, p->datalen)) {
		kind = "ole-macro";
		ole = 1;
		rc = ole_strip(p->data, p->datalen, lim, &out, &found, why, sizeof why,
		    keep, w);
	} else if (doc_is_rtf(p->data, p->datalen)) {
		kind = "rtf-object";
		rc = rtf_strip(p->data, p->datalen, lim, w->a->note, &out, &found, why,
		    sizeof why, keep, w);
	} else if (doc_is_pdf(p->data, p->datalen)) {
		kind = "pdf-action";
		rc = pdf_strip(p->data, p->datalen, lim, &out, &found, why, sizeof why,
		    keep, w);
	} else
		return -1;	/* not a document */
	if (rc < 0) {
		if (errno == ENOMEM)
			fail(w, "%s", "out of memory");
		else if (!w->f.unscanned[0])
			snprintf(w->f.unscanned, sizeof w->f.unscanned, "part %zu: %s %s%s%s",
			    p->index, kind, errno == ENOTSUP ? "in a form not read" : "malformed",
			    why[0] ? ": " : "", why);
		buf_free(&out);
		return 0;
	}
	if (rc == 0) {
		buf_free(&out);
		return 0;
	}
	w->classes |= C_DOC;
	doc_found_names(found, ole, name, sizeof name);
	if (name[0] == '\0')
		strlcpy(name, kind, sizeof name);
	if (rc == 1 && w->a->macros != M_REMOVE && p->kind != MIME_KIND_UU) {
		if (reencode(w, p, out.p, out.len, &repl) < 0 ||
		    hit(w, p, name, 1, &repl, why) < 0)
			fail(w, "%s", "out of memory");
	} else {
		/* the whole part goes; it is kept as it came */
		while (w->nk > w->keepfrom)
			buf_free(&w->k[--w->nk].data);
		if (keep(w, p->name ? "the attachment" : "the part", p->data, p->datalen) < 0 ||
		    hit(w, p, name, 0, NULL, why) < 0)
			fail(w, "%s", "out of memory");
	}
	buf_free(&out);
	buf_free(&repl);
	return 0;
}

static void
kinds_name(unsigned kinds, char *name, size_t sz)
{
	size_t l = strlcpy(name, "html-", sz);
	int first = 1;

	for (unsigned b = 1; b; b <<= 1)
		if ((kinds & b) && html_kind_name(b) && l < sz) {
			l += strlcpy(name + l, first ? "" : "+", sz - l);
			l += strlcpy(name + l, html_kind_name(b), l < sz ? sz - l : 0);
			first = 0;
		}
}

static int
leaf_html(struct walk *w, const struct mime_part *p)
{
	struct buf out = BUF_INIT, repl = BUF_INIT;
	char name[120], why[200];
	unsigned kinds;
	int rc;

	rc = html_disarm(p->data, p->datalen, p->charset, w->a->hopts, w->a->note,
	    strlen(w->a->note), &out, &kinds);
	if (rc < 0)
		return fail(w, "%s", "out of memory");
	if (rc == 0) {
		buf_free(&out);
		return 0;
	}
	w->classes |= C_HTML;
	kinds_name(kinds, name, sizeof name);
	if (keep(w, "the HTML part", p->data, p->datalen) < 0)
		return fail(w, "%s", "out of memory");
	if (rc == 1 && p->kind != MIME_KIND_UU) {
		if (reencode(w, p, out.p, out.len, &repl) < 0 ||
		    hit(w, p, name, 1, &repl, "") < 0)
			fail(w, "%s", "out of memory");
	} else {
		snprintf(why, sizeof why, "it held HTML that could not be made safe (%s)",
		    name + 5);
		if (hit(w, p, name, 0, NULL, why) < 0)
			fail(w, "%s", "out of memory");
	}
	buf_free(&out);
	buf_free(&repl);
	return 0;
}

/* A message/rfc822 that came with a transfer encoding: walked on its own,
 * its findings become one hit on this part. */
static int
leaf_message(struct walk *w, const struct mime_part *p)
{
	struct walk in;
	struct buf msg = BUF_INIT, repl = BUF_INIT;
	char name[200] = "";
	size_t i, l = 0;

	memset(&in, 0, sizeof in);
	in.a = w->a;
	in.depth = w->depth + 1;
	if (walk_message(&in, p->data, p->datalen) < 0 || in.failed) {
		fail(w, "%s", in.failed ? in.err : "out of memory");
		goto out;
	}
	if (in.f.unscanned[0] && !w->f.unscanned[0])
		snprintf(w->f.unscanned, sizeof w->f.unscanned, "part %zu: %s", p->index,
		    in.f.unscanned);
	if (in.f.nhit == 0)
		goto out;
	w->classes |= in.classes;
	for (i = 0; i < in.f.nhit && l < sizeof name; i++) {
		l += strlcpy(name + l, i ? "+" : "", sizeof name - l);
		l += strlcpy(name + l, in.f.hit[i].name, l < sizeof name ? sizeof name - l : 0);
	}
	if (scan_clean(p->data, p->datalen, &in.f, &msg) < 0 ||
	    reencode(w, p, msg.p, msg.len, &repl) < 0)
		goto nomem;
	/* what the inner walk kept belongs to this part now */
	for (i = 0; i < in.nk; i++) {
		if (keep(w, in.k[i].what, in.k[i].data.p, in.k[i].data.len) < 0)
			goto nomem;
		strlcpy(w->k[w->nk - 1].why, in.k[i].why, sizeof w->k[0].why);
	}
	if (hit(w, p, name, 1, &repl, "") < 0)
		goto nomem;
	for (i = w->keepfrom; i < w->nk; i++)
		strlcpy(w->k[i].why, in.k[i - w->keepfrom].why, sizeof w->k[0].why);
	goto out;
nomem:
	fail(w, "%s", "out of memory");
out:
	scan_findings_free(&in.f);
	kept_free(&in);
	buf_free(&msg);
	buf_free(&repl);
	return w->failed;
}

static int
leaf(void *arg, const struct mime_part *p)
{
	struct walk *w = arg;
	size_t before = w->f.nhit;

	if (scan_skip(&w->a->s, p) || p->datalen == 0)
		return 0;
	w->part = p;
	w->keepfrom = w->nk;
	if ((p->flags & MIME_F_ENCODED) && w->depth >= DEPTH) {
		if (!w->f.unscanned[0])
			snprintf(w->f.unscanned, sizeof w->f.unscanned,
			    "part %zu: encoded messages nested deeper than %d", p->index, DEPTH);
	} else if (p->flags & MIME_F_ENCODED)
		leaf_message(w, p);
	else if (leaf_doc(w, p) < 0 && is_html(p))
		leaf_html(w, p);
	/* A uu block lies inside its carrier: if both changed, the carrier's
	 * edit would hide the block's. */
	if (w->f.nhit > before && before > 0 && p->kind == MIME_KIND_UU) {
		const struct scan_hit *last = &w->f.hit[w->f.nhit - 1];
		for (size_t i = 0; i < before; i++)
			if (w->f.hit[i].off < last->off + last->len &&
			    last->off < w->f.hit[i].off + w->f.hit[i].len &&
			    !w->f.unscanned[0])
				snprintf(w->f.unscanned, sizeof w->f.unscanned,
				    "part %zu: active content in a uuencoded block of a "
				    "part that was changed too", p->index);
	}
	return w->failed;
}

static int
walk_message(struct walk *w, const char *msg, size_t n)
{
	struct mime_result res;

	w->msg = msg;
	w->n = n;
	if (mime_walk(msg, n, &w->a->s.lim, leaf, w, &res) < 0)
		return -1;
	if (res.limit && !w->f.unscanned[0])
		snprintf(w->f.unscanned, sizeof w->f.unscanned, "MIME limit: %s",
		    mime_limit_name(res.limit));
	return 0;
}

/* reject > quarantine > clean > tag */
static int
severity(int act)
{
	return act == ACT_REJECT ? 4 : act == ACT_QUARANTINE ? 3 : act == ACT_CLEAN ? 2 :
	    act == ACT_TAG ? 1 : 0;
}

/* One attachment of a kept message: the bytes taken out, named for what
 * they were. */
static int
kept_part(const struct kept *k, struct buf *m)
{
	const char *slash = strrchr(k->what, '/');
	char base[120], *c;

	if (strncmp(k->what, "the ", 4) != 0)
		strlcpy(base, slash ? slash + 1 : k->what, sizeof base);
	else if (k->file[0])	/* a whole part */
		strlcpy(base, k->file, sizeof base);
	else
		snprintf(base, sizeof base, "part%zu.%s", k->part,
		    strstr(k->what, "HTML") ? "html" : "bin");
	for (c = base; *c; c++)
		if (*c == '"' || *c == '\\' || *c == '/' || *c == ' ')
			*c = '_';
	if (base[0] == '\0')
		strlcpy(base, "part", sizeof base);
	return buf_printf(m, "--=_mailscan_kept_\n"
	    "Content-Type: application/octet-stream; name=\"%s\"\n"
	    "Content-Disposition: attachment; filename=\"%s\"\n"
	    "Content-Description: %s\n"
	    "Content-Transfer-Encoding: base64\n\n", base, base, k->what) < 0 ||
	    b64_encode_lines(k->data.p, k->data.len, "\n", m) < 0 ? -1 : 0;
}

/* Write what was taken out into the quarantine: one message for each hit
 * whose part changed, every piece taken out of it attached, and the
 * message's ID named in the hit (kept=ID).  A hit whose part stays as it
 * was (its class is only tagged) keeps nothing. */
static int
keep_all(struct act *a, struct job *job, size_t msgoff, struct walk *w)
{
	const char *msg = job->in + msgoff;
	size_t n = job->inlen - msgoff, off, h, i, pieces;
	struct envelope e;
	struct buf m = BUF_INIT;
	char name[256], date[64];
	const struct kept *first;
	struct iovec iov;
	int rc = -1;

	if (w->nk == 0)
		return 0;
	if (!a->mdopen) {
		if (maildir_open(&a->md, a->qdir, MD_CREATE) < 0) {
			job_reason(job, "unable to open the quarantine %s: %s", a->qdir,
			    strerror(errno));
			return -1;
		}
		a->mdopen = 1;
	}
	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		env_free(&e);
		return -1;
	}
	for (h = 0; h < w->f.nhit; h++) {
		if (w->f.hit[h].len == 0)
			continue;
		for (i = 0, pieces = 0, first = NULL; i < w->nk; i++)
			if (w->k[i].hit == h && pieces++ == 0)
				first = &w->k[i];
		if (first == NULL)
			continue;
		if (maildir_uniq(&a->md, name, sizeof name) < 0)
			goto out;
		buf_reset(&m);
		if (env_write(&e, &m) < 0 ||
		    buf_printf(&m, "X-Mailscan-Verdict: %s kept %s from part %zu%s%s\n",
		        a->id, w->f.hit[h].name, first->part, first->file[0] ? " " : "",
		        first->file) < 0 ||
		    buf_printf(&m, "From: Mailscan <MAILER-DAEMON@%s>\n"
		        "Subject: [mailscan] %s taken out of part %zu\n"
		        "Date: %s\nMessage-ID: <%s@%s>\nAuto-Submitted: auto-generated\n"
		        "MIME-Version: 1.0\n"
		        "Content-Type: multipart/mixed; boundary=\"=_mailscan_kept_\"\n\n"
		        "--=_mailscan_kept_\nContent-Type: text/plain; charset=utf-8\n\n"
		        "mailscan (ms-scan-active) found %s in part %zu%s%s%s\n"
		        "of the message below, which went on without it.  What it took\n"
		        "out is attached (%zu piece%s).\n%s%s\n\n",
		        a->host, w->f.hit[h].name, first->part, hdr_date(date, sizeof date),
		        name, a->host, w->f.hit[h].name, first->part,
		        first->file[0] ? " (\"" : "", first->file, first->file[0] ? "\")" : "",
		        pieces, pieces == 1 ? "" : "s", first->why[0] ? "Why: " : "",
		        first->why) < 0 ||
		    notice_describe(msg, n, &e, 1, &m) < 0 ||
		    buf_printf(&m, "\nTo send it to the recipients after all:\n"
		        "  ms-quarantine release -o %s\n\n", name) < 0)
			goto out;
		for (i = 0; i < w->nk; i++)
			if (w->k[i].hit == h && kept_part(&w->k[i], &m) < 0)
				goto out;
		if (buf_adds(&m, "--=_mailscan_kept_--\n") < 0)
			goto out;
		iov.iov_base = m.p;
		iov.iov_len = m.len;
		if (maildir_put(&a->md, name, &iov, 1, 0) < 0) {
			job_reason(job, "unable to keep %s in %s: %s", w->f.hit[h].name,
			    a->qdir, strerror(errno));
			rc = -2;
			goto out;
		}
		strlcpy(w->f.hit[h].ref, name, sizeof w->f.hit[h].ref);
	}
	rc = 0;
out:
	if (rc == -1)
		job_reason(job, "unable to keep what was taken out: %s", strerror(errno));
	env_free(&e);
	buf_free(&m);
	return rc < 0 ? -1 : 0;
}

static int
filter(void *ctx, struct job *job)
{
	struct act *a = ctx;
	struct walk w;
	size_t off, i;
	int code, act = -1, hact, dact;

	if (!scan_begin(job, &a->s, &off, &code))
		return code;
	memset(&w, 0, sizeof w);
	w.a = a;
	w.f.label = "active content";
	if (walk_message(&w, job->in + off, job->inlen - off) < 0 || w.failed) {
		job_reason(job, "%s", w.failed ? w.err : "unable to walk the message: out of memory");
		code = EX_TEMP;
		goto out;
	}
	/* One action for the message: the most severe among the classes found
	 * (and MS_UNSCANNABLE, if a part could not be read); a class whose own
	 * action is milder than clean keeps its parts as they were. */
	hact = scan_action(&a->s, job);
	dact = a->macros == M_STRIP || a->macros == M_REMOVE ? ACT_CLEAN :
	    a->macros == M_QUARANTINE ? ACT_QUARANTINE : a->macros == M_REJECT ? ACT_REJECT :
	    ACT_TAG;
	if (w.classes & C_HTML)
		act = hact;
	if ((w.classes & C_DOC) && severity(dact) > severity(act))
		act = dact;
	if (w.f.nhit && w.f.unscanned[0] && a->s.unscannable != ACT_PASS &&
	    severity(a->s.unscannable) > severity(act))
		act = a->s.unscannable;
	if (w.f.nhit) {
		w.f.action = act + 1;
		for (i = 0; i < w.f.nhit; i++) {
			int doc = strncmp(w.f.hit[i].name, "html-", 5) != 0;
			if ((doc ? dact : hact) != ACT_CLEAN) {
				w.f.hit[i].len = 0;	/* the part stays as it is */
				buf_reset(&w.f.hit[i].notice);
			}
		}
		if (act == ACT_CLEAN && keep_all(a, job, off, &w) < 0) {
			code = EX_TEMP;
			goto out;
		}
	}
	code = scan_finish(job, off, a->id, &a->s, &w.f);
out:
	scan_findings_free(&w.f);
	kept_free(&w);
	return code;
}

/* MS_DOC_*: the limits of the document readers, each at least 1, the
 * depth at most DOC_DEPTH_MAX.  -1 with *bad naming the variable. */
static int
doc_limits_load(struct doc_limits *l, const char **bad)
{
	static const struct doc_limits dflt = DOC_LIMITS_DEFAULT;
	unsigned u;

	*l = dflt;
	*bad = "MS_DOC_ENTRIES";
	if (cfg_uint(*bad, (unsigned)l->entries, &u) < 0 || u == 0)
		return -1;
	l->entries = u;
	*bad = "MS_DOC_PARTMAX";
	if (cfg_size(*bad, l->part, &l->part) < 0 || l->part == 0)
		return -1;
	*bad = "MS_DOC_TOTALMAX";
	if (cfg_size(*bad, l->total, &l->total) < 0 || l->total == 0)
		return -1;
	*bad = "MS_DOC_RATIO";
	if (cfg_uint(*bad, (unsigned)l->ratio, &u) < 0 || u == 0)
		return -1;
	l->ratio = u;
	*bad = "MS_DOC_DEPTH";
	if (cfg_uint(*bad, (unsigned)l->depth, &u) < 0 || u == 0 || u > DOC_DEPTH_MAX)
		return -1;
	l->depth = u;
	*bad = NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const macros[] = { "strip", "remove", "quarantine", "reject", "tag" };
	struct spool_opts so = { 0 };
	struct act a;
	struct stage st = { .ctx = &a, .filter = filter, .log = ms_logline };
	const char *bad, *v;
	int i;

	PROG = "ms-scan-active";
	memset(&a, 0, sizeof a);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-q in -o out [-a alt] [-b bounce] [-j n]]");
	if (geteuid() == 0)
		ms_fatal(EX_TEMP, "refusing to run as root: run me under my own uid "
		    "(e.g. setpriv --reuid=mailscan ...)");
	if (scan_settings_load(&a.s, &bad) < 0 || doc_limits_load(&a.dlim, &bad) < 0)
		ms_fatal(EX_TEMP, "unable to parse %s", bad);
	if (cfg_str("MS_ACTION", "")[0] == '\0')
		a.s.action = ACT_CLEAN;	/* this engine disarms by default */
	v = cfg_str("MS_MACROS", "strip");
	for (i = 0; i < 5 && strcmp(v, macros[i]) != 0; i++)
		;
	if (i == 5)
		ms_fatal(EX_TEMP, "unable to parse MS_MACROS: strip, remove, quarantine, "
		    "reject or tag");
	a.macros = i;
	v = cfg_str("MS_ACTIVE_FORMS", "keep");
	if (strcmp(v, "strip") == 0)
		a.hopts |= HTML_FORMS;
	else if (strcmp(v, "keep") != 0)
		ms_fatal(EX_TEMP, "unable to parse MS_ACTIVE_FORMS: keep or strip");
	if (strlcpy(a.note, cfg_str("MS_ACTIVE_NOTE",
	    "[active content was removed here by mailscan]"), sizeof a.note) >= sizeof a.note)
		ms_fatal(EX_TEMP, "MS_ACTIVE_NOTE is too long");
	for (char *c = a.note; *c; c++)
		if ((unsigned char)*c < 0x20)
			ms_fatal(EX_TEMP, "MS_ACTIVE_NOTE holds a control character");
	if (cfg_str("MS_QUARANTINE", NULL)) {
		if (strlcpy(a.qdir, cfg_str("MS_QUARANTINE", NULL), sizeof a.qdir) >= sizeof a.qdir)
			ms_fatal(EX_TEMP, "MS_QUARANTINE is too long");
	} else if (cfg_spooldir(a.qdir, sizeof a.qdir, "quarantine") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	cfg_hostname(a.host, sizeof a.host);
	snprintf(a.id, sizeof a.id, "active");
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
