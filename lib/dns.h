/* dns: MX and address lookups for the relay (RFC 5321 section 5), through
 * the system resolver, or through the server named by $MS_RESOLVER
 * ("addr" or "addr:port", IPv4) when it is set. */
#ifndef MS_DNS_H
#define MS_DNS_H

#include <sys/socket.h>

#include <stddef.h>

#define DNS_MAXMX 32
#define DNS_MAXADDR 16

enum dns_result {
	DNS_OK = 0,
	DNS_NXDOMAIN,	/* the name does not exist: permanent */
	DNS_NODATA,	/* the name exists, without records of that type */
	DNS_TEMP,	/* no answer now (SERVFAIL, timeout): try later */
};

struct dns_mx {
	unsigned pref;
	char host[256];
};

struct resolver;

/* NULL with errno (EINVAL: MS_RESOLVER malformed). */
struct resolver *dns_open(void);
void dns_close(struct resolver *r);

/* MX records of domain, sorted by preference (ties in random order).
 * A null MX (RFC 7505) gives one entry with host "". */
enum dns_result dns_mx(struct resolver *r, const char *domain,
    struct dns_mx *mx, size_t max, size_t *n);

/* AAAA and A records of host (IPv6 first), port set on each. */
enum dns_result dns_addrs(struct resolver *r, const char *host, unsigned port,
    struct sockaddr_storage *a, size_t max, size_t *n);

#endif
