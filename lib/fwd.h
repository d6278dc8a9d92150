/* fwd: the forward request of a gateway on a dynamic address (see
 * ms-forwardd(8)), one line:
 *
 *	FORWARD domain address port time nonce mac
 *
 * address is the gateway's IPv4 or IPv6 address, or "-" for "the address
 * you see me from"; time is Unix seconds; nonce 16 to 64 hex digits; mac
 * the hex HMAC-SHA256, under the domain's shared key, of the line's first
 * six words joined by single spaces.  The parser is a pure function. */
#ifndef MS_FWD_H
#define MS_FWD_H

#include <stddef.h>

struct buf;

#define FWD_KEYMAX 512

struct fwd_req {
	char domain[256];
	char addr[64];
	unsigned port;
	long long t;
	char nonce[65];
	char mac[65];
};

/* Parse one request line (its line end may be included).  0, or -1 with
 * errno EBADMSG. */
int fwd_parse(const char *line, size_t n, struct fwd_req *r);

/* The text the MAC covers. */
int fwd_text(const struct fwd_req *r, struct buf *out);

/* Hex HMAC-SHA256 of text under key into mac (65 bytes). */
int fwd_mac(const char *key, size_t keylen, const char *text, size_t n, char mac[65]);

/* Constant-time comparison of two 64-digit hex MACs: 1 equal. */
int fwd_mac_equal(const char *a, const char *b);

/* The shared key of a domain: the first line of $MS_ETC/forward/DOMAIN.
 * 1 found, 0 no such domain, -1 error. */
int fwd_key(const char *domain, char *key, size_t keysz, size_t *keylen);

#endif
