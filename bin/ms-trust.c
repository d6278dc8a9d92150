/* ms-trust: a trust level for the connecting address, a connection slot
 * for the level, then the SMTP server for the level (chain loading under
 * tcpserver, as rblsmtpd does):
 *
 *	tcpserver ... 0 25 ms-trust ms-smtpd
 *	ms-trust -l
 *
 * Levels, most trusted first: trusted, neutral, suspect, hostile.  The
 * level comes from $MS_ETC/trust (lines "address-or-prefix level"; the
 * longest matching prefix wins; default MS_TRUST_DEFAULT, neutral), read
 * from trust.cdb when "ms-mkcdb -p" has compiled it, else line by line; a
 * source whose share of unknown recipients (lib/stats.h) is above
 * MS_TRUST_THRESHOLD percent after at least MS_TRUST_MIN recipients drops
 * one level.  Each level has MS_SLOTS_<LEVEL> connections; a connection
 * holds its slot (a lock) until its process ends, however it ends.
 * MS_TRUST is exported to what runs next and lands in the envelope block,
 * where the scanners read it.  See ms-trust(8).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg.h"
#include "chain.h"
#include "cidr.h"
#include "control.h"
#include "diag.h"
#include "maildir.h"
#include "msg.h"
#include "stats.h"
#include "table.h"

static const char *const levels[] = { "trusted", "neutral", "suspect", "hostile" };
static const unsigned default_slots[] = { 40, 20, 5, 0 };
#define NLEVELS 4

static int
level_of(const char *w, size_t n)
{
	for (int i = 0; i < NLEVELS; i++)
		if (strlen(levels[i]) == n && strncasecmp(levels[i], w, n) == 0)
			return i;
	return -1;
}

struct lookup {
	const char *ip;
	int level;
	unsigned bits;		/* of the best match so far */
	int found;
	size_t badline;
};

static int
trust_line(void *arg, const char *line, size_t n, size_t lineno)
{
	struct lookup *l = arg;
	struct cidr c;
	size_t a = 0, w;
	int lv;

	while (a < n && line[a] != ' ' && line[a] != '\t')
		a++;
	w = a;
	while (w < n && (line[w] == ' ' || line[w] == '\t'))
		w++;
	if (cidr_parse(line, a, &c) < 0 || (lv = level_of(line + w, n - w)) < 0) {
		l->badline = lineno;
		errno = EINVAL;
		return -1;
	}
	if (cidr_match(&c, l->ip) && (!l->found || c.bits > l->bits)) {
		l->level = lv;
		l->bits = c.bits;
		l->found = 1;
	}
	return 0;
}

static void
reply_and_exit(const char *line, int code)
{
	(void)!write_all(1, line, strlen(line));
	exit(code);
}

/* A setting we cannot use: the client hears 421 (and tries later), the
 * log says why. */
static void
config_error(const char *fmt, const char *arg)
{
	ms_warn(fmt, arg);
	reply_and_exit("421 4.3.5 mail system configuration error, try again later\r\n",
	    EX_TEMP);
}

/* Take a free slot of the level: a lock on one of its slot files, kept
 * (the descriptor survives exec) until this connection's process ends. */
static int
take_slot(const char *dir, int level, unsigned slots)
{
	char p[PATH_MAX];
	int fd;

	if (mkdir_p(dir, 0770) < 0)
		return -1;
	for (unsigned i = 0; i < slots; i++) {
		snprintf(p, sizeof p, "%s/%s.%u", dir, levels[level], i);
		if ((fd = open(p, O_RDWR | O_CREAT, 0660)) < 0)	/* no O_CLOEXEC */
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 1;
		close(fd);
	}
	return 0;
}

static int
list(const char *statsdir, unsigned window)
{
	struct dirent **ents;
	struct stats st;
	int n, i;

	if ((n = scandir(statsdir, &ents, NULL, alphasort)) < 0) {
		if (errno == ENOENT)
			return EX_PASS;
		ms_fatalsys("unable to read %s", statsdir);
	}
	for (i = 0; i < n; i++) {
		const char *ip = ents[i]->d_name;
		if (ip[0] != '.' && stats_get(statsdir, ip, window, &st) == 0 &&
		    st.known + st.unknown > 0)
			printf("%s %lu %lu %lu%%\n", ip, st.known, st.unknown,
			    st.unknown * 100 / (st.known + st.unknown));
		free(ents[i]);
	}
	free(ents);
	if (fflush(stdout) != 0)
		ms_fatalsys("unable to write to stdout");
	return EX_PASS;
}

int
main(int argc, char **argv)
{
	char trustpath[PATH_MAX], cdbpath[PATH_MAX + 8], statsdir[PATH_MAX], slotdir[PATH_MAX];
	char var[64];
	struct table tt;
	const char *ip, *def, *spec;
	struct lookup l;
	struct stats st;
	struct chain ch;
	unsigned threshold, min, window, slots;
	int level, c, r;

	PROG = "ms-trust";
	if (stats_dir(statsdir, sizeof statsdir) < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL or MS_TRUST_STATS is too long");
	if (cfg_uint("MS_TRUST_THRESHOLD", 50, &threshold) < 0 ||
	    cfg_uint("MS_TRUST_MIN", 20, &min) < 0 ||
	    cfg_uint("MS_TRUST_WINDOW", 86400, &window) < 0)
		config_error("unable to parse MS_TRUST_THRESHOLD, MS_TRUST_MIN or %s",
		    "MS_TRUST_WINDOW");
	while ((c = getopt(argc, argv, "+l")) != -1) {
		if (c == 'l')
			return list(statsdir, window);
		ms_usage("prog [args ...] | -l");
	}
	if (optind >= argc)
		ms_usage("prog [args ...] | -l");

	ip = cfg_str("TCPREMOTEIP", NULL);
	def = cfg_str("MS_TRUST_DEFAULT", "neutral");
	if ((level = level_of(def, strlen(def))) < 0)
		config_error("MS_TRUST_DEFAULT is not a level: %s", def);
	if (control_path(trustpath, sizeof trustpath, "MS_TRUST_TABLE", "trust") < 0 ||
	    (size_t)snprintf(cdbpath, sizeof cdbpath, "%s.cdb", trustpath) >= sizeof cdbpath)
		ms_fatal(EX_TEMP, "MS_ETC or MS_TRUST_TABLE is too long");
	if (ip && table_open(&tt, cdbpath) == 0) {
		/* the compiled table (ms-mkcdb -p): longest prefix, constant time */
		char v[32];
		int r2 = table_prefix(&tt, ip, v, sizeof v), lv;
		if (r2 < 0)
			ms_warnsys("unable to look %s up in %s", ip, cdbpath);
		else if (r2 == 1 && (lv = level_of(v, strlen(v))) >= 0)
			level = lv;
		else if (r2 == 1)
			ms_warn("%s: %s has level \"%s\", which is none: ignored", cdbpath, ip, v);
		table_close(&tt);
	} else if (ip) {
		memset(&l, 0, sizeof l);
		l.ip = ip;
		if (control_each(trustpath, 1, trust_line, &l) < 0) {
			if (errno == EINVAL)
				ms_warn("%s: line %zu is not \"address-or-prefix level\": ignored "
				    "the table", trustpath, l.badline);
			else
				ms_warnsys("unable to read %s", trustpath);
		} else if (l.found)
			level = l.level;
		/* One level down for a source that names unknown recipients. */
		if (stats_get(statsdir, ip, window, &st) == 0 && st.known + st.unknown >= min &&
		    st.unknown * 100 > (unsigned long)threshold * (st.known + st.unknown) &&
		    level < NLEVELS - 1) {
			ms_info("%s: %lu of %lu recipients unknown: %s -> %s", ip, st.unknown,
			    st.known + st.unknown, levels[level], levels[level + 1]);
			level++;
		}
	}
	snprintf(var, sizeof var, "MS_SLOTS_%s", levels[level]);
	for (char *v = var + 9; *v; v++)
		*v = (char)(*v - 'a' + 'A');
	if (cfg_uint(var, default_slots[level], &slots) < 0)
		config_error("unable to parse %s", var);
	if (cfg_spooldir(slotdir, sizeof slotdir, "trust/slots") < 0)
		ms_fatal(EX_TEMP, "MS_SPOOL is too long");
	if (slots == 0) {
		ms_info("%s: %s: refused", ip ? ip : "-", levels[level]);
		reply_and_exit("554 5.7.1 connections from your address are not accepted\r\n",
		    EX_PASS);
	}
	if ((r = take_slot(slotdir, level, slots)) < 0)
		ms_warnsys("unable to take a slot in %s: going on without one", slotdir);
	else if (r == 0) {
		ms_info("%s: %s: all %u slots busy", ip ? ip : "-", levels[level], slots);
		reply_and_exit("421 4.7.0 too many connections, try again later\r\n", EX_PASS);
	}
	setenv("MS_TRUST", levels[level], 1);
	/* A level may have a program of its own (MS_TRUST_EXEC_<LEVEL>). */
	snprintf(var, sizeof var, "MS_TRUST_EXEC_%s", levels[level]);
	for (char *v = var + 14; *v; v++)
		*v = (char)(*v - 'a' + 'A');
	if ((spec = cfg_str(var, NULL)) != NULL) {
		if (chain_parse(&ch, spec) < 0 || ch.n != 1)
			config_error("%s must be one program with its arguments", var);
		execvp(ch.argv[0][0], ch.argv[0]);
		ms_warnsys("unable to run %s", ch.argv[0][0]);
		config_error("no program for level %s", levels[level]);
	}
	execvp(argv[optind], argv + optind);
	ms_warnsys("unable to run %s", argv[optind]);
	config_error("no program to run: %s", argv[optind]);
}
