/* ms-mkcdb: compile a control-file table (routes, subscribers, trust, ...)
 * into FILE.cdb, atomically.  See ms-mkcdb(8). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "control.h"
#include "diag.h"
#include "table.h"

int
main(int argc, char **argv)
{
	char dst[PATH_MAX];
	size_t bad = 0;
	long n;
	int i;

	PROG = "ms-mkcdb";
	if (argc < 2 || argv[1][0] == '-')
		ms_usage("file ...");
	for (i = 1; i < argc; i++) {
		if ((size_t)snprintf(dst, sizeof dst, "%s.cdb", argv[i]) >= sizeof dst)
			ms_fatal(EX_PERM, "file name too long: %s", argv[i]);
		if ((n = table_compile(argv[i], dst, &bad)) < 0) {
			if (errno == EINVAL && bad)
				ms_fatal(EX_PERM, "unable to compile %s: line %zu: key longer "
				    "than 1024 bytes", argv[i], bad);
			if (errno == EFBIG)
				ms_fatal(EX_PERM, "unable to compile %s: larger than %lu bytes",
				    argv[i], (unsigned long)CONTROL_MAX);
			ms_fatalsys("unable to compile %s into %s", argv[i], dst);
		}
		ms_info("%s: %ld key%s", dst, n, n == 1 ? "" : "s");
	}
	return EX_PASS;
}
