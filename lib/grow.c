/* grow: see grow.h */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

void *
grow_max(void *p, size_t n, size_t *cap, size_t size, size_t first,
    size_t max)
{
	size_t ncap;
	void *np;

	if (n < *cap)
		return p;
	if (n >= max || first == 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (*cap == 0)
		ncap = first;
	else if (*cap > SIZE_MAX / 2)
		ncap = SIZE_MAX;
	else
		ncap = *cap * 2;
	if (ncap > max)
		ncap = max;
	/* reallocarray() refuses (ENOMEM) a product that overflows. */
	if ((np = reallocarray(p, ncap, size)) == NULL)
		return NULL;
	*cap = ncap;
	return np;
}

void *
grow(void *p, size_t n, size_t *cap, size_t size, size_t first)
{
	return grow_max(p, n, cap, size, first, SIZE_MAX);
}
