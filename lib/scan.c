/* scan: see scan.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "diag.h"
#include "envelope.h"
#include "grow.h"
#include "scan.h"
#include "spool.h"

static int
word(const char *v, const char *const *words, int n, int def)
{
	if (v == NULL || *v == '\0')
		return def;
	for (int i = 0; i < n; i++)
		if (words[i] && strcmp(v, words[i]) == 0)
			return i;
	return -1;
}

const char *const scan_levels[4] = { "trusted", "neutral", "suspect", "hostile" };

int
scan_wanted(const struct scan_settings *s, const char *trust)
{
	const char *w = s->levels;
	size_t l, tl;

	if (*w == '\0' || trust == NULL)
		return 1;
	tl = strlen(trust);
	while (*w) {
		w += strspn(w, " \t,");
		l = strcspn(w, " \t,");
		if (l == tl && strncasecmp(w, trust, l) == 0)
			return 1;
		w += l;
	}
	return 0;
}

int
scan_begin(struct job *job, const struct scan_settings *s, size_t *off, int *code)
{
	struct envelope e;
	int go = 1;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		*code = errno == EBADMSG ? EX_PERM : EX_TEMP;
		go = 0;
	} else if (!scan_wanted(s, e.trust)) {
		job_reason(job, "not scanned here at trust level %s (MS_LEVELS)", e.trust);
		*code = EX_PASS;
		go = 0;
	}
	env_free(&e);
	return go;
}

int
scan_settings_load(struct scan_settings *s, const char **bad)
{
	static const char *const acts[] = { "clean", "quarantine", "reject", "tag", "pass" };
	static const char *const unsc[] = { NULL, "quarantine", "reject", NULL, "pass" };
	size_t v;
	unsigned u;

	memset(s, 0, sizeof *s);
	mime_limits_default(&s->lim);
	*bad = "MS_ACTION";
	if ((s->action = word(getenv("MS_ACTION"), acts, 4, ACT_QUARANTINE)) < 0)
		goto bad;
	*bad = "MS_UNSCANNABLE";
	if ((s->unscannable = word(getenv("MS_UNSCANNABLE"), unsc, 5, ACT_QUARANTINE)) < 0)
		goto bad;
	*bad = "MS_SKIP";
	if (strlcpy(s->skip, cfg_str("MS_SKIP", ""), sizeof s->skip) >= sizeof s->skip)
		goto bad;
	*bad = "MS_LEVELS";
	if (strlcpy(s->levels, cfg_str("MS_LEVELS", ""), sizeof s->levels) >= sizeof s->levels)
		goto bad;
	for (int i = 0; i < 4; i++) {
		static const char *const vars[4] = { "MS_ACTION_TRUSTED", "MS_ACTION_NEUTRAL",
		    "MS_ACTION_SUSPECT", "MS_ACTION_HOSTILE" };
		*bad = vars[i];
		s->level_action[i] = -1;
		if (getenv(vars[i]) && *getenv(vars[i]) &&
		    (s->level_action[i] = word(getenv(vars[i]), acts, 4, ACT_QUARANTINE)) < 0)
			goto bad;
	}
	*bad = "MS_MIME_DEPTH";
	if (cfg_uint("MS_MIME_DEPTH", (unsigned)s->lim.depth, &u) < 0)
		goto bad;
	s->lim.depth = u;
	*bad = "MS_MIME_PARTS";
	if (cfg_uint("MS_MIME_PARTS", (unsigned)s->lim.parts, &u) < 0)
		goto bad;
	s->lim.parts = u;
	*bad = "MS_MIME_FACTOR";
	if (cfg_uint("MS_MIME_FACTOR", (unsigned)s->lim.factor, &u) < 0)
		goto bad;
	s->lim.factor = u;
	*bad = "MS_MIME_DECODED";
	if (cfg_size("MS_MIME_DECODED", s->lim.decoded, &v) < 0)
		goto bad;
	s->lim.decoded = v;
	*bad = NULL;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
scan_skip(const struct scan_settings *s, const struct mime_part *p)
{
	const char *w = s->skip, *dot;
	size_t l, tl;

	while (*w) {
		w += strspn(w, " \t,");
		l = strcspn(w, " \t,");
		if (l == 0)
			break;
		if (w[0] == '.' && p->name && p->namelen >= l &&
		    strncasecmp(p->name + p->namelen - l, w, l) == 0)
			return 1;
		if (w[0] != '.' && (dot = memchr(w, '/', l)) != NULL) {
			tl = (size_t)(dot - w);
			if (strlen(p->type) == tl && strncasecmp(p->type, w, tl) == 0 &&
			    ((l - tl - 1 == 1 && dot[1] == '*') ||
			     (strlen(p->subtype) == l - tl - 1 &&
			      strncasecmp(p->subtype, dot + 1, l - tl - 1) == 0)))
				return 1;
		}
		w += l;
	}
	return 0;
}

int
scan_hit(struct scan_findings *f, const char *msg, size_t n,
    const struct mime_part *p, const char *name, const char *desc,
    const char *engine)
{
	char d[200] = "";
	struct scan_hit *h, *nh;
	char why[400];

	if ((nh = grow(f->hit, f->nhit, &f->cap, sizeof *nh, 4)) == NULL)
		return -1;
	f->hit = nh;
	h = &f->hit[f->nhit];
	memset(h, 0, sizeof *h);
	ms_sanitize(h->name, sizeof h->name, name, strlen(name));
	for (char *c = h->name; *c; c++)
		if (*c == ' ' || *c == ',' || *c == ';')
			*c = '_';
	if (p) {
		h->part = p->index;
		if (p->name)
			ms_sanitize(h->file, sizeof h->file, p->name, p->namelen);
		h->off = p->off;
		h->len = p->len;
		if (desc)
			ms_sanitize(d, sizeof d, desc, strlen(desc));
		snprintf(why, sizeof why, "%s%s%s contained %s%s%s%s, found by %s",
		    h->file[0] ? "the file \"" : "a part", h->file, h->file[0] ? "\"" : "",
		    h->name, d[0] ? " (" : "", d, d[0] ? ")" : "", engine);
		if (mime_notice(msg, n, p, why, strlen(why), &h->notice) < 0)
			return -1;
	}
	f->nhit++;
	return 0;
}

void
scan_findings_free(struct scan_findings *f)
{
	for (size_t i = 0; i < f->nhit; i++)
		buf_free(&f->hit[i].notice);
	free(f->hit);
	memset(f, 0, sizeof *f);
}

static int
cmphit(const void *a, const void *b)
{
	const struct scan_hit *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->len > y->len ? -1 : x->len < y->len;	/* outer first */
}

int
scan_clean(const char *msg, size_t n, struct scan_findings *f, struct buf *out)
{
	size_t pos = 0, i;

	qsort(f->hit, f->nhit, sizeof *f->hit, cmphit);
	for (i = 0; i < f->nhit; i++) {
		struct scan_hit *h = &f->hit[i];
		if (h->off < pos)
			continue;	/* inside one already replaced */
		if (buf_add(out, msg + pos, h->off - pos) < 0 ||
		    buf_add(out, h->notice.p, h->notice.len) < 0)
			return -1;
		pos = h->off + h->len;
	}
	return buf_add(out, msg + pos, n - pos);
}

int
scan_action(const struct scan_settings *s, struct job *job)
{
	struct envelope te;
	size_t toff;
	int act = s->action;

	env_init(&te);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &te, &toff) == 0 &&
	    (!job->byhand || env_from_environ(&te, SIZE_MAX) == 0) && te.trust)
		for (int i = 0; i < 4; i++)
			if (strcasecmp(te.trust, scan_levels[i]) == 0 && s->level_action[i] >= 0)
				act = s->level_action[i];
	env_free(&te);
	return act;
}

int
scan_finish(struct job *job, size_t msgoff, const char *engine,
    const struct scan_settings *s, struct scan_findings *f)
{
	struct buf v = BUF_INIT;
	struct envelope e;
	const char *verdict, *msg = job->in + msgoff;
	size_t n = job->inlen - msgoff, i, off;
	int code, act = s->action, cleanable = 1;

	/* The action: a rule's own, else the trust level's, else MS_ACTION. */
	act = scan_action(s, job);
	if (f->action)
		act = f->action - 1;
	for (i = 0; i < f->nhit; i++) {
		if (buf_printf(&v, "%s%s", i ? ", " : "", f->hit[i].name) < 0)
			goto nomem;
		if (f->hit[i].part == 0) {
			cleanable = 0;
			if (buf_adds(&v, " (message)") < 0)
				goto nomem;
		} else if (buf_printf(&v, " (part %zu%s%s%s%s)", f->hit[i].part,
		    f->hit[i].file[0] ? " " : "", f->hit[i].file,
		    f->hit[i].ref[0] ? " kept=" : "", f->hit[i].ref) < 0)
			goto nomem;
	}
	if (f->nhit) {
		if (act == ACT_CLEAN && !cleanable)
			act = ACT_QUARANTINE;
		verdict = act == ACT_CLEAN ? "cleaned" : "infected";
		code = act == ACT_QUARANTINE ? EX_ALT : act == ACT_REJECT ? EX_PERM : EX_PASS;
		if (f->unscanned[0] && buf_printf(&v, "; unscanned: %s", f->unscanned) < 0)
			goto nomem;
		if (buf_printf(&v, "; action=%s", act == ACT_CLEAN ? "clean" :
		    act == ACT_QUARANTINE ? "quarantine" : act == ACT_REJECT ? "reject" : "tag") < 0)
			goto nomem;
	} else if (f->unscanned[0]) {
		act = s->unscannable;
		verdict = "unscanned";
		code = act == ACT_QUARANTINE ? EX_ALT : act == ACT_REJECT ? EX_PERM : EX_PASS;
		if (buf_printf(&v, "%s; action=%s", f->unscanned, act == ACT_QUARANTINE ?
		    "quarantine" : act == ACT_REJECT ? "reject" : "pass") < 0)
			goto nomem;
	} else {
		verdict = "clean";
		code = EX_PASS;
	}
	if (buf_cstr(&v) == NULL)
		goto nomem;

	if (code == EX_PERM) {
		if (f->nhit)
			job_reason(job, "5.7.1 %s %s found by %s", f->label ? f->label : "virus",
			    f->hit[0].name, engine);
		else
			job_reason(job, "5.7.1 message cannot be scanned: %s", f->unscanned);
		buf_free(&v);
		return code;
	}
	/* The envelope block with the verdict, then the message. */
	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		env_free(&e);
		buf_free(&v);
		job_reason(job, "5.6.0 malformed envelope block");
		return errno == EBADMSG ? EX_PERM : EX_TEMP;
	}
	{
		struct buf line = BUF_INIT;
		int r = buf_printf(&line, "%s %s%s%s", engine, verdict, v.len ? " " : "", v.p);
		if (r == 0 && buf_cstr(&line))
			r = env_add(&e, "X-Mailscan-Verdict", line.p);
		buf_free(&line);
		if (r < 0 || env_write(&e, &job->out) < 0) {
			env_free(&e);
			goto nomem;
		}
	}
	env_free(&e);
	if (act == ACT_CLEAN && f->nhit) {
		if (scan_clean(msg, n, f, &job->out) < 0)
			goto nomem;
	} else if (buf_add(&job->out, msg, n) < 0)
		goto nomem;
	job->changed = 1;
	job_reason(job, "%s %s%s%s", engine, verdict, v.len ? ": " : "", v.p);
	buf_free(&v);
	return code;
nomem:
	buf_free(&v);
	job_reason(job, "out of memory");
	return EX_TEMP;
}
