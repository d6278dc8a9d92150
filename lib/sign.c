/* sign: see sign.h */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base64.h"
#include "buf.h"
#include "control.h"
#include "grow.h"
#include "sign.h"

struct seckey {
	EVP_PKEY *k;
};

struct seckey *
sign_load(const char *path)
{
	struct seckey *sk;
	EVP_PKEY *k;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		errno = EBADMSG;
		return NULL;
	}
	if ((sk = malloc(sizeof *sk)) == NULL) {
		EVP_PKEY_free(k);
		return NULL;
	}
	sk->k = k;
	return sk;
}

void
sign_free(struct seckey *sk)
{
	if (sk) {
		EVP_PKEY_free(sk->k);
		free(sk);
	}
}

int
sign_data(struct seckey *sk, const void *p, size_t n, unsigned char sig[SIGN_SIGLEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sl = SIGN_SIGLEN;
	int r = -1;

	if (md && EVP_DigestSignInit(md, NULL, NULL, NULL, sk->k) == 1 &&
	    EVP_DigestSign(md, sig, &sl, p, n) == 1 && sl == SIGN_SIGLEN)
		r = 0;
	EVP_MD_CTX_free(md);
	if (r < 0)
		errno = EPROTO;
	return r;
}

int
sign_public(struct seckey *sk, unsigned char pub[SIGN_PUBLEN])
{
	size_t l = SIGN_PUBLEN;

	if (EVP_PKEY_get_raw_public_key(sk->k, pub, &l) != 1 || l != SIGN_PUBLEN) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
sign_generate(const char *path, unsigned char pub[SIGN_PUBLEN])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	struct seckey sk;
	FILE *f = NULL;
	int fd, r = -1, e;

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_keygen(c, &k) != 1) {
		errno = EPROTO;
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto out;
	if ((f = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		unlink(path);
		errno = e;
		goto out;
	}
	if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(f) != 0 || fsync(fileno(f)) < 0) {
		fclose(f);
		unlink(path);
		errno = errno ? errno : EIO;
		goto out;
	}
	if (fclose(f) != 0) {
		unlink(path);
		goto out;
	}
	sk.k = k;
	r = sign_public(&sk, pub);
out:
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(c);
	return r;
}

int
sign_verify(const unsigned char pub[SIGN_PUBLEN], const void *p, size_t n,
    const unsigned char sig[SIGN_SIGLEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, SIGN_PUBLEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestVerify(md, sig, SIGN_SIGLEN, p, n) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok;
}

int
sign_parse_pubkey(const char *line, size_t n, struct pubkey *k)
{
	struct buf raw = BUF_INIT;
	size_t i = 8, s;

	memset(k, 0, sizeof *k);
	if (n < 9 || memcmp(line, "ed25519", 7) != 0 || (line[7] != ' ' && line[7] != '\t'))
		goto bad;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	s = i;
	while (i < n && line[i] != ' ' && line[i] != '\t')
		i++;
	if (b64_decode_strict(line + s, i - s, &raw) < 0 || raw.len != SIGN_PUBLEN)
		goto bad;
	memcpy(k->raw, raw.p, SIGN_PUBLEN);
	buf_free(&raw);
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < n) {
		size_t l = n - i < sizeof k->name - 1 ? n - i : sizeof k->name - 1;
		memcpy(k->name, line + i, l);
		k->name[l] = '\0';
		for (s = 0; s < l; s++)
			if ((unsigned char)k->name[s] < 0x20 || k->name[s] == 0x7f)
				k->name[s] = '?';
	}
	return 0;
bad:
	buf_free(&raw);
	errno = EBADMSG;
	return -1;
}

struct loadctx {
	struct pubkeys *ks;
	const char *file;
};

static int
addkey(void *arg, const char *line, size_t n, size_t lineno)
{
	struct loadctx *lc = arg;
	struct pubkeys *ks = lc->ks;
	struct pubkey *nv;

	(void)lineno;
	if ((nv = grow(ks->v, ks->n, &ks->cap, sizeof *nv, 4)) == NULL)
		return -1;
	ks->v = nv;
	if (sign_parse_pubkey(line, n, &ks->v[ks->n]) < 0)
		return -1;
	if (ks->v[ks->n].name[0] == '\0')
		strlcpy(ks->v[ks->n].name, lc->file, sizeof ks->v[ks->n].name);
	ks->n++;
	return 0;
}

int
pubkeys_load(const char *dir, struct pubkeys *ks, char *bad, size_t badsz)
{
	char path[PATH_MAX];
	struct loadctx lc = { ks, NULL };
	struct dirent *d;
	struct stat st;
	DIR *dd;
	int r = 0;

	memset(ks, 0, sizeof *ks);
	if ((dd = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (r == 0 && (d = readdir(dd)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, d->d_name) >= sizeof path)
			continue;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		lc.file = d->d_name;
		if ((r = control_each(path, 0, addkey, &lc)) < 0 && bad)
			strlcpy(bad, d->d_name, badsz);
	}
	closedir(dd);
	return r;
}

void
pubkeys_free(struct pubkeys *ks)
{
	free(ks->v);
	memset(ks, 0, sizeof *ks);
}
