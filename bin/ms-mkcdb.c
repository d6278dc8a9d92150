/* ms-mkcdb: compile a control-file table (routes, subscribers, trust, ...)
 * into FILE.cdb, atomically.  See ms-mkcdb(8). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "diag.h"
#include "table.h"

int
main(int argc, char **argv)
{
	char dst[PATH_MAX];
	size_t bad = 0;
	long n;
	int i = 1, flags = 0;

	PROG = "ms-mkcdb";
	if (argc > 1 && strcmp(argv[1], "-p") == 0) {
		flags = TABLE_PREFIX;	/* keys are addresses and prefixes */
		i++;
	}
	if (i >= argc || argv[i][0] == '-')
		ms_usage("[-p] file ...");
	for (; i < argc; i++) {
		if ((size_t)snprintf(dst, sizeof dst, "%s.cdb", argv[i]) >= sizeof dst)
			ms_fatal(EX_PERM, "file name too long: %s", argv[i]);
		if ((n = table_compile(argv[i], dst, flags, &bad)) < 0) {
			if (errno == EINVAL && bad)
				ms_fatal(EX_PERM, "unable to compile %s: line %zu: %s", argv[i], bad,
				    flags ? "not an address or prefix" : "key longer than 1024 bytes");
			if (errno == EFBIG)
				ms_fatal(EX_PERM, "unable to compile %s: larger than %lu bytes",
				    argv[i], (unsigned long)CONTROL_MAX);
			ms_fatalsys("unable to compile %s into %s", argv[i], dst);
		}
		ms_info("%s: %ld key%s", dst, n, n == 1 ? "" : "s");
	}
	return EX_PASS;
}
