/* cfg: see cfg.h */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

int
cfg_size(const char *var, size_t def, size_t *out)
{
	const char *s = getenv(var);
	unsigned long long v = 0, mul = 1;

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	if (*s < '0' || *s > '9')
		goto bad;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (ULLONG_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (unsigned)(*s - '0');
	}
	switch (*s) {
	case 'k': case 'K': mul = 1024; s++; break;
	case 'm': case 'M': mul = 1024 * 1024; s++; break;
	case 'g': case 'G': mul = 1024 * 1024 * 1024; s++; break;
	}
	if (*s != '\0' || v > SIZE_MAX / mul)
		goto bad;
	*out = (size_t)(v * mul);
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
cfg_uint(const char *var, unsigned def, unsigned *out)
{
	const char *s = getenv(var);
	unsigned long v = 0;

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	if (*s < '0' || *s > '9')
		goto bad;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT_MAX)
			goto bad;
	}
	if (*s != '\0')
		goto bad;
	*out = (unsigned)v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

const char *
cfg_str(const char *var, const char *def)
{
	const char *s = getenv(var);
	return (s && *s) ? s : def;
}

const char *
cfg_spool(void)
{
	return cfg_str("MS_SPOOL", "/var/spool/mailscan");
}

int
cfg_spooldir(char *dst, size_t dstsz, const char *sub)
{
	int r = snprintf(dst, dstsz, "%s/%s", cfg_spool(), sub);
	if (r < 0 || (size_t)r >= dstsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

char *
cfg_hostname(char *dst, size_t dstsz)
{
	const char *h = cfg_str("MS_HOSTNAME", NULL);

	if (dstsz == 0)
		return dst;
	if (h)
		strlcpy(dst, h, dstsz);
	else if (gethostname(dst, dstsz) < 0)
		strlcpy(dst, "localhost", dstsz);
	dst[dstsz - 1] = '\0';
	return dst;
}
