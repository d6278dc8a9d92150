/* control: see control.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "control.h"
#include "msg.h"

const char *
control_dir(void)
{
	return cfg_str("MS_ETC", "/etc/mailscan");
}

int
control_path(char *dst, size_t dstsz, const char *var, const char *name)
{
	const char *v = var ? cfg_str(var, NULL) : NULL;
	int r;

	r = v ? snprintf(dst, dstsz, "%s", v)
	      : snprintf(dst, dstsz, "%s/%s", control_dir(), name);
	if (r < 0 || (size_t)r >= dstsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
control_each(const char *path, int missing_ok,
    int (*fn)(void *arg, const char *line, size_t n, size_t lineno), void *arg)
{
	struct msg m;
	size_t i = 0, s, e, lineno = 0;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (errno == ENOENT && missing_ok) ? 0 : -1;
	if (msg_load(fd, CONTROL_MAX, &m) < 0) {
		if (errno == EMSGSIZE)
			errno = EFBIG;
		close(fd);
		return -1;
	}
	close(fd);
	while (i < m.len && r == 0) {
		s = i;
		while (i < m.len && m.p[i] != '\n')
			i++;
		e = i++;
		lineno++;
		while (s < e && (m.p[s] == ' ' || m.p[s] == '\t'))
			s++;
		while (e > s && (m.p[e - 1] == ' ' || m.p[e - 1] == '\t' || m.p[e - 1] == '\r'))
			e--;
		if (s == e || m.p[s] == '#')
			continue;
		r = fn(arg, m.p + s, e - s, lineno);
	}
	msg_free(&m);
	return r;
}
