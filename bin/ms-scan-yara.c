/* ms-scan-yara: YARA rules as a stage.
 *
 * Every rule file (*.yar, *.yara) in $MS_YARA_RULES (default
 * $MS_ETC/yara) is compiled once; SIGHUP compiles them anew.  Every decoded
 * leaf of the MIME walk is matched.  A rule's metadata may say
 * `action = "reject"` (or quarantine, clean, tag) and `description = "..."`:
 * the most severe action among the matching rules replaces MS_ACTION, and
 * the description goes into the verdict's notice.  See ms-scan-yara(8).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yara.h>

#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "mime.h"
#include "scan.h"
#include "spool.h"

struct yar {
	YR_RULES *rules;
	char dir[PATH_MAX];
	unsigned nfiles;
	unsigned timeout;	/* seconds per leaf */
	char id[64];
	struct scan_settings s;
};

struct walk {
	struct yar *y;
	const char *msg;
	size_t n;
	const struct mime_part *part;
	struct scan_findings f;
	int failed;
	char err[200];
};

/* reject > quarantine > clean > tag */
static int
severity(int act)
{
	switch (act) {
	case ACT_REJECT: return 4;
	case ACT_QUARANTINE: return 3;
	case ACT_CLEAN: return 2;
	case ACT_TAG: return 1;
	default: return 0;
	}
}

static int
on_match(YR_SCAN_CONTEXT *ctx, int message, void *data, void *arg)
{
	struct walk *w = arg;
	YR_RULE *rule = data;
	YR_META *meta;
	const char *desc = NULL;
	int act = -1;

	(void)ctx;
	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	yr_rule_metas_foreach(rule, meta) {
		if (meta->type != META_TYPE_STRING)
			continue;
		if (strcmp(meta->identifier, "description") == 0)
			desc = meta->string;
		else if (strcmp(meta->identifier, "action") == 0) {
			if (strcmp(meta->string, "reject") == 0) act = ACT_REJECT;
			else if (strcmp(meta->string, "quarantine") == 0) act = ACT_QUARANTINE;
			else if (strcmp(meta->string, "clean") == 0) act = ACT_CLEAN;
			else if (strcmp(meta->string, "tag") == 0) act = ACT_TAG;
		}
	}
	if (act >= 0 && severity(act) > severity(w->f.action - 1))
		w->f.action = act + 1;
	if (scan_hit(&w->f, w->msg, w->n, w->part, rule->identifier, desc, "yara") < 0) {
		snprintf(w->err, sizeof w->err, "out of memory");
		w->failed = 1;
		return CALLBACK_ABORT;
	}
	return CALLBACK_CONTINUE;
}

static int
leaf(void *arg, const struct mime_part *p)
{
	struct walk *w = arg;
	int r;

	if (scan_skip(&w->y->s, p) || p->datalen == 0)
		return 0;
	w->part = p;
	r = yr_rules_scan_mem(w->y->rules, (const uint8_t *)p->data, p->datalen, 0,
	    on_match, w, (int)w->y->timeout);
	if (r == ERROR_SCAN_TIMEOUT) {
		if (!w->f.unscanned[0])
			snprintf(w->f.unscanned, sizeof w->f.unscanned,
			    "timeout in part %zu", p->index);
		return 0;
	}
	if (r != ERROR_SUCCESS && !w->failed) {
		snprintf(w->err, sizeof w->err, "libyara: scan error %d", r);
		w->failed = 1;
	}
	return w->failed;
}

static int
filter(void *ctx, struct job *job)
{
	struct yar *y = ctx;
	struct mime_result res;
	struct walk w;
	size_t off;
	int code;

	if (!scan_begin(job, &y->s, &off, &code))
		return code;
	memset(&w, 0, sizeof w);
	w.y = y;
	w.msg = job->in + off;
	w.n = job->inlen - off;
	if (mime_walk(w.msg, w.n, &y->s.lim, leaf, &w, &res) < 0) {
		job_reason(job, "unable to walk the message: %s", strerror(errno));
		scan_findings_free(&w.f);
		return EX_TEMP;
	}
	if (w.failed) {
		job_reason(job, "%s", w.err);
		scan_findings_free(&w.f);
		return EX_TEMP;
	}
	if (res.limit && !w.f.unscanned[0])
		snprintf(w.f.unscanned, sizeof w.f.unscanned, "MIME limit: %s",
		    mime_limit_name(res.limit));
	code = scan_finish(job, off, y->id, &y->s, &w.f);
	scan_findings_free(&w.f);
	return code;
}

static void
compile_error(int level, const char *file, int line, const YR_RULE *rule,
    const char *msg, void *arg)
{
	(void)rule;
	(void)arg;
	if (level == YARA_ERROR_LEVEL_ERROR)
		ms_warn("%s:%d: %s", file ? file : "?", line, msg);
}

static int
is_rulefile(const char *n)
{
	size_t l = strlen(n);
	return (l > 4 && strcmp(n + l - 4, ".yar") == 0) ||
	    (l > 5 && strcmp(n + l - 5, ".yara") == 0);
}

static int
load(void *ctx)
{
	struct yar *y = ctx;
	YR_COMPILER *comp = NULL;
	YR_RULES *rules = NULL;
	struct dirent **ents = NULL;
	char path[PATH_MAX];
	unsigned files = 0;
	int n, i, bad = 0;
	FILE *f;

	if ((n = scandir(y->dir, &ents, NULL, alphasort)) < 0) {
		ms_warnsys("unable to read the rules directory %s", y->dir);
		return -1;
	}
	if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
		ms_warn("unable to create a YARA compiler");
		bad = 1;
		goto out;
	}
	yr_compiler_set_callback(comp, compile_error, NULL);
	for (i = 0; i < n && !bad; i++) {
		if (ents[i]->d_name[0] == '.' || !is_rulefile(ents[i]->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", y->dir, ents[i]->d_name);
		if ((f = fopen(path, "re")) == NULL) {
			ms_warnsys("unable to open %s", path);
			bad = 1;
			break;
		}
		if (yr_compiler_add_file(comp, f, NULL, path) != 0)
			bad = 1;
		fclose(f);
		files++;
	}
	if (!bad && files == 0) {
		ms_warn("no rule files (*.yar, *.yara) in %s", y->dir);
		bad = 1;
	}
	if (!bad && yr_compiler_get_rules(comp, &rules) != ERROR_SUCCESS) {
		ms_warn("unable to get the compiled rules");
		bad = 1;
	}
out:
	if (comp)
		yr_compiler_destroy(comp);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (bad)
		return -1;
	if (y->rules)
		yr_rules_destroy(y->rules);
	y->rules = rules;
	y->nfiles = files;
	ms_info("compiled %u rule file%s from %s", files, files == 1 ? "" : "s", y->dir);
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct yar y;
	struct stage st = { .ctx = &y, .filter = filter, .reload = load, .log = ms_logline };
	const char *bad;

	PROG = "ms-scan-yara";
	memset(&y, 0, sizeof y);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-q in -o out [-a alt] [-b bounce] [-j n]]");
	if (geteuid() == 0)
		ms_fatal(EX_TEMP, "refusing to run as root: run me under my own uid "
		    "(e.g. setpriv --reuid=mailscan ...)");
	if (scan_settings_load(&y.s, &bad) < 0)
		ms_fatal(EX_TEMP, "unable to parse %s", bad);
	if (control_path(y.dir, sizeof y.dir, "MS_YARA_RULES", "yara") < 0)
		ms_fatal(EX_TEMP, "MS_ETC or MS_YARA_RULES is too long");
	if (cfg_uint("MS_YARA_TIMEOUT", 60, &y.timeout) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_YARA_TIMEOUT");
	snprintf(y.id, sizeof y.id, "yara/%s", YR_VERSION);
	if (yr_initialize() != ERROR_SUCCESS)
		ms_fatal(EX_TEMP, "unable to initialize libyara");
	if (load(&y) < 0)
		ms_fatal(EX_TEMP, "no rules: nothing scanned");
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
