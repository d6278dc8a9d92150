/* cidr: IPv4 and IPv6 addresses and prefixes ("192.0.2.1", "10.0.0.0/8",
 * "2001:db8::/32"); an IPv4-mapped IPv6 address matches as IPv4. */
#ifndef MS_CIDR_H
#define MS_CIDR_H

#include <stddef.h>

struct cidr {
	int v6;
	unsigned char a[16];
	unsigned bits;
};

struct cidrlist {
	struct cidr *v;
	size_t n, cap;
};

/* Parse s[0..n).  0, or -1 with errno EINVAL. */
int cidr_parse(const char *s, size_t n, struct cidr *c);
/* The canonical key of a prefix, "ADDRESS/BITS" with the host bits
 * cleared (an IPv4-mapped prefix as IPv4): one text for one prefix, for
 * cdb tables.  0, or -1 with ENAMETOOLONG. */
int cidr_key(const struct cidr *c, char *out, size_t n);

/* Does the address ip (a C string) lie in c? */
int cidr_match(const struct cidr *c, const char *ip);

/* Load a control file of prefixes (see control.h); a missing file is an
 * empty list.  A bad line fails the load: -1 with errno EINVAL and *badline
 * (if not NULL) its number. */
int cidrlist_load(const char *path, struct cidrlist *l, size_t *badline);
int cidrlist_match(const struct cidrlist *l, const char *ip);
void cidrlist_free(struct cidrlist *l);

#endif
