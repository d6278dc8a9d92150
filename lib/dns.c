/* dns: see dns.h */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "dns.h"

struct resolver {
	struct __res_state rs;
};

struct resolver *
dns_open(void)
{
	struct resolver *r = calloc(1, sizeof *r);
	const char *s = cfg_str("MS_RESOLVER", NULL);
	char host[64], *colon;
	unsigned long port = 53;
	struct in_addr a;

	if (r == NULL)
		return NULL;
	if (res_ninit(&r->rs) < 0) {
		free(r);
		errno = EIO;
		return NULL;
	}
	if (s) {
		if (strlcpy(host, s, sizeof host) >= sizeof host)
			goto bad;
		if ((colon = strchr(host, ':')) != NULL) {
			*colon++ = '\0';
			port = strtoul(colon, &colon, 10);
			if (*colon || port == 0 || port > 65535)
				goto bad;
		}
		if (inet_pton(AF_INET, host, &a) != 1)
			goto bad;
		r->rs.nscount = 1;
		r->rs.nsaddr_list[0].sin_family = AF_INET;
		r->rs.nsaddr_list[0].sin_addr = a;
		r->rs.nsaddr_list[0].sin_port = htons((unsigned short)port);
		r->rs.retrans = 2;
		r->rs.retry = 2;
	}
	return r;
bad:
	res_nclose(&r->rs);
	free(r);
	errno = EINVAL;
	return NULL;
}

void
dns_close(struct resolver *r)
{
	if (r) {
		res_nclose(&r->rs);
		free(r);
	}
}

static enum dns_result
query(struct resolver *r, const char *name, int type, unsigned char *ans,
    int anssz, ns_msg *msg)
{
	int len = res_nquery(&r->rs, name, ns_c_in, type, ans, anssz);

	if (len < 0) {
		switch (r->rs.res_h_errno) {
		case HOST_NOT_FOUND: return DNS_NXDOMAIN;
		case NO_DATA: return DNS_NODATA;
		default: return DNS_TEMP;
		}
	}
	if (ns_initparse(ans, len, msg) < 0)
		return DNS_TEMP;
	return DNS_OK;
}

static int
cmpmx(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;
	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

enum dns_result
dns_mx(struct resolver *r, const char *domain, struct dns_mx *mx, size_t max,
    size_t *n)
{
	unsigned char ans[8192];
	ns_msg msg;
	ns_rr rr;
	enum dns_result res;
	int i, count;
	size_t k, j;

	*n = 0;
	if ((res = query(r, domain, ns_t_mx, ans, sizeof ans, &msg)) != DNS_OK)
		return res;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count && *n < max; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return DNS_TEMP;
		if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		mx[*n].pref = ns_get16(ns_rr_rdata(rr));
		if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg),
		    ns_rr_rdata(rr) + 2, mx[*n].host, sizeof mx[*n].host) < 0)
			return DNS_TEMP;
		if (strcmp(mx[*n].host, ".") == 0)
			mx[*n].host[0] = '\0';
		(*n)++;
	}
	if (*n == 0)
		return DNS_NODATA;
	/* Shuffle, then a stable sort: equal preferences share the load. */
	for (k = *n; k > 1; k--) {
		struct dns_mx t;
		j = arc4random_uniform((uint32_t)k);
		t = mx[k - 1];
		mx[k - 1] = mx[j];
		mx[j] = t;
	}
	for (k = 1; k < *n; k++)
		for (j = k; j > 0 && cmpmx(&mx[j - 1], &mx[j]) > 0; j--) {
			struct dns_mx t = mx[j];
			mx[j] = mx[j - 1];
			mx[j - 1] = t;
		}
	return DNS_OK;
}

enum dns_result
dns_addrs(struct resolver *r, const char *host, unsigned port,
    struct sockaddr_storage *a, size_t max, size_t *n)
{
	static const int types[2] = { ns_t_aaaa, ns_t_a };
	unsigned char ans[8192];
	enum dns_result res, worst = DNS_NXDOMAIN;
	ns_msg msg;
	ns_rr rr;
	int t, i, count;

	*n = 0;
	/* An address literal needs no lookup. */
	memset(&a[0], 0, sizeof a[0]);
	if (max && inet_pton(AF_INET, host, &((struct sockaddr_in *)&a[0])->sin_addr) == 1) {
		((struct sockaddr_in *)&a[0])->sin_family = AF_INET;
		((struct sockaddr_in *)&a[0])->sin_port = htons((unsigned short)port);
		*n = 1;
		return DNS_OK;
	}
	if (max && inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&a[0])->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&a[0])->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&a[0])->sin6_port = htons((unsigned short)port);
		*n = 1;
		return DNS_OK;
	}
	for (t = 0; t < 2; t++) {
		res = query(r, host, types[t], ans, sizeof ans, &msg);
		if (res == DNS_TEMP)
			worst = DNS_TEMP;
		else if (res == DNS_NODATA && worst == DNS_NXDOMAIN)
			worst = DNS_NODATA;
		if (res != DNS_OK)
			continue;
		count = ns_msg_count(msg, ns_s_an);
		for (i = 0; i < count && *n < max; i++) {
			if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
				break;
			memset(&a[*n], 0, sizeof a[*n]);
			if (ns_rr_type(rr) == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a[*n];
				s6->sin6_family = AF_INET6;
				s6->sin6_port = htons((unsigned short)port);
				memcpy(&s6->sin6_addr, ns_rr_rdata(rr), 16);
				(*n)++;
			} else if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4) {
				struct sockaddr_in *s4 = (struct sockaddr_in *)&a[*n];
				s4->sin_family = AF_INET;
				s4->sin_port = htons((unsigned short)port);
				memcpy(&s4->sin_addr, ns_rr_rdata(rr), 4);
				(*n)++;
			}
		}
	}
	return *n ? DNS_OK : worst;
}
