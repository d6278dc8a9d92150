/* htmldisarm: lib/html made visible for the tests.
 *
 *	htmldisarm [-f] [-c charset] [-n note] [-s] < html > disarmed
 *
 * Runs html_disarm() on stdin (-f: forms count as active; -c: the MIME
 * charset; -n: the note).  On 1 the disarmed document goes to stdout; the
 * kinds found go to stderr, one line "htmldisarm: script,handler".  -s
 * runs html_sniff() instead: exit 0 if it looks like HTML, 1 if not.
 *
 * Exit: the value of html_disarm(): 0 nothing active, 1 disarmed, 2 not
 * disarmable (charset, rounds); 100 usage; 111 out of memory or I/O.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "html.h"

int
main(int argc, char **argv)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	const char *cs = NULL, *note = "[active content was removed here by mailscan]";
	unsigned opts = 0, kinds;
	char chunk[65536];
	size_t r;
	int c, rc, sniff = 0, first = 1;

	while ((c = getopt(argc, argv, "c:fn:s")) != -1)
		switch (c) {
		case 'c': cs = optarg; break;
		case 'f': opts |= HTML_FORMS; break;
		case 'n': note = optarg; break;
		case 's': sniff = 1; break;
		default:
			fprintf(stderr, "usage: htmldisarm [-f] [-c charset] [-n note] [-s] < html\n");
			return 100;
		}
	while ((r = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		if (buf_add(&in, chunk, r) < 0)
			return 111;
	if (ferror(stdin))
		return 111;
	if (sniff) {
		rc = html_sniff(in.p, in.len) ? 0 : 1;
		buf_free(&in);
		return rc;
	}
	rc = html_disarm(in.p, in.len, cs, opts, note, strlen(note), &out, &kinds);
	if (rc < 0)
		return 111;
	if (kinds) {
		fputs("htmldisarm: ", stderr);
		for (unsigned b = 1; b; b <<= 1)
			if ((kinds & b) && html_kind_name(b)) {
				fprintf(stderr, "%s%s", first ? "" : ",", html_kind_name(b));
				first = 0;
			}
		fputc('\n', stderr);
	}
	if (rc == 1 && (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0))
		rc = 111;
	buf_free(&in);
	buf_free(&out);
	return rc;
}
