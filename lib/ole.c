/* ole: VBA taken out of reach in OLE2 compound files ([MS-CFB]); see doc.h.
 *
 * The header, the DIFAT, the FAT and the directory are read, and only
 * the PowerPoint and Excel streams (below).  Every reachable directory entry
 * that names a VBA project (a storage _VBA_PROJECT_CUR, Macros or VBA, a
 * stream _VBA_PROJECT, matched as CFB matches names, without case) gets a
 * new name of the same length, so Office no longer finds the project, and
 * a second pass finds nothing either.  A directory is a red-black tree per
 * storage, ordered by name length, then by upper-cased UTF-16 code unit;
 * the new name is strictly between the same-length siblings just below and
 * just above the old one, so every lookup walks the tree exactly as
 * before.  Only the last one or two characters are changed; when no such
 * name fits, the answer is 2.  Nothing else in the file changes.
 *
 * Upper case is ASCII and Latin-1 (plus U+0131 and U+017F, which upper-case
 * to I and S): names outside it are compared by code unit, which can order
 * them differently from Windows only among same-length non-Latin names.
 *
 * PowerPoint (.ppt) keeps its VBA project compressed inside the
 * "PowerPoint Document" stream: a VBAInfoContainer record (type 0x03FF)
 * whose VBAInfoAtom (0x0400) has fHasMacros set points at an ExOleObjStg
 * record holding the zlib-compressed project storage.  That cannot be
 * renamed away, so a file with a PowerPoint Document stream is read
 * further: the stream (from the FAT, or the mini stream) is searched for
 * that record pair, and found there, or with a VBA storage anywhere in
 * the file, the answer is 2.  The compressed storage itself is not
 * inflated, and a project referenced by some other record is not seen.
 *
 * Excel 4.0 (XLM) macros live in macro sheets of the workbook, not in a
 * VBA storage: every Workbook (BIFF8) or Book (BIFF5) stream is read the
 * same way and its records walked (see workbook() below); a macro sheet
 * answers 2, an encrypted workbook ENOTSUP.  The most severe answer of
 * all streams wins: 2, then -1, then a VBA rename (1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "doc.h"

#define HDRLEN		512
#define NDIFHDR		109
#define DIRLEN		128
#define MAXREGSECT	0xfffffffaU
#define ENDOFCHAIN	0xfffffffeU
#define NOSTREAM	0xffffffffU

enum { T_EMPTY = 0, T_STORAGE = 1, T_STREAM = 2, T_ROOT = 5 };

struct ole {
	const unsigned char *p;
	size_t n;
	size_t ssz;		/* sector size */
	uint32_t nsect;		/* sectors (wholly or partly) in the file */
	uint32_t *fatsec;	/* the FAT's sectors */
	uint32_t nfat;
	uint32_t *dirsec;	/* the directory's sectors */
	uint32_t ndirsec;
	uint32_t nent;		/* directory entries */
	uint32_t *parent;	/* per entry: its storage, NOSTREAM if unreached */
	size_t budget;		/* stream bytes that may still be read */
	size_t maxdir;		/* directory entries (lim.entries) */
	size_t total;		/* stream bytes read in all (lim.total) */
	unsigned found;		/* DOC_* */
	char *why;
	size_t whylen;
};

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static int
fail(struct ole *o, int err, const char *what)
{
	if (o->why != NULL && o->whylen > 0)
		snprintf(o->why, o->whylen, "compound file: %s", what);
	errno = err;
	return -1;
}

/* The bytes of sector s, which must be wholly in the file; NULL if not. */
static const unsigned char *
sector(const struct ole *o, uint32_t s)
{
	size_t off;

	if (s >= o->nsect)
		return NULL;
	off = ((size_t)s + 1) * o->ssz;
	if (off > o->n || o->n - off < o->ssz)
		return NULL;
	return o->p + off;
}

/* The FAT entry of sector s into *next: -1 if the FAT does not reach. */
static int
fatnext(const struct ole *o, uint32_t s, uint32_t *next)
{
	size_t per = o->ssz / 4;
	const unsigned char *q;

	if (s / per >= o->nfat || (q = sector(o, o->fatsec[s / per])) == NULL)
		return -1;
	*next = le32(q + (s % per) * 4);
	return 0;
}

static int
header(struct ole *o)
{
	const unsigned char *h = o->p;
	unsigned major = le16(h + 26), shift = le16(h + 30);

	if (le16(h + 28) != 0xfffe)
		return fail(o, EBADMSG, "byte order mark is not FFFE");
	if ((major != 3 && major != 4) || (shift != 9 && shift != 12))
		return fail(o, EBADMSG, "unknown version or sector size");
	if (le16(h + 32) != 6)
		return fail(o, EBADMSG, "mini sector size is not 64");
	o->ssz = (size_t)1 << shift;
	if (o->n < o->ssz)
		return fail(o, EBADMSG, "truncated header");
	if ((o->n - o->ssz) / o->ssz + 1 > MAXREGSECT)
		return fail(o, ENOTSUP, "too many sectors");
	o->nsect = (uint32_t)((o->n - o->ssz + o->ssz - 1) / o->ssz);
	return 0;
}

/* The FAT's sector numbers, from the header and the DIFAT chain. */
static int
difat(struct ole *o)
{
	const unsigned char *h = o->p, *q;
	uint32_t nfat = le32(h + 44), s = le32(h + 68), ndif = le32(h + 72);
	uint32_t i, k, per = (uint32_t)(o->ssz / 4) - 1, ndone = 0;
	uint8_t *seen;

	if (nfat > o->nsect || ndif > o->nsect)
		return fail(o, EBADMSG, "more FAT or DIFAT sectors than the file holds");
	if (nfat == 0)
		return fail(o, EBADMSG, "no FAT");
	if ((o->fatsec = calloc(nfat, sizeof *o->fatsec)) == NULL)
		return -1;
	for (i = 0; i < nfat && i < NDIFHDR; i++)
		o->fatsec[i] = le32(h + 76 + 4 * i);
	if (i == nfat)
		goto done;
	if ((seen = calloc(o->nsect, 1)) == NULL)
		return -1;
	while (i < nfat) {
		if (ndone++ >= ndif || (q = sector(o, s)) == NULL || seen[s]) {
			free(seen);
			return fail(o, EBADMSG, "DIFAT chain broken, looping or out of range");
		}
		seen[s] = 1;
		for (k = 0; k < per && i < nfat; k++)
			o->fatsec[i++] = le32(q + 4 * k);
		s = le32(q + 4 * per);
	}
	free(seen);
done:
	for (i = 0; i < nfat; i++)
		if (o->fatsec[i] >= o->nsect)
			return fail(o, EBADMSG, "FAT sector out of range");
	o->nfat = nfat;
	return 0;
}

/* The directory's sector chain. */
static int
dirchain(struct ole *o)
{
	uint32_t s = le32(o->p + 48), cap = o->nsect, n = 0, per;
	uint8_t *seen;

	per = (uint32_t)(o->ssz / DIRLEN);
	if ((seen = calloc(o->nsect ? o->nsect : 1, 1)) == NULL ||
	    (o->dirsec = calloc(cap ? cap : 1, sizeof *o->dirsec)) == NULL) {
		free(seen);
		return -1;
	}
	while (s != ENDOFCHAIN) {
		if (s >= o->nsect || sector(o, s) == NULL) {
			free(seen);
			return fail(o, EBADMSG, "directory sector out of range");
		}
		if (seen[s] || n >= cap) {
			free(seen);
			return fail(o, EBADMSG, "directory chain loops");
		}
		if ((uint64_t)(n + 1) * per > o->maxdir) {
			char msg[80];

			free(seen);
			snprintf(msg, sizeof msg, "more than %zu directory entries", o->maxdir);
			return fail(o, ENOTSUP, msg);
		}
		seen[s] = 1;
		o->dirsec[n++] = s;
		if (fatnext(o, s, &s) < 0) {
			free(seen);
			return fail(o, EBADMSG, "directory sector beyond the FAT");
		}
	}
	free(seen);
	if (n == 0)
		return fail(o, EBADMSG, "no directory");
	o->ndirsec = n;
	o->nent = n * per;
	return 0;
}

static size_t
entoff(const struct ole *o, uint32_t e)
{
	size_t per = o->ssz / DIRLEN;

	return ((size_t)o->dirsec[e / per] + 1) * o->ssz + (e % per) * DIRLEN;
}

/* Name length in characters, without the terminator. */
static unsigned
namelen(const unsigned char *d)
{
	unsigned l = le16(d + 64);

	return l >= 2 ? l / 2 - 1 : 0;
}

static unsigned
upper(unsigned c)
{
	if (c >= 'a' && c <= 'z')
		return c - 0x20;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 0x20;
	if (c == 0xff)
		return 0x178;
	if (c == 0x131)
		return 'I';
	if (c == 0x17f)
		return 'S';
	return c;
}

/* Same-length names a and b (UTF-16LE, l characters), compared as CFB
 * does. */
static int
namecmp(const unsigned char *a, const unsigned char *b, unsigned l)
{
	unsigned i, x, y;

	for (i = 0; i < l; i++) {
		x = upper(le16(a + 2 * i));
		y = upper(le16(b + 2 * i));
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* Walk the directory from the root without recursion; every reachable
 * entry gets its parent storage.  An entry reached twice is a cycle. */
static int
walk(struct ole *o)
{
	uint32_t *stk, top = 0, e, par, i, sib[3];
	const unsigned char *d;
	unsigned t;
	int k;

	if ((o->parent = malloc((size_t)o->nent * sizeof *o->parent)) == NULL)
		return -1;
	for (i = 0; i < o->nent; i++)
		o->parent[i] = NOSTREAM;
	d = o->p + entoff(o, 0);
	if (d[66] != T_ROOT)
		return fail(o, EBADMSG, "first directory entry is not the root");
	/* Each entry pushes at most three: the stack holds 3 * nent + 1. */
	if ((stk = malloc(((size_t)o->nent * 3 + 1) * 2 * sizeof *stk)) == NULL)
		return -1;
	o->parent[0] = 0;
	stk[top++] = le32(d + 76);
	stk[top++] = 0;
	while (top > 0) {
		par = stk[--top];
		e = stk[--top];
		if (e == NOSTREAM)
			continue;
		if (e >= o->nent || e == 0 || o->parent[e] != NOSTREAM) {
			free(stk);
			return fail(o, EBADMSG, e >= o->nent ?
			    "directory entry out of range" : "directory tree has a cycle");
		}
		d = o->p + entoff(o, e);
		t = d[66];
		if ((t != T_STORAGE && t != T_STREAM) || le16(d + 64) > 64 ||
		    le16(d + 64) % 2 != 0) {
			free(stk);
			return fail(o, EBADMSG, "bad directory entry in the tree");
		}
		o->parent[e] = par;
		sib[0] = le32(d + 68);
		sib[1] = le32(d + 72);
		sib[2] = t == T_STORAGE ? le32(d + 76) : NOSTREAM;
		for (k = 0; k < 3; k++) {
			stk[top++] = sib[k];
			stk[top++] = k < 2 ? par : e;
		}
	}
	free(stk);
	return 0;
}

/* The entry's name as ASCII, '?' for anything else. */
static void
asciiname(const unsigned char *d, char *dst, size_t dstsz)
{
	unsigned l = namelen(d), i, c;
	size_t k = 0;

	for (i = 0; i < l && k + 1 < dstsz; i++) {
		c = le16(d + 2 * i);
		dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (dstsz > 0)
		dst[k] = '\0';
}

/* Is entry d's name want (upper-case ASCII) in any case? */
static int
named(const unsigned char *d, const char *want)
{
	unsigned l = namelen(d), i;

	if (strlen(want) != l)
		return 0;
	for (i = 0; i < l; i++)
		if (upper(le16(d + 2 * i)) != (unsigned char)want[i])
			return 0;
	return 1;
}

/* The size of the stream of entry d; -1 if it cannot be in the file. */
static int
streamsize(const struct ole *o, const unsigned char *d, size_t *size)
{
	uint32_t lo = le32(d + 120), hi = le32(d + 124);

	/* Version 3 files may hold garbage in the high half. */
	if (o->ssz == 4096 && hi != 0)
		return -1;
	if (lo > (uint64_t)o->nsect * o->ssz)
		return -1;
	*size = lo;
	return 0;
}

/* The bytes of sector s that the file holds (the last one may be cut
 * short) into *avail; NULL if none. */
static const unsigned char *
sectorpart(const struct ole *o, uint32_t s, size_t *avail)
{
	size_t off;

	if (s >= o->nsect)
		return NULL;
	off = ((size_t)s + 1) * o->ssz;
	if (off >= o->n)
		return NULL;
	*avail = o->n - off < o->ssz ? o->n - off : o->ssz;
	return o->p + off;
}

/* Up to size bytes of the FAT chain from sector s into dst, *got of them:
 * a chain cut by the end of the file ends there.  -1 if the chain breaks
 * or is longer than the file, -3 if the budget is spent. */
static int
readfat(struct ole *o, uint32_t s, size_t size, unsigned char *dst,
    size_t *got)
{
	size_t k, avail;
	uint32_t steps = 0;
	const unsigned char *q;

	*got = 0;
	if (size > o->budget)
		return -3;
	o->budget -= size;
	while (*got < size) {
		if (steps++ >= o->nsect || (q = sectorpart(o, s, &avail)) == NULL)
			return -1;
		k = size - *got < o->ssz ? size - *got : o->ssz;
		if (k > avail) {
			memcpy(dst + *got, q, avail);
			*got += avail;
			return 0;
		}
		memcpy(dst + *got, q, k);
		*got += k;
		if (*got < size && fatnext(o, s, &s) < 0)
			return -1;
	}
	return 0;
}

/* Up to size bytes of the mini stream chain from mini sector s into dst,
 * *got of them; -2 for ENOMEM, else as readfat(). */
static int
readmini(struct ole *o, uint32_t s, size_t size, unsigned char *dst,
    size_t *got)
{
	const unsigned char *root = o->p + entoff(o, 0);
	unsigned char *mini = NULL, *mfat = NULL;
	uint32_t mfs = le32(o->p + 60), nmf = le32(o->p + 64);
	size_t msize, mfsize, mgot, k;
	int r = -1;

	*got = 0;
	if (streamsize(o, root, &msize) < 0 || nmf > o->nsect)
		return -1;
	mfsize = (size_t)nmf * o->ssz;
	if ((mini = malloc(msize ? msize : 1)) == NULL ||
	    (mfat = malloc(mfsize ? mfsize : 1)) == NULL) {
		r = -2;
		goto out;
	}
	if ((r = readfat(o, le32(root + 116), msize, mini, &mgot)) < 0 ||
	    (r = readfat(o, mfs, mfsize, mfat, &mfsize)) < 0)
		goto out;
	r = -1;
	while (*got < size) {
		/* Each step takes 64 bytes of a mini stream of msize; a step
		 * into the part the end of the file cut off ends the stream. */
		if (s >= mfsize / 4 || (size_t)s >= msize / 64)
			goto out;
		if ((size_t)s >= mgot / 64)
			break;
		k = size - *got < 64 ? size - *got : 64;
		memcpy(dst + *got, mini + (size_t)s * 64, k);
		*got += k;
		s = le32(mfat + (size_t)s * 4);
	}
	r = 0;
out:
	free(mini);
	free(mfat);
	return r;
}

/* Does the PowerPoint record stream b hold a VBAInfoContainer whose
 * VBAInfoAtom says the project has macros?  Record headers are 8 bytes:
 * version and instance (2), type (2), length (4). */
static int
vbainfo(const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; len >= 24 && i <= len - 24; i++)
		if (b[i + 2] == 0xff && b[i + 3] == 0x03 &&
		    le32(b + i + 4) == 0x14 && le16(b + i + 10) == 0x0400 &&
		    le32(b + i + 12) == 0x0c && le32(b + i + 20) != 0)
			return 1;
	return 0;
}

/* The stream of entry e into *b (malloc'd, *size bytes), from the FAT or
 * the mini stream; a stream cut short by the end of the file is read as
 * far as the file goes (what is not there cannot run).  what names it in
 * the reason.  -1 with errno on failure. */
static int
readstream(struct ole *o, uint32_t e, const char *what, unsigned char **b,
    size_t *size)
{
	const unsigned char *d = o->p + entoff(o, e);
	char msg[80];
	int r;

	if (streamsize(o, d, size) < 0) {
		snprintf(msg, sizeof msg, "%s larger than the file", what);
		return fail(o, EBADMSG, msg);
	}
	if ((*b = malloc(*size ? *size : 1)) == NULL)
		return -1;
	r = *size < le32(o->p + 56) ? readmini(o, le32(d + 116), *size, *b, size) :
	    readfat(o, le32(d + 116), *size, *b, size);
	if (r == 0)
		return 0;
	free(*b);
	*b = NULL;
	if (r == -2)
		return -1;
	if (r == -3) {
		snprintf(msg, sizeof msg, "%s: more than %zu bytes read from the streams",
		    what, o->total);
		return fail(o, ENOTSUP, msg);
	}
	snprintf(msg, sizeof msg, "%s chain broken", what);
	return fail(o, EBADMSG, msg);
}

/* A PowerPoint Document stream, entry e: 2 if a VBA project is found in
 * it (or vba, a VBA entry elsewhere, is not NOSTREAM), else 0. */
static int
ppt(struct ole *o, uint32_t e, uint32_t vba)
{
	unsigned char *b;
	char name[40];
	size_t size;
	int r;

	if (vba != NOSTREAM) {
		asciiname(o->p + entoff(o, vba), name, sizeof name);
		if (o->why != NULL && o->whylen > 0)
			snprintf(o->why, o->whylen,
			    "PowerPoint document with a VBA entry %s", name);
		o->found |= DOC_VBA;
		return 2;
	}
	if (readstream(o, e, "PowerPoint Document", &b, &size) < 0)
		return -1;
	r = vbainfo(b, size);
	free(b);
	if (r && o->why != NULL && o->whylen > 0)
		snprintf(o->why, o->whylen, "PowerPoint document with a VBA "
		    "project (VBAInfo record, compressed in the stream)");
	if (r)
		o->found |= DOC_VBA;
	return r ? 2 : 0;
}

/* Excel (BIFF5 "Book", BIFF8 "Workbook"): records of type (2), length
 * (2), data.  What runs Excel 4.0 macros: a sheet whose BoundSheet8 dt is
 * 1 (macro sheet) or 6 (an Excel 5 VBA module sheet), a substream whose
 * BOF dt is 0x0040 or 0x0006, and the names Excel runs by themselves
 * (built-in Auto_Open, Auto_Close, Auto_Activate, Auto_Deactivate, or a
 * user name spelled so). */
#define BIFF_BOF	0x0809
#define BIFF_FILEPASS	0x002f
#define BIFF_SHEET	0x0085
#define BIFF_LBL	0x0018
#define BOF_MACRO	0x0040
#define BOF_MODULE	0x0006

struct xlm {
	char first[120];	/* the first finding, for why */
	size_t nsheet;		/* macro or module sheets by BoundSheet8 */
	size_t nbof;		/* macro or module substreams by BOF */
	char autoname[40];	/* the first Auto_* name */
	unsigned found;		/* DOC_XLM for macro sheets and names,
				 * DOC_VBA for module sheets */
};

/* A BIFF string of cch characters at s (at most len bytes): 8-bit
 * (wide 0) or UTF-16LE (wide 1), as ASCII into dst ('?' for the rest). */
static void
biffname(const unsigned char *s, size_t len, unsigned cch, int wide,
    char *dst, size_t dstsz)
{
	size_t k = 0, w = wide ? 2 : 1;
	unsigned i, c;

	for (i = 0; i < cch && (i + 1) * w <= len && k + 1 < dstsz; i++) {
		c = wide ? le16(s + 2 * i) : s[i];
		dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[k] = '\0';
}

/* Does the string at s (cch characters, as biffname) start with want
 * (upper-case ASCII), in any case? */
static int
biffprefix(const unsigned char *s, size_t len, unsigned cch, int wide,
    const char *want)
{
	size_t w = wide ? 2 : 1, l = strlen(want), i;

	if (cch < l || l * w > len)
		return 0;
	for (i = 0; i < l; i++)
		if (upper(wide ? le16(s + 2 * i) : s[i]) != (unsigned char)want[i])
			return 0;
	return 1;
}

/* The names Excel runs when the workbook opens, closes, or a window of it
 * is activated: built-in (index) or user names that begin so. */
static const char *const autonames[] = {
	"AUTO_OPEN", "AUTO_CLOSE", "AUTO_ACTIVATE", "AUTO_DEACTIVATE", NULL
};
static const char *const autoshown[] = {
	"Auto_Open", "Auto_Close", "Auto_Activate", "Auto_Deactivate", NULL
};

/* A Lbl record d (len bytes): an Auto_* name into x. */
static void
biff_lbl(struct xlm *x, const unsigned char *d, size_t len, int biff5)
{
	unsigned flags, cch, idx;
	const unsigned char *s;
	size_t sl;
	int wide = 0, k;

	if (len < 15 || x->autoname[0])
		return;
	flags = le16(d);
	cch = d[3];
	s = d + 14;
	sl = len - 14;
	if (!biff5) {
		wide = s[0] & 1;
		s++;
		sl--;
	}
	if (flags & 0x20) {	/* fBuiltin: the name is one index */
		if (cch < 1 || sl < 1)
			return;
		idx = s[0];
		k = idx == 0x01 ? 0 : idx == 0x02 ? 1 : idx == 0x0a ? 2 :
		    idx == 0x0b ? 3 : -1;
		if (k >= 0)
			snprintf(x->autoname, sizeof x->autoname, "%s", autoshown[k]);
		return;
	}
	for (k = 0; autonames[k]; k++)
		if (biffprefix(s, sl, cch, wide, autonames[k])) {
			biffname(s, sl, cch, wide, x->autoname, sizeof x->autoname);
			return;
		}
}

/* The finding of a substream of type dt (its BOF's): DOC_XLM for a macro
 * sheet, DOC_VBA for a module sheet, else 0. */
static unsigned
bof_found(unsigned dt)
{
	return dt == BOF_MACRO ? DOC_XLM : dt == BOF_MODULE ? DOC_VBA : 0;
}

/* Is there a BOF record of a macro or module substream at byte at?  Its
 * finding (bof_found()), or 0. */
static unsigned
biff_bofat(const unsigned char *b, size_t len, size_t at)
{
	if (at > len || len - at < 8 || le16(b + at) != BIFF_BOF ||
	    le16(b + at + 2) < 4)
		return 0;
	return bof_found(le16(b + at + 6));
}

/* A BoundSheet8 record d (len bytes), of a workbook encrypted or not:
 * lbPlyPos (4), hsState (1), dt (1), the name (cch (1), in BIFF8 a flag
 * byte, the characters). */
static void
biff_sheet(struct xlm *x, const unsigned char *b, size_t blen,
    const unsigned char *d, size_t len, int biff5, int enc)
{
	static const char *const state[] = { "visible", "hidden",
	    "very hidden", "hidden state 3" };
	char name[40] = "?";
	size_t at = biff5 ? 7 : 8;
	unsigned dt, f;

	if (len < 4)
		return;
	/* lbPlyPos is never encrypted; the rest is. */
	if (enc || len < 6) {
		if ((f = biff_bofat(b, blen, le32(d))) != 0) {
			x->nsheet++;
			x->found |= f;
			if (x->first[0] == '\0')
				snprintf(x->first, sizeof x->first, "%s sheet %s",
				    f == DOC_VBA ? "Excel 5 VBA module" : "Excel 4 macro",
				    enc ? "in an encrypted workbook" :
				    "behind a short sheet-list record");
		}
		return;
	}
	dt = d[5];
	f = dt == 1 ? DOC_XLM : dt == 6 ? DOC_VBA : biff_bofat(b, blen, le32(d));
	if (f == 0)
		return;
	x->nsheet++;
	x->found |= f;
	if (x->first[0] != '\0')
		return;
	if (len > at)
		biffname(d + at, len - at, d[6], !biff5 && (d[7] & 1), name,
		    sizeof name);
	snprintf(x->first, sizeof x->first, "%s sheet %s, %s",
	    f == DOC_VBA ? "Excel 5 VBA module" : "Excel 4 macro", name,
	    state[d[4] & 3]);
}

/* A Workbook or Book stream, entry e: 2 if it holds XLM (why says what),
 * 0 if not, -1 with ENOTSUP if it is encrypted and no macro sheet shows
 * through, EBADMSG if a record runs past the end of the stream. */
static int
workbook(struct ole *o, uint32_t e)
{
	struct xlm x = { .first = "" };
	unsigned char *b;
	const unsigned char *d;
	size_t len, i, rlen, nsheet;
	unsigned type;
	char what[40], more[80] = "", msg[120];
	int biff5, enc = 0, trunc = 0;

	asciiname(o->p + entoff(o, e), what, sizeof what);
	if (readstream(o, e, what, &b, &len) < 0)
		return -1;
	/* Not a BIFF5 or BIFF8 stream (first a BOF): Excel does not open it. */
	if (len < 8 || le16(b) != BIFF_BOF || le16(b + 2) < 4) {
		free(b);
		return 0;
	}
	biff5 = le16(b + 4) == 0x0500;
	/* Every record, whichever substream: bounded by len, each step at
	 * least 4 bytes. */
	for (i = 0; len - i >= 4; i += 4 + rlen) {
		type = le16(b + i);
		rlen = le16(b + i + 2);
		if (rlen > len - i - 4) {
			trunc = 1;
			break;
		}
		d = b + i + 4;
		switch (type) {
		case BIFF_FILEPASS:
			enc = 1;
			break;
		case BIFF_SHEET:
			biff_sheet(&x, b, len, d, rlen, biff5, enc);
			break;
		case BIFF_BOF:
			if (rlen >= 4 && bof_found(le16(d + 2)) != 0) {
				x.nbof++;
				x.found |= bof_found(le16(d + 2));
				if (x.first[0] == '\0')
					snprintf(x.first, sizeof x.first,
					    "Excel %s sheet at byte %zu of %s",
					    le16(d + 2) == BOF_MACRO ? "4 macro" :
					    "5 VBA module", i, what);
			}
			break;
		case BIFF_LBL:
			if (!enc)
				biff_lbl(&x, d, rlen, biff5);
			break;
		}
	}
	free(b);
	if (x.autoname[0] != '\0')
		x.found |= DOC_XLM;
	if (x.first[0] == '\0' && x.autoname[0] != '\0') {
		snprintf(x.first, sizeof x.first, "Excel 4 macro name %s", x.autoname);
		x.autoname[0] = '\0';
	}
	if (x.first[0] != '\0') {
		nsheet = x.nsheet > x.nbof ? x.nsheet : x.nbof;
		if (nsheet > 1)
			snprintf(more, sizeof more, " (%zu macro sheets%s%s)", nsheet,
			    x.autoname[0] ? ", name " : "", x.autoname);
		else if (x.autoname[0] != '\0')
			snprintf(more, sizeof more, " (name %s)", x.autoname);
		if (o->why != NULL && o->whylen > 0)
			snprintf(o->why, o->whylen, "%s%s", x.first, more);
		o->found |= x.found;
		return 2;
	}
	if (trunc) {
		snprintf(msg, sizeof msg, "%s: a record runs past the end of the stream", what);
		return fail(o, EBADMSG, msg);
	}
	if (enc) {
		snprintf(msg, sizeof msg, "%s encrypted (FilePass): its sheets cannot be read", what);
		return fail(o, ENOTSUP, msg);
	}
	return 0;
}

/* Is entry d one that names a VBA project? */
static int
isvba(const unsigned char *d)
{
	if (d[66] == T_STORAGE)
		return named(d, "_VBA_PROJECT_CUR") || named(d, "MACROS") ||
		    named(d, "VBA");
	return d[66] == T_STREAM && named(d, "_VBA_PROJECT");
}

/* The characters a new name may use, most wanted first. */
static const char alpha[] =
    "X_0123456789ZYWVUTSRQPONMLKJIHGFEDCBA#$%&'()*+,-.;<=>?@[]^`{|}~\"";

/* Does name x (l characters) lie strictly between lo and hi (either may be
 * NULL: unbounded)? */
static int
between(const unsigned char *x, const unsigned char *lo,
    const unsigned char *hi, unsigned l)
{
	return (lo == NULL || namecmp(lo, x, l) < 0) &&
	    (hi == NULL || namecmp(x, hi, l) < 0);
}

/* A new name for entry e into name (as many bytes as the old one); its
 * siblings in the same tree are sibs[0..nsib).  0 done, 2 no name fits.
 * The VBA names differ in length, so the new names of other entries
 * (compared only with same-length siblings) never matter here. */
static int
newname(const struct ole *o, uint32_t e, const uint32_t *sibs, uint32_t nsib,
    unsigned char *name)
{
	const unsigned char *d = o->p + entoff(o, e);
	const unsigned char *lo = NULL, *hi = NULL, *s;
	unsigned l = namelen(d), a, b;
	uint32_t i;
	int c;

	for (i = 0; i < nsib; i++) {
		if (sibs[i] == e)
			continue;
		s = o->p + entoff(o, sibs[i]);
		if (namelen(s) != l)
			continue;
		c = namecmp(s, d, l);
		if (c == 0)
			return 2;	/* two entries of one name */
		if (c < 0 && (lo == NULL || namecmp(s, lo, l) > 0))
			lo = s;
		if (c > 0 && (hi == NULL || namecmp(s, hi, l) < 0))
			hi = s;
	}
	if (l == 0)
		return 2;
	memcpy(name, d, 2 * l);
	for (a = 0; alpha[a]; a++) {
		if (upper((unsigned char)alpha[a]) == upper(le16(d + 2 * (l - 1))))
			continue;
		name[2 * (l - 1)] = (unsigned char)alpha[a];
		name[2 * (l - 1) + 1] = 0;
		if (between(name, lo, hi, l))
			goto found;
	}
	if (l >= 2)
		for (a = 0; alpha[a]; a++) {
			if (upper((unsigned char)alpha[a]) == upper(le16(d + 2 * (l - 2))))
				continue;
			name[2 * (l - 2)] = (unsigned char)alpha[a];
			name[2 * (l - 2) + 1] = 0;
			for (b = 0; alpha[b]; b++) {
				name[2 * (l - 1)] = (unsigned char)alpha[b];
				name[2 * (l - 1) + 1] = 0;
				if (between(name, lo, hi, l))
					goto found;
			}
		}
	return 2;
found:
	return 0;
}

static int
strip(struct ole *o, struct buf *out, doc_removed_fn removed, void *arg)
{
	uint32_t *start = NULL, *kids = NULL, *ren = NULL, e, i, k, nvba = 0;
	uint32_t first = NOSTREAM;
	const unsigned char *d;
	unsigned char *names = NULL, *w;
	char name[40];
	int r = -1, bad = 0;

	for (e = 1; e < o->nent; e++)
		if (o->parent[e] != NOSTREAM && isvba(o->p + entoff(o, e))) {
			if (nvba++ == 0)
				first = e;
		}
	if (nvba > 0)
		o->found |= DOC_VBA;
	/* 2 over -1 over 1: a part that cannot be read is not called
	 * cleaned, one that is removed whole need not be read. */
	for (e = 1; e < o->nent; e++) {
		if (o->parent[e] == NOSTREAM || o->p[entoff(o, e) + 66] != T_STREAM)
			continue;
		d = o->p + entoff(o, e);
		if (named(d, "POWERPOINT DOCUMENT"))
			r = ppt(o, e, first);
		else if (named(d, "WORKBOOK") || named(d, "BOOK"))
			r = workbook(o, e);
		else
			continue;
		if (r == 2)
			return 2;
		if (r < 0 && errno != EBADMSG && errno != ENOTSUP)
			return -1;
		if (r < 0)
			bad = errno;
	}
	if (bad != 0) {
		errno = bad;
		return -1;
	}
	if (nvba == 0)
		return 0;
	r = -1;
	/* Each storage's children, grouped by a counting sort on parent. */
	if ((start = calloc((size_t)o->nent + 1, sizeof *start)) == NULL ||
	    (kids = malloc((size_t)o->nent * sizeof *kids)) == NULL ||
	    (ren = malloc((size_t)nvba * sizeof *ren)) == NULL ||
	    (names = malloc((size_t)nvba * 64)) == NULL)
		goto out;
	for (e = 1; e < o->nent; e++)
		if (o->parent[e] != NOSTREAM)
			start[o->parent[e] + 1]++;
	for (i = 0; i < o->nent; i++)
		start[i + 1] += start[i];
	/* start[p] walks to the end of p's children; then shifted back. */
	for (e = 1; e < o->nent; e++)
		if (o->parent[e] != NOSTREAM)
			kids[start[o->parent[e]]++] = e;
	for (i = o->nent; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;
	/* Every new name first: out stays untouched unless all fit. */
	for (e = 1, k = 0; e < o->nent; e++) {
		if (o->parent[e] == NOSTREAM || !isvba(o->p + entoff(o, e)))
			continue;
		i = o->parent[e];
		ren[k] = e;
		if (newname(o, e, kids + start[i], start[i + 1] - start[i],
		    names + 64 * (size_t)k++) != 0) {
			asciiname(o->p + entoff(o, e), name, sizeof name);
			if (o->why != NULL && o->whylen > 0)
				snprintf(o->why, o->whylen,
				    "VBA %s %s cannot be renamed in order",
				    o->p[entoff(o, e) + 66] == T_STREAM ? "stream" : "storage", name);
			r = 2;
			goto out;
		}
	}
	/* The outermost VBA entry names what was taken out. */
	for (e = first; o->parent[e] != 0; e = o->parent[e])
		if (isvba(o->p + entoff(o, o->parent[e])))
			first = o->parent[e];
	asciiname(o->p + entoff(o, first), name, sizeof name);
	if (o->why != NULL && o->whylen > 0)
		snprintf(o->why, o->whylen, nvba > 1 ?
		    "VBA %s %s renamed (%" PRIu32 " VBA entries in all)" :
		    "VBA %s %s renamed", o->p[entoff(o, first) + 66] == T_STREAM ?
		    "stream" : "storage", name, nvba);
	if (removed != NULL && removed(arg, name, (const char *)o->p, o->n) != 0)
		goto out;
	if (buf_add(out, o->p, o->n) < 0)
		goto out;
	w = (unsigned char *)out->p + out->len - o->n;
	for (k = 0; k < nvba; k++)
		memcpy(w + entoff(o, ren[k]), names + 64 * (size_t)k,
		    2 * namelen(o->p + entoff(o, ren[k])));
	r = 1;
out:
	free(start);
	free(kids);
	free(ren);
	free(names);
	return r;
}

int
doc_is_ole(const char *p, size_t n)
{
	return n >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0;
}

int
ole_strip(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg)
{
	struct ole o = { .p = (const unsigned char *)p, .n = n, .why = why,
	    .whylen = whylen };
	struct doc_limits l;
	int r;

	if (found)
		*found = 0;
	if (!doc_is_ole(p, n))
		return 0;
	doc_limits_get(lim, &l);
	o.maxdir = l.entries;
	/* Stream reads (PowerPoint, Excel) are bounded in all. */
	o.budget = o.total = l.total;
	if (n < HDRLEN) {
		fail(&o, EBADMSG, "truncated header");
		return -1;
	}
	r = header(&o);
	if (r == 0)
		r = difat(&o);
	if (r == 0)
		r = dirchain(&o);
	if (r == 0)
		r = walk(&o);
	if (r == 0)
		r = strip(&o, out, removed, arg);
	if (found && (r == 1 || r == 2))
		*found = o.found;
	free(o.fatsec);
	free(o.dirsec);
	free(o.parent);
	return r;
}
