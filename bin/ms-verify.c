/* ms-verify: does this message still need scanning?  Exit 0 (no: it came
 * from a scanning host, or it carries a valid signed status field that the
 * gateway accepts) or 1 (yes), with the reason.  See ms-verify(8). */
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
#include "cidr.h"
#include "control.h"
#include "diag.h"
#include "envelope.h"
#include "header.h"
#include "sign.h"
#include "spool.h"
#include "status.h"

struct verify {
	char scannerspath[PATH_MAX], keydir[PATH_MAX];
	struct cidrlist scanners;
	struct pubkeys keys;
	unsigned maxage;
	const char *accept;	/* space separated status words */
};

static int
accepted(const char *list, const char *word)
{
	size_t wl = strlen(word), l;

	while (*list) {
		list += strspn(list, " \t,");
		l = strcspn(list, " \t,");
		if (l == wl && strncmp(list, word, l) == 0)
			return 1;
		list += l;
	}
	return 0;
}

/* 1: the status field is good; 0: not, with why. */
static int
check_status(struct verify *vc, const char *msg, size_t n, struct job *job)
{
	struct buf canon = BUF_INIT, sig = BUF_INIT;
	struct status st;
	struct hdr h;
	char bh[64];
	long long now = (long long)time(NULL);
	const struct pubkey *k = NULL;
	size_t i;
	int ok = 0;

	/* The topmost field counts: ms-stamp removes older ones, and a
	 * second field below it is either a forgery or stale. */
	if (!hdr_find(msg, n, STATUS_FIELD, &h)) {
		job_reason(job, "needs scanning: no status field");
		return 0;
	}
	/* A header another reader could split differently (bare CR) or a
	 * MIME structure it could read differently (two Content-Types) is
	 * not what was hashed: scan it. */
	{
		size_t hend = hdr_end(msg, n);
		for (i = 0; i < hend; i++)
			if (msg[i] == '\r' && (i + 1 >= hend || msg[i + 1] != '\n')) {
				job_reason(job, "needs scanning: a bare CR in the header");
				return 0;
			}
		if (hdr_count(msg, n, "Content-Type") > 1 ||
		    hdr_count(msg, n, "Content-Transfer-Encoding") > 1) {
			job_reason(job, "needs scanning: more than one Content-Type or "
			    "Content-Transfer-Encoding");
			return 0;
		}
	}
	if (status_parse(h.value, h.valuelen, &st) < 0) {
		job_reason(job, "needs scanning: malformed status field");
		return 0;
	}
	if (now - st.t > (long long)vc->maxage) {
		job_reason(job, "needs scanning: status from %s expired (%lld s old, "
		    "MS_STAMP_MAXAGE %u)", st.by, now - st.t, vc->maxage);
		return 0;
	}
	if (st.t - now > 3600) {
		job_reason(job, "needs scanning: status from %s is dated %lld s ahead",
		    st.by, st.t - now);
		return 0;
	}
	if (status_bodyhash(msg, n, bh, sizeof bh) < 0) {
		job_reason(job, "needs scanning: unable to hash body");
		return 0;
	}
	if (strcmp(bh, st.bh) != 0) {
		job_reason(job, "needs scanning: body does not match the status from %s",
		    st.by);
		return 0;
	}
	if (b64_decode_strict(st.s, strlen(st.s), &sig) < 0 || sig.len != SIGN_SIGLEN ||
	    status_canon(&st, &canon) < 0) {
		job_reason(job, "needs scanning: malformed signature");
		goto out;
	}
	for (i = 0; i < vc->keys.n && k == NULL; i++)
		if (sign_verify(vc->keys.v[i].raw, canon.p, canon.len,
		    (unsigned char *)sig.p))
			k = &vc->keys.v[i];
	if (k == NULL) {
		job_reason(job, "needs scanning: status from %s not signed by a trusted key",
		    st.by);
		goto out;
	}
	if (!accepted(vc->accept, st.status)) {
		job_reason(job, "needs scanning: status %s from %s is not accepted "
		    "(MS_VERIFY_ACCEPT)", st.status, st.by);
		goto out;
	}
	job_reason(job, "scanned: %s by %s (%s), %lld s ago, key %s", st.status, st.by,
	    st.engines, now - st.t, k->name);
	ok = 1;
out:
	buf_free(&canon);
	buf_free(&sig);
	return ok;
}

static int
verify(void *ctx, struct job *job)
{
	struct verify *vc = ctx;
	struct envelope e;
	char ip[64];
	size_t off, l;
	int code;

	env_init(&e);
	if (env_parse(job->in, job->inlen, SIZE_MAX, &e, &off) < 0 ||
	    (job->byhand && env_from_environ(&e, SIZE_MAX) < 0)) {
		job_reason(job, "5.6.0 malformed envelope block");
		env_free(&e);
		return errno == EBADMSG ? EX_PERM : EX_TEMP;
	}
	ip[0] = '\0';
	if (e.client) {
		l = strcspn(e.client, " ");
		if (l < sizeof ip) {
			memcpy(ip, e.client, l);
			ip[l] = '\0';
		}
	}
	if (ip[0] && cidrlist_match(&vc->scanners, ip)) {
		job_reason(job, "scanned: source %s is a scanning host", ip);
		code = EX_PASS;
	} else
		code = check_status(vc, job->in + off, job->inlen - off, job) ? EX_PASS : EX_ALT;
	env_free(&e);
	return code;
}

static int
load(void *ctx)
{
	struct verify *vc = ctx;
	struct cidrlist sl;
	struct pubkeys ks;
	char bad[256] = "";
	size_t line = 0;

	if (cidrlist_load(vc->scannerspath, &sl, &line) < 0) {
		if (errno == EINVAL)
			ms_warn("unable to load %s: line %zu is not an address or prefix",
			    vc->scannerspath, line);
		else
			ms_warnsys("unable to load %s", vc->scannerspath);
		return -1;
	}
	if (pubkeys_load(vc->keydir, &ks, bad, sizeof bad) < 0) {
		ms_warnsys("unable to load trusted keys from %s%s%s", vc->keydir,
		    bad[0] ? ", bad line in " : "", bad);
		cidrlist_free(&sl);
		return -1;
	}
	cidrlist_free(&vc->scanners);
	pubkeys_free(&vc->keys);
	vc->scanners = sl;
	vc->keys = ks;
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool_opts so = { 0 };
	struct verify vc;
	struct stage st = { .ctx = &vc, .filter = verify, .reload = load, .log = ms_logline };

	PROG = "ms-verify";
	memset(&vc, 0, sizeof vc);
	if (spool_getopt(argc, argv, &so) < 0)
		ms_usage("[-q in -o scanned -a unscanned [-b bounce] [-j n]]");
	if (control_path(vc.scannerspath, sizeof vc.scannerspath, "MS_SCANNERS", "scanners") < 0 ||
	    control_path(vc.keydir, sizeof vc.keydir, "MS_TRUSTED_KEYS", "trusted-keys") < 0)
		ms_fatal(EX_TEMP, "MS_ETC, MS_SCANNERS or MS_TRUSTED_KEYS is too long");
	if (cfg_uint("MS_STAMP_MAXAGE", 7 * 86400, &vc.maxage) < 0)
		ms_fatal(EX_TEMP, "unable to parse MS_STAMP_MAXAGE");
	vc.accept = cfg_str("MS_VERIFY_ACCEPT", "clean cleaned released");
	if (load(&vc) < 0)
		ms_fatal(EX_TEMP, "unable to load the scanners list or the trusted keys");
	return so.in ? spool_run(&so, &st) : filter_run(&st);
}
