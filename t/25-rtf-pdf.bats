#!/usr/bin/env bats
# lib/rtf.c and lib/pdf.c through t/doctool: RTF object groups replaced,
# PDF action names disarmed in place.  The documents come from
# t/data/active/mkrtfpdf, which also writes the RTF it expects back
# (KIND.expect) and lists the active names left in a PDF (mkrtfpdf names).
# The PDFs are checked with Debian's qpdf.

bats_require_minimum_version 1.5.0
load helper

MK=$MS_TOP/t/data/active/mkrtfpdf

setup() {
	T=$BATS_TEST_TMPDIR
}

mk() { "$MK" "$1" "$T/$1"; }

# strip KIND [DOCTOOL-OPTIONS]: mk KIND, doctool on it into $T/KIND.out;
# expects 1 and a non-empty result.
strip() {
	local k=$1 kind=${1%%-*}
	shift
	mk "$k"
	run -1 sh -c 'f=$1 kind=$2; shift 2; timeout 20 doctool "$@" "$kind" <"$f" >"$f.out"' \
	    sh "$T/$k" "$kind" "$@"
	[ -s "$T/$k.out" ]
}

# clean KIND: doctool leaves KIND alone: 0, nothing on stdout or stderr.
clean() {
	local kind=${1%%-*}
	mk "$1"
	run -0 --separate-stderr doctool "$kind" <"$T/$1"
	[ -z "$output" ] && [ -z "$stderr" ]
}

@test "rtf: object with objdata and a result: the result's text stays, the group is kept" {
	mkdir "$T/kept"
	strip rtf-object -k "$T/kept"
	assert_output "doctool: 1 RTF object removed"
	cmp "$T/rtf-object.out" "$T/rtf-object.expect"
	run cat "$T/kept/1.name"
	assert_output '\object'
	# The whole group, as it was in the document.
	grep -q '^{\\object\\objemb.*{\\\*\\objdata 0105.*the table\\par}}}$' "$T/kept/1"
	[ ! -e "$T/kept/2" ]
}

@test "rtf: two objects, one without a result: both replaced, in order" {
	mkdir "$T/kept"
	strip rtf-two -k "$T/kept"
	assert_output "doctool: 2 RTF objects removed"
	cmp "$T/rtf-two.out" "$T/rtf-two.expect"
	grep -q 'objemb' "$T/kept/1" && grep -q 'objlink' "$T/kept/2"
}

@test "rtf: object without a result becomes the note" {
	strip rtf-noresult
	cmp "$T/rtf-noresult.out" "$T/rtf-noresult.expect"
	! grep -qi 'objdata\|objemb\|0105000002' "$T/rtf-noresult.out"
}

@test "rtf: the note is escaped for RTF" {
	strip rtf-noresult -n 'a\b {c} é'
	grep -qF "{a\\\\b \\{c\\} \\'c3\\'a9}" "$T/rtf-noresult.out"
}

@test "rtf: obfuscations: whitespace in the hex, capitals, a bare objdata group, \\bin with braces" {
	for k in rtf-ws rtf-caps rtf-objdata rtf-bin; do
		strip "$k"
		cmp "$T/$k.out" "$T/$k.expect"
		! grep -qi 'objdata\|\\object' "$T/$k.out"
	done
}

@test "rtf: an object inside a result: the outer result stays, the inner object goes" {
	strip rtf-nested
	assert_output "doctool: 1 RTF object removed"
	cmp "$T/rtf-nested.out" "$T/rtf-nested.expect"
}

@test "rtf: an object group that never closes: removed to the end, the braces closed" {
	strip rtf-unclosed
	cmp "$T/rtf-unclosed.out" "$T/rtf-unclosed.expect"
	run /usr/bin/python3 -c '
import sys; d = open(sys.argv[1], "rb").read()
print(d.count(b"{") - d.count(b"\\{"), d.count(b"}") - d.count(b"\\}"))' "$T/rtf-unclosed.out"
	assert_output "5 5"
}

@test "rtf: the clean twin and every stripped result: 0, no output" {
	clean rtf-clean
	for k in rtf-object rtf-two rtf-ws rtf-bin rtf-nested rtf-unclosed; do
		mk "$k"
		run -0 --separate-stderr doctool rtf <"$T/$k.expect"
		[ -z "$output" ] && [ -z "$stderr" ]
	done
}

@test "rtf: sniffed on {\\rt, not otherwise; a document of another kind is left alone" {
	run -0 sh -c 'printf "{\\\\rtvpn x}" | doctool sniff'
	assert_output rtf
	run -0 sh -c 'printf "{\\\\object\\\\objdata 01}" | doctool rtf'
	assert_output ""
}

@test "rtf hostile: unbalanced braces, 100000 nested groups, \\bin with a huge count" {
	clean rtf-unbalanced
	mk rtf-deep
	run -3 timeout 10 doctool rtf <"$T/rtf-deep"
	assert_output --partial "nested deeper than the depth limit"
	# \bin is bounded by the input: the rest of the input is its data, so
	# the objdata group runs to the end and goes, closed.
	strip rtf-binhuge
	cmp "$T/rtf-binhuge.out" "$T/rtf-binhuge.expect"
}

@test "rtf: the limits: nesting and object groups lowered below a document make it 3; found names rtf-object" {
	mk rtf-two
	run -1 --separate-stderr sh -c 'doctool -f -e 4 -d 4 rtf <"$1" >/dev/null' sh "$T/rtf-two"
	assert_equal "${stderr_lines[1]}" "doctool: found rtf-object"
	# {\rtf1 {\object {\result {\rtlch}}}}: 4 deep
	run -3 --separate-stderr doctool -d 3 rtf <"$T/rtf-two"
	assert_equal "${stderr_lines[0]}" "doctool: RTF: groups nested deeper than the depth limit"
	# an object group and its objdata group count each: 4
	run -3 --separate-stderr doctool -e 3 rtf <"$T/rtf-two"
	assert_equal "${stderr_lines[0]}" "doctool: RTF: more object groups than the entries limit"
	mk rtf-clean
	run -0 --separate-stderr doctool -f rtf <"$T/rtf-clean"
	assert_equal "$stderr" "doctool: found nothing"
}

@test "rtf: 10 MB of text around one object" {
	strip rtf-big
	cmp "$T/rtf-big.out" "$T/rtf-big.expect"
}

# pdfcheck KIND NAMES: KIND stripped to the same size; only the first byte
# of each disarmed name changed (to Z); qpdf --check accepts the result as
# it accepted the input; no active name left, in the file nor in qpdf's
# QDF form of it; the why line lists NAMES.
pdfcheck() {
	local k=$1 f=$T/$1
	strip "$k"
	assert_output "doctool: PDF $2 disarmed"
	[ "$(stat -c %s "$f")" -eq "$(stat -c %s "$f.out")" ]
	run "$MK" names "$f"
	[ -n "$output" ]
	run "$MK" names "$f.out"
	assert_output ""
	run sh -c 'cmp -l "$1" "$2" | awk "\$3 != 132 { bad++ } END { print NR, bad + 0 }"' sh "$f" "$f.out"
	assert_output "$3 0"
	run -0 qpdf --check "$f"
	run -0 qpdf --check "$f.out"
	run -0 qpdf --qdf --object-streams=disable "$f.out" "$f.qdf"
	run "$MK" names "$f.qdf"
	assert_output ""
	run -0 --separate-stderr doctool pdf <"$f.out"
	assert_output ""
}

@test "pdf: /OpenAction to a /JavaScript action: disarmed in place" {
	pdfcheck pdf-openaction "/OpenAction /JavaScript /JS" 3
	# The string that mentions /OpenAction is untouched.
	grep -q 'app.alert\\(1\\); /OpenAction in a string' "$T/pdf-openaction.out"
	grep -q '/ZpenAction 6 0 R' "$T/pdf-openaction.out"
	grep -q '/S /ZavaScript /ZS (' "$T/pdf-openaction.out"
}

@test "pdf: an inline /OpenAction dictionary" {
	pdfcheck pdf-inline "/OpenAction /JavaScript /JS" 3
}

@test "pdf: a page's /AA" {
	pdfcheck pdf-aa "/AA /JavaScript /JS" 3
}

@test "pdf: names written with #xx escapes (/J#61vaScript, /J#53)" {
	pdfcheck pdf-hex "/OpenAction /JavaScript /JS" 3
	grep -q '/S /Z#61vaScript /Z#53 (' "$T/pdf-hex.out"
}

@test "pdf: /Launch" {
	pdfcheck pdf-launch "/OpenAction /Launch" 2
}

@test "pdf: /EmbeddedFiles and an /EmbeddedFile stream" {
	pdfcheck pdf-embedded "/EmbeddedFiles /EmbeddedFile" 2
}

@test "pdf: removed() keeps the whole original document once" {
	mkdir "$T/kept"
	strip pdf-openaction -k "$T/kept"
	cmp "$T/kept/1" "$T/pdf-openaction"
	run cat "$T/kept/1.name"
	assert_output /JavaScript
	[ ! -e "$T/kept/2" ]
}

@test "pdf: /JavaScript inside a FlateDecode object stream: 2, nothing written" {
	mk pdf-objstm
	run -0 qpdf --check "$T/pdf-objstm"
	run -2 --separate-stderr doctool pdf <"$T/pdf-objstm"
	assert_output ""
	[[ $stderr == *"inside a compressed stream"* ]]
}

@test "pdf: an object stream in a filter we do not decode: 2" {
	mk pdf-a85objstm
	run -2 --separate-stderr doctool pdf <"$T/pdf-a85objstm"
	assert_output ""
	[[ $stderr == *"object stream with /ASCII85Decode not decoded"* ]]
}

@test "pdf: the clean twin, and names only in strings, comments and content: 0, no output" {
	clean pdf-clean
	run -0 qpdf --check "$T/pdf-clean"
	clean pdf-strings
	run -0 qpdf --check "$T/pdf-strings"
}

@test "pdf hostile: unterminated string, truncated stream, lying /Length" {
	clean pdf-unterminated
	strip pdf-truncated
	[ "$(stat -c %s "$T/pdf-truncated")" -eq "$(stat -c %s "$T/pdf-truncated.out")" ]
	# The /Length points past the end: the body ends at endstream, and the
	# action after the stream is still found.
	strip pdf-badlength
	run "$MK" names "$T/pdf-badlength.out"
	assert_output ""
}

@test "pdf hostile: zlib bombs: a content stream is searched as far as the cap, an object stream past it is 2" {
	mk pdf-bomb-content
	run -0 timeout 10 doctool pdf <"$T/pdf-bomb-content"
	assert_output ""
	mk pdf-bomb
	run -2 timeout 10 doctool pdf <"$T/pdf-bomb"
	assert_output --partial "PDF object stream"
}

@test "pdf: a FlateDecode object stream cut short by the part or total limit is 2, pdf-action; the defaults read it, clean" {
	mk pdf-objstm-clean
	run -0 qpdf --check "$T/pdf-objstm-clean"
	run -0 --separate-stderr doctool -f pdf <"$T/pdf-objstm-clean"
	assert_equal "$stderr" "doctool: found nothing"
	run -2 --separate-stderr doctool -f -p 16 pdf <"$T/pdf-objstm-clean"
	assert_equal "$stderr" "doctool: PDF object stream that does not inflate in full"$'\n'"doctool: found pdf-action"
	run -2 --separate-stderr doctool -t 16 pdf <"$T/pdf-objstm-clean"
	assert_equal "$stderr" "doctool: PDF object stream that does not inflate in full"
	# an action found: pdf-action, stripped or not
	mk pdf-openaction
	run -1 --separate-stderr sh -c 'doctool -f pdf <"$1" >/dev/null' sh "$T/pdf-openaction"
	assert_equal "${stderr_lines[1]}" "doctool: found pdf-action"
	mk pdf-objstm
	run -2 --separate-stderr doctool -f pdf <"$T/pdf-objstm"
	assert_equal "${stderr_lines[1]}" "doctool: found pdf-action"
}

@test "pdf: the other streams have a total of their own: 3 MiB of page content spends none of the object streams' MS_DOC_TOTALMAX" {
	mk pdf-objstm-images
	run -0 qpdf --check "$T/pdf-objstm-images"
	# the content stream is cut at the 1 MiB total and searched that far;
	# the object stream after it is read whole all the same
	run -0 --separate-stderr doctool -f -t 1048576 pdf <"$T/pdf-objstm-images"
	assert_equal "$stderr" "doctool: found nothing"
	# the object streams' own total still binds
	run -2 --separate-stderr doctool -t 16 pdf <"$T/pdf-objstm-images"
	assert_equal "$stderr" "doctool: PDF object stream that does not inflate in full"
}
