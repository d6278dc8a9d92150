/* ms-scan-clamav: the libclamav engine as a stage.
 *
 * Every decoded leaf of the MIME walk is scanned on its own, so a finding
 * names its part and the part can be replaced; the message as a whole goes
 * through libclamav's own parser as well when the walk found something
 * odd, or always or never as MS_CLAMAV_RAW says.  In spool mode the engine
 * is loaded once and shared copy-on-write by the -j workers; SIGHUP loads
 * the signatures anew.  See ms-scan-clamav(8).
 */
#include <dirent.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clamav.h>

#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "mime.h"
#include "scan.h"
#include "spool.h"

enum { RAW_ANOMALY, RAW_ALWAYS, RAW_NEVER };

struct clam {
	struct cl_engine *engine;
	struct cl_scan_options opts;
	char db[2048];		/* colon-separated files and directories */
	unsigned sigs;
	char id[96];		/* "clamav/VERSION/DBVERSION" */
	struct scan_settings s;
	int raw;
	unsigned long long maxscansize, maxfilesize;
	unsigned maxrecursion, maxfiles, maxscantime;
};

/* One walk's state, for the leaf callback. */
struct walk {
	struct clam *c;
	const char *msg;
	size_t n;
	struct scan_findings f;
	int failed;		/* the engine failed: 111, never a pass */
	char err[200];
};

/* CL_VIRUS with one of these names means "not scanned", not "infected". */
static int
limit_name(const char *v)
{
	return strncmp(v, "Heuristics.Limits.Exceeded", 26) == 0;
}

static int
encrypted_name(const char *v)
{
	return strncmp(v, "Heuristics.Encrypted", 20) == 0;
}

/* Errors libclamav reported through its message callback since the last
 * scan began: it can say CL_CLEAN after failing (no temporary directory,
 * say), and such a "clean" must not pass.  The callback has no context of
 * ours, hence a counter for the whole process. */
static unsigned clam_errors;

/* Per scan: what libclamav's archive callback saw. */
struct scanctx {
	unsigned long long maxfilesize;
	int toobig;		/* an archive member larger than MaxFileSize */
};

/* libclamav passes a member over MaxFileSize by as clean, without a
 * heuristic: look at each member's real size ourselves. */
static cl_error_t
clam_meta(const char *type, unsigned long csize, const char *name,
    unsigned long size, int encrypted, unsigned int pos, void *ctx)
{
	struct scanctx *sc = ctx;

	(void)type; (void)csize; (void)name; (void)encrypted; (void)pos;
	if (sc && size > sc->maxfilesize)
		sc->toobig = 1;
	return CL_CLEAN;
}

/* Scan p[0..n); 1 with *virname for a finding, 0 clean, -1 error. */
static int
scan_bytes(struct clam *c, const char *p, size_t n, const char **virname, char *err,
    size_t errsz)
{
	unsigned long scanned = 0;
	struct scanctx sc = { .maxfilesize = c->maxfilesize };
	cl_fmap_t *map;
	cl_error_t r;

	if (n == 0)
		return 0;
	if ((map = cl_fmap_open_memory(p, n)) == NULL) {
		snprintf(err, errsz, "libclamav: unable to map %zu bytes", n);
		return -1;
	}
	clam_errors = 0;
	*virname = NULL;
	r = cl_scanmap_callback(map, NULL, virname, &scanned, c->engine, &c->opts, &sc);
	cl_fmap_close(map);
	if (clam_errors && r != CL_VIRUS) {
		snprintf(err, errsz, "libclamav reported an error during the scan (see above)");
		return -1;
	}
	if (r == CL_VIRUS) {
		/* a part over MaxFileSize comes back as a virus without a name */
		if (*virname == NULL)
			*virname = "Heuristics.Limits.Exceeded.MaxFileSize";
		return 1;
	}
	if (r == CL_CLEAN && sc.toobig) {
		*virname = "Heuristics.Limits.Exceeded.MaxFileSize";
		return 1;
	}
	if (r == CL_CLEAN)
		return 0;
	snprintf(err, errsz, "libclamav: %s", cl_strerror(r));
	return -1;
}

static int
leaf(void *arg, const struct mime_part *p)
{
	struct walk *w = arg;
	const char *vir = NULL;
	int r;

	if (scan_skip(&w->c->s, p))
		return 0;
	r = scan_bytes(w->c, p->data, p->datalen, &vir, w->err, sizeof w->err);
	if (r < 0) {
		w->failed = 1;
		return 1;
	}
	if (r == 0)
		return 0;
	if (limit_name(vir) || encrypted_name(vir)) {
		if (!w->f.unscanned[0])
			snprintf(w->f.unscanned, sizeof w->f.unscanned, "%s in part %zu",
			    limit_name(vir) ? "limit exceeded" : "encrypted", p->index);
		return 0;
	}
	if (scan_hit(&w->f, w->msg, w->n, p, vir, NULL, "clamav") < 0) {
		snprintf(w->err, sizeof w->err, "out of memory");
		w->failed = 1;
		return 1;
	}
	return 0;
}

static int
filter(void *ctx, struct job *job)
{
	struct clam *c = ctx;
	struct mime_result res;
	struct walk w;
	const char *vir = NULL;
	size_t off;
	int r, code;

	if (!scan_begin(job, &c->s, &off, &code))
		return code;
	memset(&w, 0, sizeof w);
	w.c = c;
	w.msg = job->in + off;
	w.n = job->inlen - off;
	memset(&res, 0, sizeof res);
	if (mime_walk(w.msg, w.n, &c->s.lim, leaf, &w, &res) < 0) {
		job_reason(job, "unable to walk the message: %s", strerror(errno));
		scan_findings_free(&w.f);
		return EX_TEMP;
	}
	if (w.failed) {
		job_reason(job, "%s", w.err);
		scan_findings_free(&w.f);
		return EX_TEMP;	/* fail closed */
	}
	if (res.limit && !w.f.unscanned[0])
		snprintf(w.f.unscanned, sizeof w.f.unscanned, "MIME limit: %s",
		    mime_limit_name(res.limit));
	/* The whole message through libclamav's own mail parser. */
	if (c->raw == RAW_ALWAYS || (c->raw == RAW_ANOMALY && (res.anomalies || res.limit))) {
		r = scan_bytes(c, w.msg, w.n, &vir, w.err, sizeof w.err);
		if (r < 0) {
			job_reason(job, "%s", w.err);
			scan_findings_free(&w.f);
			return EX_TEMP;
		}
		if (r == 1 && !limit_name(vir) && !encrypted_name(vir)) {
			/* Only news if no leaf had it already. */
			int known = 0;
			for (size_t i = 0; i < w.f.nhit; i++)
				known |= strcmp(w.f.hit[i].name, vir) == 0;
			if (!known && scan_hit(&w.f, w.msg, w.n, NULL, vir, NULL, "clamav") < 0) {
				job_reason(job, "out of memory");
				scan_findings_free(&w.f);
				return EX_TEMP;
			}
		}
	}
	code = scan_finish(job, off, c->id, &c->s, &w.f);
	scan_findings_free(&w.f);
	return code;
}

/* libclamav's own messages, as our log lines. */
static void
clam_msg(enum cl_msg severity, const char *full, const char *msg, void *ctx)
{
	char line[512];
	size_t l;

	(void)full;
	(void)ctx;
	if (severity < CL_MSG_WARN || msg == NULL)
		return;
	l = strlen(msg);
	while (l && (msg[l - 1] == '\n' || msg[l - 1] == '\r'))
		l--;
	ms_sanitize(line, sizeof line, msg, l);
	if (severity >= CL_MSG_ERROR) {
		clam_errors++;
		ms_warn("libclamav: error: %s", line);
	}
	else
		ms_warn("libclamav: %s", line);
}

/* Load and compile a new engine; on success it replaces the old one. */
static int
load(void *ctx)
{
	struct clam *c = ctx;
	struct cl_engine *en;
	unsigned sigs = 0;
	char dbs[sizeof c->db], *sp, *d;
	cl_error_t r;
	long long ver;
	int err;

	if ((en = cl_engine_new()) == NULL) {
		ms_warn("unable to create a libclamav engine");
		return -1;
	}
	cl_engine_set_num(en, CL_ENGINE_MAX_SCANSIZE, (long long)c->maxscansize);
	cl_engine_set_num(en, CL_ENGINE_MAX_FILESIZE, (long long)c->maxfilesize);
	cl_engine_set_num(en, CL_ENGINE_MAX_RECURSION, c->maxrecursion);
	cl_engine_set_num(en, CL_ENGINE_MAX_FILES, c->maxfiles);
	cl_engine_set_num(en, CL_ENGINE_MAX_SCANTIME, c->maxscantime);
	cl_engine_set_clcb_meta(en, clam_meta);
	strlcpy(dbs, c->db, sizeof dbs);
	for (d = strtok_r(dbs, ":", &sp); d; d = strtok_r(NULL, ":", &sp)) {
		if ((r = cl_load(d, en, &sigs, CL_DB_STDOPT)) != CL_SUCCESS) {
			ms_warn("unable to load signatures from %s: %s", d, cl_strerror(r));
			cl_engine_free(en);
			return -1;
		}
	}
	if (sigs == 0) {
		ms_warn("no signatures in %s", c->db);
		cl_engine_free(en);
		return -1;
	}
	if ((r = cl_engine_compile(en)) != CL_SUCCESS) {
		ms_warn("unable to compile the engine: %s", cl_strerror(r));
		cl_engine_free(en);
		return -1;
	}
	ver = cl_engine_get_num(en, CL_ENGINE_DB_VERSION, &err);
	if (c->engine)
		cl_engine_free(c->engine);
	c->engine = en;
	c->sigs = sigs;
	if (ver > 0)
		snprintf(c->id, sizeof c->id, "clamav/%s/%lld", cl_retver(), ver);
	else
		snprintf(c->id, sizeof c->id, "clamav/%s", cl_retver());
	ms_info("loaded %u signatures from %s", sigs, c->db);
	return 0;
}

/* Does dir hold freshclam's databases (*.cvd, *.cld)?  An empty
 * /var/lib/clamav is what the Debian package leaves without freshclam. */
static int
has_cvd(const char *dir)
{
	struct dirent *d;
	DIR *dd;
	size_t l;
	int found = 0;

	if ((dd = opendir(dir)) == NULL)
		return 0;
	while (!found && (d = readdir(dd)) != NULL) {
		l = strlen(d->d_name);
		found = l > 4 && (strcmp(d->d_name + l - 4, ".cvd") == 0 ||
		    strcmp(d->d_name + l - 4, ".cld") == 0);
	}
	closedir(dd);
	return found;
}

static void
settings(struct clam *c)
{
	const char *bad, *raw;
	char own[PATH_MAX];
	size_t v;

	if (scan_settings_load(&c->s, &bad) < 0)
		ms_fatal(EX_TEMP, "unable to parse %s", bad);
	raw = cfg_str("MS_CLAMAV_RAW", "anomaly");
	if (strcmp(raw, "anomaly") == 0)
		c->raw = RAW_ANOMALY;
	else if (strcmp(raw, "always") == 0)
		c->raw = RAW_ALWAYS;
	else if (strcmp(raw, "never") == 0)
		c->raw = RAW_NEVER;
	else
		ms_fatal(EX_TEMP, "MS_CLAMAV_RAW must be anomaly, always or never");
	/* Default signatures: the project's own set, plus ClamAV's when
	 * freshclam keeps them on this host. */
	if (cfg_str("MS_CLAMAV_DB", NULL))
		strlcpy(c->db, cfg_str("MS_CLAMAV_DB", NULL), sizeof c->db);
	else {
		if (control_path(own, sizeof own, NULL, "clamav") < 0)
			ms_fatal(EX_TEMP, "MS_ETC is too long");
		strlcpy(c->db, own, sizeof c->db);
		if (has_cvd(cl_retdbdir())) {
			strlcat(c->db, ":", sizeof c->db);
			strlcat(c->db, cl_retdbdir(), sizeof c->db);
		}
	}
#define SIZE(var, def, dst) \
	if (cfg_size(var, def, &v) < 0) ms_fatal(EX_TEMP, "unable to parse " var); \
	dst = v
#define NUM(var, def, dst) \
	if (cfg_uint(var, def, &dst) < 0) ms_fatal(EX_TEMP, "unable to parse " var)
	SIZE("MS_CLAMAV_MAXSCANSIZE", 400UL << 20, c->maxscansize);
	SIZE("MS_CLAMAV_MAXFILESIZE", 100UL << 20, c->maxfilesize);
	NUM("MS_CLAMAV_MAXRECURSION", 17, c->maxrecursion);
	NUM("MS_CLAMAV_MAXFILES", 10000, c->maxfiles);
	NUM("MS_CLAMAV_MAXSCANTIME", 120000, c->maxscantime);
#undef SIZE
#undef NUM
	memset(&c->opts, 0, sizeof c->opts);
	c->opts.general = CL_SCAN_GENERAL_HEURISTICS;
	c->opts.parse = ~0u;
	/* "exceeds a limit" comes back as a finding we turn into unscanned */
	c->opts.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
	    CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct clam c;
	struct stage st = { .ctx = &c, .filter = filter, .reload = load, .log = ms_logline };
	cl_error_t r;

	PROG = "ms-scan-clamav";
	memset(&c, 0, sizeof c);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-q in -o out [-a alt] [-b bounce] [-j n]]");
	if (geteuid() == 0)
		ms_fatal(EX_TEMP, "refusing to run as root: run me under my own uid "
		    "(e.g. setpriv --reuid=mailscan ...)");
	settings(&c);
	cl_set_clcb_msg(clam_msg);
	if ((r = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS)
		ms_fatal(EX_TEMP, "unable to initialize libclamav: %s", cl_strerror(r));
	if (load(&c) < 0)
		ms_fatal(EX_TEMP, "no engine: nothing scanned");
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
