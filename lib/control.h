/* control: qmail-style control files under $MS_ETC (default /etc/mailscan):
 * one value or one list entry per line; blank lines and lines starting
 * with '#' are ignored, as is white space at both ends of a line. */
#ifndef MS_CONTROL_H
#define MS_CONTROL_H

#include <stddef.h>

#define CONTROL_MAX (4UL * 1024 * 1024)	/* larger files are refused */

/* The control directory: $MS_ETC or /etc/mailscan. */
const char *control_dir(void);
/* dst = $MS_ETC/name, unless var is set in the environment: then $var. */
int control_path(char *dst, size_t dstsz, const char *var, const char *name);

/* Call fn for every entry of the file at path, with its line number.  A missing file is an
 * empty list when missing_ok; fn returning -1 stops with that result.
 * -1 with errno (EFBIG for a file over CONTROL_MAX). */
int control_each(const char *path, int missing_ok,
    int (*fn)(void *arg, const char *line, size_t n, size_t lineno), void *arg);

#endif
