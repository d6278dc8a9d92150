/* sign: Ed25519 keys and signatures (OpenSSL).  The private key is a PEM
 * file (PKCS#8) readable only by the stamping uid; a public key travels as
 * one line, "ed25519 BASE64 [comment]", in the trusted-keys directory. */
#ifndef MS_SIGN_H
#define MS_SIGN_H

#include <stddef.h>

#define SIGN_PUBLEN 32
#define SIGN_SIGLEN 64

struct seckey;

struct pubkey {
	unsigned char raw[SIGN_PUBLEN];
	char name[128];		/* the comment, or the file it came from */
};

struct pubkeys {
	struct pubkey *v;
	size_t n, cap;
};

/* NULL with errno (EBADMSG: not an Ed25519 private key). */
struct seckey *sign_load(const char *path);
void sign_free(struct seckey *k);
int sign_data(struct seckey *k, const void *p, size_t n, unsigned char sig[SIGN_SIGLEN]);
int sign_public(struct seckey *k, unsigned char pub[SIGN_PUBLEN]);

/* Make a new key pair: the private key into path (created 0600, never over
 * an existing file).  pub gets the public half. */
int sign_generate(const char *path, unsigned char pub[SIGN_PUBLEN]);

/* 1: sig is a good signature of p by pub; 0: it is not. */
int sign_verify(const unsigned char pub[SIGN_PUBLEN], const void *p, size_t n,
    const unsigned char sig[SIGN_SIGLEN]);

/* "ed25519 BASE64 [comment]" -> k.  -1 with errno EBADMSG. */
int sign_parse_pubkey(const char *line, size_t n, struct pubkey *k);

/* Every key line of every regular file in dir (names starting with '.'
 * skipped).  A missing directory is no keys.  -1 with errno; *bad (if not
 * NULL) names the file with a bad line. */
int pubkeys_load(const char *dir, struct pubkeys *ks, char *bad, size_t badsz);
void pubkeys_free(struct pubkeys *ks);

#endif
