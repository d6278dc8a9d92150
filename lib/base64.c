/* base64: see base64.h */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "buf.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0-63 for the alphabet, 64 for '=', 255 for anything else. */
static const unsigned char dtab[256] = {
#define X 255
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,62,X,X,X,63, 52,53,54,55,56,57,58,59,60,61,X,X,X,64,X,X,
	X,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14, 15,16,17,18,19,20,21,22,23,24,25,X,X,X,X,X,
	X,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40, 41,42,43,44,45,46,47,48,49,50,51,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
#undef X
};

static int
val(unsigned char c)
{
	return dtab[c] < 64 ? dtab[c] : -1;
}

int
b64_encode(const void *vp, size_t n, struct buf *out)
{
	const unsigned char *p = vp;
	char q[4];
	size_t i;

	if (buf_reserve(out, (n + 2) / 3 * 4) < 0)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		q[0] = alphabet[p[i] >> 2];
		q[1] = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = alphabet[p[i + 2] & 63];
		buf_add(out, q, 4);
	}
	if (i < n) {
		q[0] = alphabet[p[i] >> 2];
		if (i + 1 < n) {
			q[1] = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = alphabet[(p[i + 1] & 15) << 2];
		} else {
			q[1] = alphabet[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		buf_add(out, q, 4);
	}
	return 0;
}

int
b64_encode_lines(const void *p, size_t n, const char *eol, struct buf *out)
{
	const char *c = p;

	for (size_t i = 0; i < n; i += 57)
		if (b64_encode(c + i, n - i < 57 ? n - i : 57, out) < 0 || buf_adds(out, eol) < 0)
			return -1;
	return 0;
}

int
b64_decode_strict(const char *s, size_t n, struct buf *out)
{
	size_t i, pad = 0;
	int v[4], k;
	unsigned char o[3];

	if (n % 4 != 0)
		goto bad;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = val((unsigned char)s[i + k])) < 0)
				goto bad;
		}
		if (pad == 1 && s[i + 2] == '=')
			goto bad;
		o[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		o[1] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		o[2] = (unsigned char)(v[2] << 6 | v[3]);
		if (buf_add(out, o, 3 - pad) < 0)
			return -1;
	}
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

/* dtab shifted into place for each of the four characters of a group,
 * and BAD for a character outside the alphabet: OR-ing the four entries
 * gives the group's 24 bits, or a value with BAD set.  Filled on first
 * use. */
#define BAD 0x80000000u
static uint32_t dq[4][256];
static int dq_ready;

static void
dq_init(void)
{
	for (int c = 0; c < 256; c++)
		for (int j = 0; j < 4; j++)
			dq[j][c] = dtab[c] < 64 ? (uint32_t)dtab[c] << (18 - 6 * j) : BAD;
	dq_ready = 1;
}

int
b64_decode_mail(const char *s, size_t n, struct buf *out, int *truncated)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint32_t acc = 0, v, be;
	int k = 0;
	unsigned char *o;

	if (truncated)
		*truncated = 0;
	if (!dq_ready)
		dq_init();
	/* one byte more than the output can take: a group is stored as four */
	if (buf_reserve(out, n / 4 * 3 + 4) < 0)
		return -1;
	/* reserved above: write straight into the buffer */
	o = (unsigned char *)out->p + out->len;
	while (p < end) {
		/* the common case: groups of four alphabet characters, up to
		 * the line break */
		if (k == 0) {
			while (end - p >= 4) {
				v = dq[0][p[0]] | dq[1][p[1]] | dq[2][p[2]] | dq[3][p[3]];
				if (v & BAD)
					break;
				be = htobe32(v << 8);
				memcpy(o, &be, 4);
				o += 3;
				p += 4;
			}
			if (p == end)
				break;
		}
		v = dtab[*p++];
		if (v == 64)
			break;		/* '=': the end of the data */
		if (v > 63)
			continue;	/* line breaks and junk */
		acc = acc << 6 | v;
		if (++k == 4) {
			*o++ = (unsigned char)(acc >> 16);
			*o++ = (unsigned char)(acc >> 8);
			*o++ = (unsigned char)acc;
			acc = 0;
			k = 0;
		}
	}
	/* A partial group: 2 chars give 1 byte, 3 give 2.  Without the '='
	 * that should close it, the input was cut short. */
	if (k >= 2) {
		acc <<= 6 * (4 - k);
		*o++ = (unsigned char)(acc >> 16);
		if (k == 3)
			*o++ = (unsigned char)(acc >> 8);
	}
	out->len = (size_t)((char *)o - out->p);
	if (truncated && (k == 1 || (k > 1 && p == end && (p == (const unsigned char *)s ||
	    p[-1] != '='))))
		*truncated = 1;
	return 0;
}
