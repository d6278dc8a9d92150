/* doc: active content in office documents and PDFs, found and taken out
 * of a copy.  Every function here is pure (no I/O, no global state), takes
 * the decoded bytes of one attachment and is bounded by their size and by
 * struct doc_limits: a hostile document gets a defined answer, never a
 * crash, a hang or an unbounded allocation.
 *
 * Each *_strip() returns
 *	 0  nothing active found: out is untouched;
 *	 1  active content found and taken out: out holds the whole new
 *	    document, why says what was removed ("VBA project
 *	    word/vbaProject.bin");
 *	 2  active content found that cannot be taken out of the document
 *	    (inside a compressed stream, an unsupported layout): out is
 *	    untouched, why says what was found; the caller removes or holds
 *	    the whole part;
 *	-1  errno EBADMSG: the bytes are not a well-formed document of this
 *	    kind as far as it had to be read, or it is over one of the
 *	    limits (why says how), ENOTSUP: a layout this code does not read
 *	    (ZIP64, encryption, an OLE2 file over a limit), ENOMEM.
 * A document that is not of the kind at all (wrong magic) returns 0.
 * lim NULL means the defaults.  *found (found may be NULL) gets the DOC_*
 * bits of what was found: at least one with 1 and 2, none with 0 and -1.
 * The callback removed(arg, name, data, len), when not NULL, is called for
 * every part taken out (before the function returns 1), so that the
 * caller can keep it; a non-zero return from it makes the function return
 * -1 with errno as the callback left it.
 */
#ifndef MS_DOC_H
#define MS_DOC_H

#include <stddef.h>

struct buf;

typedef int (*doc_removed_fn)(void *arg, const char *name, const char *data,
    size_t len);

/* What one document may make the readers do.  Over a limit, the answer
 * is -1 (EBADMSG; ENOTSUP for OLE2), except in a PDF, where a stream is
 * searched as far as it inflated (an object stream cut short answers 2).
 * ms-scan-active(8) reads them from MS_DOC_ENTRIES, MS_DOC_PARTMAX,
 * MS_DOC_TOTALMAX, MS_DOC_RATIO and MS_DOC_DEPTH. */
struct doc_limits {
	size_t entries;	/* zip central directory entries, OLE2 directory
			 * entries, RTF groups holding an object word
			 * (100000) */
	size_t part;	/* bytes one OOXML part or one PDF stream inflates
			 * to (16 MiB) */
	size_t total;	/* bytes inflated (OOXML; PDF: object streams,
			 * and other streams apart) or read out of its
			 * streams (OLE2) for one document, all together
			 * (32 MiB) */
	size_t ratio;	/* inflated bytes per compressed byte: an OOXML part
			 * over 64 KiB, a PDF stream past its first MiB (200) */
	size_t depth;	/* nesting of OOXML XML elements and of RTF groups
			 * (1000) */
};

#define DOC_LIMITS_DEFAULT { 100000, (size_t)16 << 20, (size_t)32 << 20, 200, 1000 }

/* The most depth may be: RTF's rewriting recurses once for every two
 * levels of objects inside results. */
#define DOC_DEPTH_MAX 10000

/* *l = *lim, or the defaults when lim is NULL, with ratio 0 taken as 1
 * and depth as at most DOC_DEPTH_MAX.  The readers call it first. */
void doc_limits_get(const struct doc_limits *lim, struct doc_limits *l);

/* What was found (*found of the *_strip() functions). */
#define DOC_VBA		0x001	/* a VBA project (OOXML, OLE2, PowerPoint
				 * VBAInfo, an Excel 5 module sheet) */
#define DOC_XLM		0x002	/* an Excel 4.0 macro sheet or an Auto_Open
				 * (Close, Activate, Deactivate) name */
#define DOC_ACTIVEX	0x004	/* an ActiveX control */
#define DOC_TEMPLATE	0x008	/* OOXML relationships to remote targets:
				 * an attached template, */
#define DOC_OLELINK	0x010	/* a linked OLE object, */
#define DOC_FRAME	0x020	/* a frame of a frameset, */
#define DOC_SUBDOC	0x040	/* a subdocument */
#define DOC_REMOTE	(DOC_TEMPLATE | DOC_OLELINK | DOC_FRAME | DOC_SUBDOC)
#define DOC_OBJECT	0x080	/* an RTF embedded or linked object */
#define DOC_PDFACTION	0x100	/* a PDF action or script name, or an object
				 * stream that could not be read whole */

/* The finding names of the bits of found, in bit order, joined by '+',
 * into dst (cut short to dstsz): vba-macro (ole-macro when ole is set:
 * found in an OLE2 file), xlm-macro, activex, remote-template,
 * remote-object, remote-frame, remote-subdoc, rtf-object, pdf-action.
 * Returns dst. */
char *doc_found_names(unsigned found, int ole, char *dst, size_t dstsz);

/* Sniffers on the first bytes: zip ("PK\3\4"), OLE2 compound file
 * (D0 CF 11 E0 A1 B1 1A E1), RTF ("{\rt"), PDF ("%PDF-" in the first
 * 1024 bytes). */
int doc_is_zip(const char *p, size_t n);
int doc_is_ole(const char *p, size_t n);
int doc_is_rtf(const char *p, size_t n);
int doc_is_pdf(const char *p, size_t n);

/* OOXML (a zip holding [Content_Types].xml): the VBA parts
 * (vbaProject.bin, vbaProjectSignature*.bin, vbaData.xml, in any folder,
 * any case) are removed, with the relationships that point at them (every
 * *.rels) and their Override and Default entries in [Content_Types].xml.
 * A relationship of type attachedTemplate, oleObject, frame or
 * subDocument whose target is not a local path (a URL of any scheme but
 * a drive letter, a UNC path, a file: URL with a host) is removed too,
 * with the elements of its source part whose r:id names it
 * (w:attachedTemplate, o:OLEObject, w:sourceFileName, w:subDoc); each
 * such element goes to removed() as "PART#ID".  Every other entry is
 * copied byte for byte (local header, data, data descriptor); the
 * central directory is written anew.  An Excel 4.0 macro sheet or an
 * ActiveX control (by content type, relationship type, or, for ActiveX,
 * an activeX folder) answers 2: it cannot be cut out without editing the
 * workbook's sheet list or the document body.  A zip that is not an
 * OOXML package returns 0.  Found: DOC_VBA, DOC_XLM, DOC_ACTIVEX and the
 * DOC_REMOTE bits, each whatever the answer (a macro sheet beside a VBA
 * project: both).  Limits: entries, part, total, ratio (a part over
 * 64 KiB), depth; only the parts that must be read are inflated:
 * [Content_Types].xml, the .rels parts, the parts that lose an element,
 * and the removed parts when removed() is given. */
int ooxml_strip(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg);

/* OLE2 compound file (.doc .xls .ppt): a storage named _VBA_PROJECT_CUR,
 * Macros or VBA (any case) or a stream _VBA_PROJECT is renamed in the
 * directory to a name Office does not look for, keeping the order of the
 * directory's red-black tree; every other byte is unchanged.  removed()
 * gets the whole original document, once, named by the storage.
 * Answered 2 instead: a VBA project in a PowerPoint Document stream
 * (VBAInfo), and an Excel 4.0 macro sheet (or Excel 5 module sheet, or an
 * Auto_Open/Close/Activate/Deactivate name) in a Workbook or Book stream;
 * why names it ("Excel 4 macro sheet Macro1, very hidden").  A workbook
 * encrypted with a FilePass record is ENOTSUP unless a macro sheet's
 * plain BOF shows through (2); a BIFF record running past the end of its
 * stream is EBADMSG.  Over the whole file 2 wins over -1, -1 over 1.
 * Found: DOC_VBA (a VBA storage, VBAInfo, an Excel 5 module sheet),
 * DOC_XLM (a macro sheet, an Auto_* name).  Limits: entries (directory
 * entries, counted by directory sector) and total (the stream bytes read,
 * all together; the mini stream is read again for each stream in it),
 * both ENOTSUP. */
int ole_strip(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg);

/* RTF: every group that holds \object, \objdata, \objemb, \objlink,
 * \objautlink, \objocx, \objhtml, \objclass or \objupdate (control words
 * matched in any case) is replaced by its \result group's text if it has
 * one, else by plain text "note"; removed() gets each group's bytes.
 * Found: DOC_OBJECT.  Limits: depth (nested groups) and entries (object
 * groups), both EBADMSG. */
int rtf_strip(const char *p, size_t n, const struct doc_limits *lim,
    const char *note, struct buf *out, unsigned *found, char *why,
    size_t whylen, doc_removed_fn removed, void *arg);

/* PDF: the names /JavaScript /JS /OpenAction /AA /Launch /EmbeddedFile
 * /EmbeddedFiles /RichMedia /XFA /SubmitForm /ImportData (also written
 * with #xx escapes) are overwritten in place with a name of the same
 * length that no reader acts on, so that every offset (xref) stays right.
 * The same names inside a FlateDecode stream (object streams) cannot be
 * edited in place: 2.  Found: DOC_PDFACTION.  Limits: part, ratio (past
 * the first MiB of a stream) and total (the object streams together, and
 * the other streams together apart from them) cut an inflation short: a
 * stream is searched as far as it got, an object stream cut short
 * answers 2. */
int pdf_strip(const char *p, size_t n, const struct doc_limits *lim,
    struct buf *out, unsigned *found, char *why, size_t whylen,
    doc_removed_fn removed, void *arg);

#endif
