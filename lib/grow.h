/* grow: room for one more element at the end of an array that doubles.
 *
 * The caller keeps the array, its capacity and how many elements are in
 * use, and assigns the result only when it is not NULL:
 *
 *	if ((nv = grow(l->v, l->n, &l->cap, sizeof *nv, 16)) == NULL)
 *		return -1;
 *	l->v = nv;
 *	l->v[l->n++] = x;
 */
#ifndef MS_GROW_H
#define MS_GROW_H

#include <stddef.h>

/* p holds *cap elements of size bytes, n of them in use.  While n < *cap,
 * return p as it is.  Otherwise reallocate it to twice *cap elements (first
 * when *cap is 0), store the new count in *cap and return the new array: p
 * is then no longer valid.  NULL with errno ENOMEM (also when the new size
 * does not fit in a size_t) leaves p and *cap as they were. */
void *grow(void *p, size_t n, size_t *cap, size_t size, size_t first);

/* The same, but never more than max elements: the doubling stops at max,
 * and NULL with errno ENOMEM when n is max already. */
void *grow_max(void *p, size_t n, size_t *cap, size_t size, size_t first,
    size_t max);

#endif
