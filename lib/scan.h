/* scan: what every scanner stage (ms-scan-clamav, ms-scan-yara, ...) has in
 * common: its settings (MS_ACTION, MS_UNSCANNABLE, MS_SKIP, the MIME
 * limits), the findings of one message, and the end of the filter: the
 * X-Mailscan-Verdict line, the action and the exit code.
 *
 *	verdict     action (MS_ACTION)   exit   message
 *	clean       -                    0      verdict added
 *	infected    clean                0      infected parts replaced, "cleaned"
 *	infected    quarantine           1      verdict added (-a spool)
 *	infected    reject               100    "5.7.1 virus NAME found"
 *	infected    tag                  0      verdict added
 *	unscanned   MS_UNSCANNABLE: quarantine 1, pass 0, reject 100
 *
 * A finding the scanner cannot tie to a part (a whole-message pass) cannot
 * be cleaned: "clean" then quarantines.
 */
#ifndef MS_SCAN_H
#define MS_SCAN_H

#include <stddef.h>

#include "buf.h"
#include "mime.h"

struct job;

enum { ACT_CLEAN, ACT_QUARANTINE, ACT_REJECT, ACT_TAG, ACT_PASS };

struct scan_settings {
	int action;		/* MS_ACTION: clean quarantine reject tag */
	int unscannable;	/* MS_UNSCANNABLE: quarantine pass reject */
	char skip[1024];	/* MS_SKIP words: ".ext", "type/subtype", "type/" + "*" */
	struct mime_limits lim;	/* MS_MIME_DEPTH, _PARTS, _FACTOR, _DECODED */
	char levels[128];	/* MS_LEVELS: trust levels this engine scans; "" all */
	int level_action[4];	/* MS_ACTION_TRUSTED ... _HOSTILE; -1: MS_ACTION */
};

/* The trust levels of ms-trust(8), most trusted first. */
extern const char *const scan_levels[4];

/* The start of a scanner's filter: the envelope block parsed (off: where
 * the message proper starts) and MS_LEVELS applied.  1: scan it; 0: do
 * not, *code is the exit code and job->reason says why. */
int scan_begin(struct job *job, const struct scan_settings *s, size_t *off, int *code);

/* Should this engine scan a message of this trust level (NULL: none
 * known)?  MS_LEVELS lists the levels it scans; unset, it scans all. */
int scan_wanted(const struct scan_settings *s, const char *trust);

/* -1 with errno EINVAL; *bad names the variable. */
int scan_settings_load(struct scan_settings *s, const char **bad);

/* Is this part one MS_SKIP says not to scan? */
int scan_skip(const struct scan_settings *s, const struct mime_part *p);

struct scan_hit {
	char name[200];		/* signature or rule name */
	size_t part;		/* leaf index; 0: the whole message */
	char file[120];		/* sanitized file name, or "" */
	size_t off, len;	/* the range to replace when cleaning */
	struct buf notice;	/* its replacement */
	char ref[80];		/* where what was taken out is kept, or "" */
};

struct scan_findings {
	struct scan_hit *hit;
	size_t nhit, cap;
	char unscanned[200];	/* why not all was scanned; "" if it was */
	const char *label;	/* what a hit is, for a rejection: NULL "virus" */
	int action;		/* ACT_* + 1 to override MS_ACTION (a rule's
				 * own action); 0: MS_ACTION */
};

/* Record a hit; from inside a mime_walk callback p is the part (its
 * notice is made there and then), NULL for a whole-message finding; desc,
 * if not NULL, is said in the notice. */
int scan_hit(struct scan_findings *f, const char *msg, size_t n,
    const struct mime_part *p, const char *name, const char *desc,
    const char *engine);
void scan_findings_free(struct scan_findings *f);

/* Append msg[0..n) with every hit's range replaced by its notice; a range
 * inside an earlier one is covered by it.  Sorts f->hit.  -1 on ENOMEM. */
int scan_clean(const char *msg, size_t n, struct scan_findings *f, struct buf *out);

/* The action for this message: MS_ACTION_<LEVEL> for its trust level
 * (from the envelope block in job->in), else MS_ACTION. */
int scan_action(const struct scan_settings *s, struct job *job);

/* End the filter: verdict line "ENGINE VERDICT details" appended to the
 * envelope block, the action taken (MS_ACTION_<LEVEL> for the message's
 * trust level, else MS_ACTION), job->out filled, job->reason set.
 * msgoff: where the message proper starts in job->in.  Returns the exit
 * code. */
int scan_finish(struct job *job, size_t msgoff, const char *engine,
    const struct scan_settings *s, struct scan_findings *f);

#endif
