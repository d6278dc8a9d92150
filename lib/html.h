/* html: take the active content out of an HTML document by editing byte
 * ranges of the original; every byte not removed stays as it was.
 *
 * The scanner is an HTML5 tokenizer (WHATWG "Tokenization": data, tag,
 * attribute, comment, bogus comment, DOCTYPE, CDATA and the RAWTEXT,
 * RCDATA and PLAINTEXT states) over bytes; it has no tree builder.  What
 * a tree builder decides for the tokenizer (does <style> start RAWTEXT or,
 * inside <svg>, ordinary markup?  is <![CDATA[ a CDATA section or a bogus
 * comment?  is <noscript> raw text?) is made not to matter instead:
 *
 *   - an element whose content is raw text (style, title, textarea, xmp,
 *     noembed, noframes, noscript, plaintext) is kept only if its content
 *     reads the same as text and as markup: nothing in it but text and
 *     comments that close inside it.  Otherwise every "<" in it is
 *     removed (style, title, textarea) or its tags are (the others), so
 *     that both readings agree;
 *   - a CDATA section is kept only if it ends at the first ">" after its
 *     start (both readings end there), else its "<![CDATA[" is removed;
 *   - script, iframe and handler elements are removed with their content.
 *
 * After one pass of edits the result is scanned again, up to
 * HTML_ROUNDS times, until a pass finds nothing to do: the result is then
 * a document in which this tokenizer and a browser's see the same tokens,
 * and no token is active.  Tag and attribute names are compared after
 * dropping NUL and bytes outside ASCII (so "scr\0ipt" counts as script:
 * removing too much is safe, too little is not).
 *
 * What is active: script and handler elements; every attribute whose name
 * starts with "on"; srcdoc; an attribute whose value (character
 * references decoded, bytes up to space dropped, lower-cased) holds
 * "javascript:", "vbscript:" or "livescript:", or starts with "data:"
 * other than a data:image/ of a raster type; attributeName naming an
 * event attribute; CSS (style attributes and elements) holding
 * expression(), behavior, -moz-binding or a script URL; iframe, frame,
 * frameset, object, embed, applet, param, base, meta refresh, link
 * rel=import; with HTML_FORMS, form.  Whole elements (script, iframe,
 * handler, an unsafe style) and removed tags leave the note; removed
 * attributes leave one note before their tag.
 *
 * Tag and attribute names are compared without a namespace prefix.  A
 * document that declares XML entities (<!ENTITY) is not scanned: an XML
 * parser expands them into markup.
 *
 * The bytes must be in an ASCII-compatible encoding: html_disarm() says
 * HTML_K_CHARSET, and does nothing else, for UTF-16/32 (declared or with
 * a byte order mark), UTF-7, ISO-2022-* and HZ, in the MIME charset or in
 * a <meta> of the document.  Pure: no I/O, no global state; linear in the
 * size of the input for each round.
 */
#ifndef MS_HTML_H
#define MS_HTML_H

#include <stddef.h>

struct buf;

/* opts */
#define HTML_FORMS	0x01	/* form elements are active too */

/* what was found (the bits of *kinds) */
#define HTML_K_SCRIPT	0x0001	/* script or handler element */
#define HTML_K_HANDLER	0x0002	/* on* attribute */
#define HTML_K_URL	0x0004	/* script or data URL in an attribute */
#define HTML_K_FRAME	0x0008	/* iframe, frame, frameset */
#define HTML_K_OBJECT	0x0010	/* object, embed, applet, param */
#define HTML_K_BASE	0x0020	/* base */
#define HTML_K_REFRESH	0x0040	/* meta http-equiv=refresh */
#define HTML_K_STYLE	0x0080	/* script in CSS */
#define HTML_K_FORM	0x0100	/* form (HTML_FORMS) */
#define HTML_K_LINK	0x0200	/* link rel=import */
#define HTML_K_MARKUP	0x0400	/* raw text or CDATA that reads two ways */
#define HTML_K_CHARSET	0x0800	/* not ASCII-compatible: not scanned */
#define HTML_K_ROUNDS	0x1000	/* still active after HTML_ROUNDS passes */
#define HTML_K_ENTITY	0x2000	/* an XML entity declaration: not scanned */

#define HTML_ROUNDS 8

/* Disarm p[0..n), in MIME charset (NULL or "" when none).  Returns 0:
 * nothing active, out untouched; 1: out holds the disarmed document;
 * 2: it could not be disarmed (HTML_K_CHARSET, HTML_K_ROUNDS or
 * HTML_K_ENTITY in *kinds): the caller removes the whole part.  -1 with errno ENOMEM.
 * note[0..notelen) is plain text: it is escaped here. */
int html_disarm(const char *p, size_t n, const char *charset, unsigned opts,
    const char *note, size_t notelen, struct buf *out, unsigned *kinds);

/* Does p[0..n) look like HTML: does it start (after a byte order mark
 * and blanks) with a tag, a comment or a declaration, as a browser's
 * sniffer would see it?  For text/plain parts and attachments of unknown
 * type. */
int html_sniff(const char *p, size_t n);

/* "script", "handler", ... for one HTML_K_* bit; NULL for others. */
const char *html_kind_name(unsigned bit);

#endif
