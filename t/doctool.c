/* doctool: the document readers of lib/doc.h, made visible for the tests.
 *
 *	doctool [-f] [-k dir] [-n note] [-e entries] [-p part] [-t total]
 *	    [-r ratio] [-d depth] ooxml|ole|rtf|pdf|sniff < document > new
 *
 * Runs KIND_strip() on the document on stdin.  On 1 it writes the new
 * document to stdout; the reason goes to stderr as "doctool: WHY".  -k DIR
 * writes every part removed() is given as DIR/1, DIR/2, ... (and its name
 * as DIR/1.name).  -f writes what was found as one more line on stderr,
 * "doctool: found NAMES" (doc_found_names(), ole-macro for ole), or
 * "doctool: found nothing".  -e, -p, -t, -r and -d set the limits of
 * struct doc_limits (plain decimal; the others keep their defaults).
 * "sniff" prints the kinds the doc_is_*() sniffers see, one word per
 * line.
 *
 * Exit: the value of KIND_strip() (0 nothing found, 1 stripped, 2 found
 * but not strippable); 3 EBADMSG, 4 ENOTSUP; 100 usage; 111 ENOMEM or I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "doc.h"

struct keep {
	const char *dir;
	int n;
};

static int
keep(void *arg, const char *name, const char *data, size_t len)
{
	struct keep *k = arg;
	char path[4096];
	FILE *f;

	if (k->dir == NULL)
		return 0;
	k->n++;
	snprintf(path, sizeof path, "%s/%d", k->dir, k->n);
	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/%d.name", k->dir, k->n);
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", name) < 0 || fclose(f) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct keep k = { NULL, 0 };
	struct doc_limits lim = DOC_LIMITS_DEFAULT;
	const char *note = "[an embedded object was removed here by mailscan]";
	char why[256] = "", chunk[65536], names[200];
	unsigned found = 0;
	size_t r;
	int c, rc, showfound = 0;

	while ((c = getopt(argc, argv, "fk:n:e:p:t:r:d:")) != -1)
		switch (c) {
		case 'f': showfound = 1; break;
		case 'k': k.dir = optarg; break;
		case 'n': note = optarg; break;
		case 'e': lim.entries = strtoull(optarg, NULL, 10); break;
		case 'p': lim.part = strtoull(optarg, NULL, 10); break;
		case 't': lim.total = strtoull(optarg, NULL, 10); break;
		case 'r': lim.ratio = strtoull(optarg, NULL, 10); break;
		case 'd': lim.depth = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	if (optind + 1 != argc)
		goto usage;
	while ((r = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		if (buf_add(&in, chunk, r) < 0)
			return 111;
	if (ferror(stdin))
		return 111;
	if (strcmp(argv[optind], "sniff") == 0) {
		if (doc_is_zip(in.p, in.len)) puts("zip");
		if (doc_is_ole(in.p, in.len)) puts("ole");
		if (doc_is_rtf(in.p, in.len)) puts("rtf");
		if (doc_is_pdf(in.p, in.len)) puts("pdf");
		return 0;
	}
	if (strcmp(argv[optind], "ooxml") == 0)
		rc = ooxml_strip(in.p, in.len, &lim, &out, &found, why, sizeof why, keep, &k);
	else if (strcmp(argv[optind], "ole") == 0)
		rc = ole_strip(in.p, in.len, &lim, &out, &found, why, sizeof why, keep, &k);
	else if (strcmp(argv[optind], "rtf") == 0)
		rc = rtf_strip(in.p, in.len, &lim, note, &out, &found, why, sizeof why, keep, &k);
	else if (strcmp(argv[optind], "pdf") == 0)
		rc = pdf_strip(in.p, in.len, &lim, &out, &found, why, sizeof why, keep, &k);
	else
		goto usage;
	if (why[0])
		fprintf(stderr, "doctool: %s\n", why);
	if (showfound)
		fprintf(stderr, "doctool: found %s\n", found == 0 ? "nothing" :
		    doc_found_names(found, strcmp(argv[optind], "ole") == 0, names,
		    sizeof names));
	if (rc < 0) {
		fprintf(stderr, "doctool: %s\n", strerror(errno));
		return errno == EBADMSG ? 3 : errno == ENOTSUP ? 4 : 111;
	}
	if (rc == 1 && (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0))
		rc = 111;
	buf_free(&in);
	buf_free(&out);
	return rc;
usage:
	fprintf(stderr, "usage: doctool [-f] [-k dir] [-n note] [-e entries] [-p part] "
	    "[-t total] [-r ratio] [-d depth] ooxml|ole|rtf|pdf|sniff < document\n");
	return 100;
}
