/* doc: active content in office documents and PDFs, found and taken out
 * of a copy.  Every function here is pure (no I/O, no global state), takes
 * the decoded bytes of one attachment and is bounded by their size: a
 * hostile document gets a defined answer, never a crash, a hang or an
 * unbounded allocation.
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
 *	    kind as far as it had to be read (why says how), ENOTSUP: a
 *	    layout this code does not read (ZIP64, encryption), ENOMEM.
 * A document that is not of the kind at all (wrong magic) returns 0.
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
 * OOXML package returns 0. */
int ooxml_strip(const char *p, size_t n, struct buf *out, char *why,
    size_t whylen, doc_removed_fn removed, void *arg);

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
 * Streams read are bounded to four times the file's size (ENOTSUP). */
int ole_strip(const char *p, size_t n, struct buf *out, char *why,
    size_t whylen, doc_removed_fn removed, void *arg);

/* RTF: every group that holds \object, \objdata, \objemb, \objlink,
 * \objautlink, \objocx, \objhtml, \objclass or \objupdate (control words
 * matched in any case) is replaced by its \result group's text if it has
 * one, else by plain text "note"; removed() gets each group's bytes. */
int rtf_strip(const char *p, size_t n, const char *note, struct buf *out,
    char *why, size_t whylen, doc_removed_fn removed, void *arg);

/* PDF: the names /JavaScript /JS /OpenAction /AA /Launch /EmbeddedFile
 * /EmbeddedFiles /RichMedia /XFA /SubmitForm /ImportData (also written
 * with #xx escapes) are overwritten in place with a name of the same
 * length that no reader acts on, so that every offset (xref) stays right.
 * The same names inside a FlateDecode stream (object streams) cannot be
 * edited in place: 2. */
int pdf_strip(const char *p, size_t n, struct buf *out, char *why,
    size_t whylen, doc_removed_fn removed, void *arg);

#endif
