/* cfg: settings from the environment (set by envdir in a service's run
 * script) with built-in defaults.  Every setting a program reads is listed
 * in its man page. */
#ifndef MS_CFG_H
#define MS_CFG_H

#include <stddef.h>

/* $var as a size: decimal, optional suffix k, m or g (powers of 1024).
 * Unset or empty: def.  -1 with errno EINVAL for anything else. */
int cfg_size(const char *var, size_t def, size_t *out);
/* $var as a count or a number of seconds: plain decimal. */
int cfg_uint(const char *var, unsigned def, unsigned *out);
/* $var, or def when unset or empty. */
const char *cfg_str(const char *var, const char *def);

/* This host's name for greetings, trace fields and notices: $MS_HOSTNAME,
 * else the system's, else "localhost".  Returns dst. */
char *cfg_hostname(char *dst, size_t dstsz);

/* The spool tree: $MS_SPOOL or /var/spool/mailscan. */
const char *cfg_spool(void);
/* dst = cfg_spool() + "/" + sub.  -1 ENAMETOOLONG. */
int cfg_spooldir(char *dst, size_t dstsz, const char *sub);

#define MS_MAXSIZE_DEFAULT (50UL * 1024 * 1024)

#endif
