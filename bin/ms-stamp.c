/* ms-stamp: sum up the scanners' verdicts in a signed X-Mailscan-Status
 * field.  See ms-stamp(8) and status.h for the field and what it covers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "cfg.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "header.h"
#include "sign.h"
#include "spool.h"
#include "status.h"

struct stamp {
	char keypath[PATH_MAX];
	struct seckey *key;
	char host[256];
	const char *force;	/* -s WORD: this status whatever the verdicts say */
};

/* The overall status from the X-Mailscan-Verdict lines: any "infected"
 * wins, then "unscanned", then "cleaned"; "clean" needs at least one
 * engine.  engines gets "ENGINE,ENGINE" (first word of each line). */
static const char *
summarize(const struct envelope *e, struct buf *engines)
{
	int infected = 0, unscanned = 0, cleaned = 0, n = 0;
	const char *v, *sp, *w;
	size_t el, wl, i;

	for (i = 0; i < e->nf; i++) {
		if (strcasecmp(e->f[i].name, "X-Mailscan-Verdict") != 0)
			continue;
		v = e->f[i].value;
		el = strcspn(v, " \t");
		sp = v + el;
		while (*sp == ' ' || *sp == '\t')
			sp++;
		w = sp;
		wl = strcspn(w, " \t");
		if (el == 0)
			continue;
		if (n++ && buf_addc(engines, ',') < 0)
			return NULL;
		for (size_t k = 0; k < el && k < 64; k++) {
			char c = v[k];
			if (c == ';' || c == ',' || (unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f)
				c = '_';
			if (buf_addc(engines, c) < 0)
				return NULL;
		}
		if (wl == 8 && strncmp(w, "infected", 8) == 0)
			infected = 1;
		else if (wl == 7 && strncmp(w, "cleaned", 7) == 0)
			cleaned = 1;
		else if (!(wl == 5 && strncmp(w, "clean", 5) == 0))
			unscanned = 1;	/* "unscanned", an error, anything unknown */
	}
	if (n == 0 && buf_adds(engines, "none") < 0)
		return NULL;
	if (engines->len > 500)
		engines->len = 500;	/* the field's engines= limit */
	if (infected)
		return "infected";
	if (unscanned || n == 0)
		return "unscanned";
	return cleaned ? "cleaned" : "clean";
}

static int
drop_status(const struct hdr *h, void *arg)
{
	(void)arg;
	return hdr_is(h, STATUS_FIELD);
}

static int
stamp(void *ctx, struct job *job)
{
	struct stamp *sc = ctx;
	struct envelope e;
	struct status st;
	struct buf eng = BUF_INIT, canon = BUF_INIT, sig64 = BUF_INIT;
	unsigned char sig[SIGN_SIGLEN];
	const char *word, *msg;
	size_t off, n;
	int code = EX_TEMP;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		code = errno == EBADMSG ? EX_PERM : EX_TEMP;
		goto out;
	}
	msg = job->in + off;
	n = job->inlen - off;
	memset(&st, 0, sizeof st);
	if ((word = summarize(&e, &eng)) == NULL || buf_cstr(&eng) == NULL) {
		job_reason(job, "out of memory");
		goto out;
	}
	if (sc->force)
		word = sc->force;
	strlcpy(st.status, word, sizeof st.status);
	strlcpy(st.by, sc->host, sizeof st.by);
	strlcpy(st.engines, eng.p, sizeof st.engines);
	st.t = (long long)time(NULL);
	if (status_bodyhash(msg, n, st.bh, sizeof st.bh) < 0 ||
	    status_canon(&st, &canon) < 0 ||
	    sign_data(sc->key, canon.p, canon.len, sig) < 0 ||
	    b64_encode(sig, sizeof sig, &sig64) < 0 || sig64.len >= sizeof st.s) {
		job_reason(job, "unable to sign: %s", strerror(errno));
		goto out;
	}
	memcpy(st.s, sig64.p, sig64.len);
	st.s[sig64.len] = '\0';

	/* The envelope block as it was, the new field, the message without
	 * any earlier status field. */
	if (buf_add(&job->out, job->in, off) < 0 || status_format(&st, &job->out) < 0 ||
	    /* a message that starts with white space has no header: keep its
	     * first line from folding into ours (it stays body, as hashed) */
	    (n && (msg[0] == ' ' || msg[0] == '\t') && buf_addc(&job->out, '\n') < 0) ||
	    hdr_filter(msg, n, drop_status, NULL, &job->out) < 0) {
		job_reason(job, "out of memory");
		goto out;
	}
	job->changed = 1;
	job_reason(job, "stamped %s (%s)", st.status, st.engines);
	code = EX_PASS;
out:
	env_free(&e);
	buf_free(&eng);
	buf_free(&canon);
	buf_free(&sig64);
	return code;
}

static int
load(void *ctx)
{
	struct stamp *sc = ctx;
	struct seckey *k;

	if ((k = sign_load(sc->keypath)) == NULL) {
		ms_warnsys("unable to load signing key %s", sc->keypath);
		return -1;
	}
	sign_free(sc->key);
	sc->key = k;
	return 0;
}

/* -g DIR: a new key pair; the public line goes to stdout and DIR/stamp.pub. */
static int
generate(const char *dir, const char *host)
{
	char path[PATH_MAX], pubpath[PATH_MAX];
	unsigned char pub[SIGN_PUBLEN];
	struct buf line = BUF_INIT;
	FILE *f;

	if ((size_t)snprintf(path, sizeof path, "%s/stamp.key", dir) >= sizeof path ||
	    (size_t)snprintf(pubpath, sizeof pubpath, "%s/stamp.pub", dir) >= sizeof pubpath)
		ms_fatal(EX_PERM, "directory name too long: %s", dir);
	/* Neither file may exist: never half a key pair. */
	if (access(pubpath, F_OK) == 0 || access(path, F_OK) == 0)
		ms_fatal(EX_PERM, "%s or %s exists already: not overwriting a key", path, pubpath);
	if (sign_generate(path, pub) < 0)
		ms_fatalsys("unable to create %s", path);
	if (buf_adds(&line, "ed25519 ") < 0 || b64_encode(pub, sizeof pub, &line) < 0 ||
	    buf_printf(&line, " %s\n", host) < 0)
		ms_fatalsys("unable to format public key");
	if ((f = fopen(pubpath, "wx")) == NULL)
		ms_fatalsys("unable to create %s", pubpath);
	if (fwrite(line.p, 1, line.len, f) != line.len || fclose(f) != 0)
		ms_fatalsys("unable to write %s", pubpath);
	if (fwrite(line.p, 1, line.len, stdout) != line.len || fflush(stdout) != 0)
		ms_fatalsys("unable to write to stdout");
	ms_info("new key pair: %s (secret, keep it 0600) and %s (copy it into the "
	    "gateways' trusted-keys directory)", path, pubpath);
	return EX_PASS;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct stamp sc = { 0 };
	struct stage st = { .ctx = &sc, .filter = stamp, .reload = load, .log = ms_logline };
	const char *gendir = NULL;
	int c, r;

	PROG = "ms-stamp";
	while ((c = getopt(argc, argv, SPOOL_OPTS "g:s:")) != -1) {
		if ((r = spool_opt(&so, c, optarg)) == 1)
			continue;
		if (r < 0)
			ms_fatal(EX_PERM, "bad value for -%c: %s", c, optarg);
		switch (c) {
		case 'g': gendir = optarg; break;
		case 's':
			if (!status_word_ok(optarg))
				ms_fatal(EX_PERM, "-s wants clean, cleaned, infected, "
				    "unscanned or released, not %s", optarg);
			sc.force = optarg;
			break;
		default:
			ms_usage("[-s status] [-q in -o out [-b bounce] [-j n]] | -g dir");
		}
	}
	if (optind != argc)
		ms_usage("[-s status] [-q in -o out [-b bounce] [-j n]] | -g dir");
	cfg_hostname(sc.host, sizeof sc.host);
	for (char *p = sc.host; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ';')
			*p = '_';
	if (gendir)
		return generate(gendir, sc.host);
	if (control_path(sc.keypath, sizeof sc.keypath, "MS_STAMPKEY", "stamp.key") < 0)
		ms_fatal(EX_TEMP, "MS_STAMPKEY is too long");
	if (load(&sc) < 0)
		ms_fatal(EX_TEMP, "no signing key: nothing stamped");
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
