#!/usr/bin/env bats
# lib/ooxml.c through t/doctool: VBA parts taken out of OOXML zips.  The
# documents come from t/data/active/mkooxml, which also checks a stripped
# document against its original ("mkooxml check IN OUT": a valid zip, no
# VBA part, no relationship or content type naming a missing part, every
# other entry's bytes unchanged, the XML parts the original minus exactly
# the removed elements, every XML part well-formed, every r:id naming a
# relationship, no remote template, OLE link, frame or subdocument left).

bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	MK="$MS_TOP/t/data/active/mkooxml"
}

mk() { /usr/bin/python3 "$MK" "$1" "$T/$1.zip"; }

# entry ZIP NAME: the decompressed bytes of one entry, on stdout
entry() {
	/usr/bin/python3 -c 'import sys, zipfile
sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"
}

# strip KIND: doctool on it, kept parts in $T/keep; the result in $T/KIND.out
strip() {
	mk "$1"
	mkdir -p "$T/keep"
	run -1 --separate-stderr doctool -k "$T/keep" ooxml <"$T/$1.zip"
	doctool ooxml <"$T/$1.zip" >"$T/$1.out" 2>/dev/null || [ $? -eq 1 ]
	/usr/bin/python3 "$MK" check "$T/$1.zip" "$T/$1.out"
}

# kept NAME: the file doctool -k wrote for the part NAME
kept() {
	local f
	for f in "$T"/keep/*.name; do
		if [ "$(cat "$f")" = "$1" ]; then
			echo "${f%.name}"
			return 0
		fi
	done
	echo "no kept part named $1" >&2
	return 1
}

@test "ooxml: a .docm loses its VBA project, vbaData.xml and their relationships" {
	strip docm
	[[ $stderr == *"VBA project word/vbaProject.bin"*removed* ]]
	entry "$T/docm.zip" word/vbaProject.bin >"$T/vba.orig"
	cmp "$T/vba.orig" "$(kept word/vbaProject.bin)"
	entry "$T/docm.zip" word/vbaData.xml >"$T/data.orig"
	cmp "$T/data.orig" "$(kept word/vbaData.xml)"
	kept word/_rels/vbaProject.bin.rels
	run -0 doctool ooxml <"$T/docm.out"
	[ -z "$output" ]
}

@test "ooxml: an .xlsm and a .pptm lose theirs" {
	strip xlsm
	[[ $stderr == *"VBA project xl/vbaProject.bin removed"* ]]
	entry "$T/xlsm.zip" xl/vbaProject.bin >"$T/vba.orig"
	cmp "$T/vba.orig" "$(kept xl/vbaProject.bin)"
	rm -rf "$T/keep"
	strip pptm
	[[ $stderr == *"VBA project ppt/vbaProject.bin removed"* ]]
	entry "$T/pptm.zip" ppt/vbaProject.bin >"$T/vba.orig"
	cmp "$T/vba.orig" "$(kept ppt/vbaProject.bin)"
}

@test "ooxml: a .docx carrying a vbaProject.bin under a macro-free content type" {
	strip docx-vba
	entry "$T/docx-vba.zip" word/vbaProject.bin >"$T/vba.orig"
	cmp "$T/vba.orig" "$(kept word/vbaProject.bin)"
}

@test "ooxml: the clean twins are left alone" {
	for k in docm-clean xlsm-clean pptm-clean docx-vba-clean notooxml; do
		mk $k
		run -0 --separate-stderr doctool ooxml <"$T/$k.zip"
		[ -z "$output" ]
		[ -z "$stderr" ]
	done
}

@test "ooxml: stored entries, data descriptors and a zip comment are copied as they were" {
	strip docm-stored
	strip docm-dd
	# the comment survives
	tail -c 13 "$T/docm-stored.out" | cmp - <(printf 'a zip comment')
	# a kept entry with a data descriptor is the same bytes, descriptor included
	/usr/bin/python3 - "$T/docm-dd.zip" "$T/docm-dd.out" <<'PY'
import sys, zipfile
a, b = (open(f, "rb").read() for f in sys.argv[1:3])
za, zb = (zipfile.ZipFile(f) for f in sys.argv[1:3])
ia, ib = za.getinfo("word/styles.xml"), zb.getinfo("word/styles.xml")
n = 30 + len(ia.filename) + ia.compress_size + 16
assert ia.flag_bits & 8 and a[ia.header_offset:ia.header_offset + n] == b[ib.header_offset:ib.header_offset + n]
PY
}

@test "ooxml: names in any case, %-escaped, with backslashes; XML in any quoting, prefixes, comments" {
	strip tricky
	strip tricky-stored
	# the external hyperlink named vbaProject.bin stays, the internal one goes
	entry "$T/tricky.out" word/_rels/document.xml.rels >"$T/rels"
	grep -q 'TargetMode="External"' "$T/rels"
	run -1 grep -c 'rId2\|rId4' "$T/rels"
	# the commented-out Override is still there, byte for byte
	entry "$T/tricky.out" '[Content_Types].xml' | grep -q '<!-- <Override PartName="/word/x.xml"/> -->'
}

@test "ooxml: VBA parts known only by content type or relationship type" {
	strip bydefault
	[[ $stderr == *"xl/macros.dat removed"* ]]
	strip byrel
	[[ $stderr == *"xl/stuff.dat removed"* ]]
}

@test "ooxml: 10,000 entries" {
	strip many
	mk manydup
	run -3 timeout 20 doctool ooxml <"$T/manydup.zip"
}

@test "ooxml: each limit lowered below a document makes it 3 with its reason; the defaults strip it" {
	mk docm
	mk docm-bigvba
	run -1 --separate-stderr doctool ooxml <"$T/docm-bigvba.zip"
	# entries: the docm has 9
	run -1 --separate-stderr doctool -e 9 ooxml <"$T/docm.zip"
	run -3 --separate-stderr doctool -e 8 ooxml <"$T/docm.zip"
	assert_equal "${stderr_lines[0]}" "doctool: zip: more entries than the entries limit"
	# part: its vbaProject.bin inflates to 2109 bytes
	run -1 --separate-stderr doctool -p 2109 ooxml <"$T/docm.zip"
	run -3 --separate-stderr doctool -p 2108 ooxml <"$T/docm.zip"
	assert_equal "${stderr_lines[0]}" "doctool: zip: a part that inflates past the part limit"
	# total: all parts read, 133181 of them the big vbaProject.bin
	run -1 --separate-stderr doctool -t 140000 ooxml <"$T/docm-bigvba.zip"
	run -3 --separate-stderr doctool -t 133181 ooxml <"$T/docm-bigvba.zip"
	assert_equal "${stderr_lines[0]}" "doctool: zip: parts that inflate past the total limit"
	# ratio: 133181 bytes from 75277, over 64 KiB
	run -1 --separate-stderr doctool -r 2 ooxml <"$T/docm-bigvba.zip"
	run -3 --separate-stderr doctool -r 1 ooxml <"$T/docm-bigvba.zip"
	assert_equal "${stderr_lines[0]}" "doctool: zip: a part that inflates past the ratio limit"
	# the small docm's parts are under 64 KiB: no ratio for them
	run -1 --separate-stderr doctool -r 1 ooxml <"$T/docm.zip"
	# depth: the document.xml that loses its o:OLEObject is 7 deep
	mk docx-oleobject-unc
	run -1 --separate-stderr doctool -d 7 ooxml <"$T/docx-oleobject-unc.zip"
	run -3 --separate-stderr doctool -d 6 ooxml <"$T/docx-oleobject-unc.zip"
	assert_equal "${stderr_lines[0]}" "doctool: zip: XML nested deeper than the depth limit"
}

@test "ooxml: what was found, by name: VBA, each remote relationship, macro sheets, ActiveX, several" {
	local kn
	for kn in docm:vba-macro docx-vba:vba-macro bydefault:vba-macro \
	    docx-template-https:remote-template docx-oleobject-unc:remote-object \
	    docm-template-https:vba-macro+remote-template \
	    docx-remote-hostile:remote-template+remote-frame+remote-subdoc \
	    xlsm-xlm:xlm-macro xlsb-xlm:xlm-macro docx-activex:activex docx-activex-byrel:activex; do
		mk "${kn%%:*}"
		run --separate-stderr doctool -f ooxml <"$T/${kn%%:*}.zip"
		[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
		assert_equal "${stderr_lines[-1]}" "doctool: found ${kn#*:}"
	done
	# nothing found, nothing named
	mk docm-clean
	run -0 --separate-stderr doctool -f ooxml <"$T/docm-clean.zip"
	assert_equal "$stderr" "doctool: found nothing"
}

@test "ooxml: hostile zips get EBADMSG (3) or ENOTSUP (4)" {
	for kc in truncated:3 cdoutside:3 overlap:3 mismatch:3 hidden:3 bomb:3 doctype:3 upath:3 \
	    zip64:4 zip64extra:4 encrypted:4; do
		k=${kc%:*}
		mk "$k"
		run -"${kc#*:}" --separate-stderr timeout 20 doctool ooxml <"$T/$k.zip"
		[ -z "$output" ] || { echo "$k wrote a document"; false; }
	done
}

@test "ooxml: the zip sniffer" {
	mk docm
	run -0 doctool sniff <"$T/docm.zip"
	[ "$output" = zip ]
}

# two KIND: doctool answers 2 (found, cannot be taken out), writes nothing,
# keeps nothing; its reason in $stderr
two() {
	mk "$1"
	rm -rf "$T/keep"
	mkdir -p "$T/keep"
	run -2 --separate-stderr doctool -k "$T/keep" ooxml <"$T/$1.zip"
	[ -z "$output" ]
	[ -z "$(ls "$T/keep")" ]
}

@test "ooxml: an Excel 4.0 macro sheet run by Auto_Open answers 2, named" {
	two xlsm-xlm
	assert_equal "$stderr" "doctool: Excel 4.0 (XLM) macro sheet xl/macrosheets/sheet1.xml"
	# the generator made what it says: the sheet, its Auto_Open name
	entry "$T/xlsm-xlm.zip" xl/workbook.xml | grep -q '_xlnm.Auto_Open.*Macro1!\$A\$1'
	# known only by its relationship type, in any case, under a worksheet content type
	two xlsx-xlm-byrel
	assert_equal "$stderr" "doctool: Excel 4.0 (XLM) macro sheet xl/worksheets/sheet2.xml"
	# international macro sheet by a Default content type, in odd case
	two xlsm-intl-default
	assert_equal "$stderr" "doctool: Excel 4.0 (XLM) macro sheet xl/sheets/m.xlm"
	# the .xlsb binary macro sheet content type
	two xlsb-xlm
	assert_equal "$stderr" "doctool: Excel 4.0 (XLM) macro sheet xl/macrosheets/sheet1.bin"
}

@test "ooxml: an ActiveX control answers 2, by folder, content type or relationship type" {
	two docx-activex
	[[ $stderr == "doctool: ActiveX control word/activeX/activeX"* ]]
	two docx-activex-byrel
	[[ $stderr == "doctool: ActiveX control word/ctl/activeX1."* ]]
}

@test "ooxml: a remote attachedTemplate goes with its w:attachedTemplate; both kept" {
	strip docx-template-https
	assert_equal "$stderr" "doctool: remote template https://evil.example/templates/invoice.dotm in word/_rels/settings.xml.rels removed"
	entry "$T/docx-template-https.out" word/settings.xml >"$T/settings.xml"
	run -1 grep -c attachedTemplate "$T/settings.xml"
	grep -q '<w:zoom w:percent="100"/><w:defaultTabStop' "$T/settings.xml"
	grep -q 'Target="https://evil.example/templates/invoice.dotm"' "$(kept 'word/_rels/settings.xml.rels#rId1')"
	grep -qx '<w:attachedTemplate r:id="rId1"/>' "$(kept 'word/settings.xml#rId1')"
	# nothing else taken out, and the result is clean
	[ "$(ls "$T/keep" | wc -l)" -eq 4 ]
	run -0 --separate-stderr doctool ooxml <"$T/docx-template-https.out"
	[ -z "$output" ]
	# the same in a .docm: the VBA project and the template both go
	strip docm-template-https
	[[ $stderr == *"VBA project word/vbaProject.bin and 2 more parts removed; remote template https://evil.example/t.dotm in word/_rels/settings.xml.rels removed" ]]
}

@test "ooxml: local templates and local OLE links stay: exit 0, nothing written" {
	local k
	for k in docx-template-local docx-oleobject-local $(seq -f 'docx-template-local%g' 0 6); do
		mk "$k"
		run -0 --separate-stderr doctool ooxml <"$T/$k.zip"
		[ -z "$output" ] || { echo "$k: wrote a document"; false; }
		[ -z "$stderr" ] || { echo "$k: $stderr"; false; }
	done
}

@test "ooxml: a linked OLE object on a UNC path goes; the shape and the hyperlink stay" {
	strip docx-oleobject-unc
	assert_equal "$stderr" 'doctool: remote OLE object \\evil.example\share\payload.doc in word/_rels/document.xml.rels removed'
	entry "$T/docx-oleobject-unc.out" word/document.xml >"$T/doc.xml"
	run -1 grep -c 'OLEObject\|LinkType' "$T/doc.xml"
	grep -q '<w:object><v:shape id="_x0000_i1025"[^>]*/></w:object>' "$T/doc.xml"
	grep -q '<w:hyperlink r:id="rId10">' "$T/doc.xml"
	entry "$T/docx-oleobject-unc.out" word/_rels/document.xml.rels | grep -q 'Id="rId10"[^>]*hyperlink'
	kept 'word/document.xml#rId9' | xargs grep -q '^<o:OLEObject Type="Link".*</o:OLEObject>$'
}

@test "ooxml: remote targets in every disguise go, local ones stay" {
	local i
	for i in $(seq 0 13); do
		strip "docx-template-remote$i"
		[[ $stderr == "doctool: remote template "*" in word/_rels/settings.xml.rels removed" ]]
	done
}

@test "ooxml: hostile remote relationships: odd case, entities, blanks, single quotes, prefixes, frames, subdocuments" {
	local k
	for k in docx-remote-hostile docx-remote-hostile-stored; do
		rm -rf "$T/keep"
		strip "$k"
		# control bytes and entities never reach the reason
		[[ $stderr == "doctool: remote template https://evil.example/t&x.dotm in word/_rels/settings.xml.rels removed; remote frame mhtml:http://evil.example/x.mht!x in word/_rels/webSettings.xml.rels removed;"* ]]
		run -1 grep -c $'[\x01-\x1f]' <<<"$stderr"
		entry "$T/$k.out" word/_rels/settings.xml.rels >"$T/srels"
		grep -q 'Id="rIdH"' "$T/srels"
		grep -q 'Id="rIdL"' "$T/srels"
		run -1 grep -c rIdT "$T/srels"
		# the element with rel:id goes, an attribute value that only looks like an Id stays
		entry "$T/$k.out" word/settings.xml >"$T/settings"
		run -1 grep -c attachedTemplate "$T/settings"
		grep -q "w:val='rIdT'" "$T/settings"
		entry "$T/$k.out" word/webSettings.xml | grep -q '<w:frameset><w:frame></w:frame><w:frame></w:frame></w:frameset>'
		entry "$T/$k.out" word/_rels/document.xml.rels >"$T/drels"
		run -1 grep -c 'rId20\|rId21' "$T/drels"
		grep -q 'Id="rId22"' "$T/drels"
		# 2 settings + 2 frames (rels and element each) + 2 subdocuments
		[ "$(ls "$T"/keep/*.name | wc -l)" -eq 8 ]
	done
}

@test "ooxml: ms-scan-active strips a remote template from an attachment, leaves a local one byte for byte, removes a macro sheet whole; each named for what it was" {
	local v
	active_site
	act() { asnobody ms-scan-active <"$1" >"$2" 2>"$2.err"; }

	mk docx-template-https
	htmlmsg attach application/vnd.openxmlformats-officedocument.wordprocessingml.document \
	    invoice.docx "$T/docx-template-https.zip" "$T/m.eml"
	run -0 act "$T/m.eml" "$T/out"
	v=$(verdict "$T/out")
	[[ $v =~ ^active\ cleaned\ remote-template\ \(part\ 2\ invoice\.docx\ kept=[^\ \)]+\)\;\ action=clean$ ]]
	htmlmsg get "$T/out" "$T/s.docx"
	/usr/bin/python3 "$MK" check "$T/docx-template-https.zip" "$T/s.docx"
	ms-quarantine list | grep -q 'active kept remote-template from part 2'

	mk docx-template-local
	htmlmsg attach application/octet-stream letter.docx "$T/docx-template-local.zip" "$T/l.eml"
	run -0 act "$T/l.eml" "$T/lout"
	assert_equal "$(verdict "$T/lout")" "active clean"
	htmlmsg get "$T/lout" "$T/l.docx"
	cmp "$T/docx-template-local.zip" "$T/l.docx"

	mk xlsm-xlm
	htmlmsg attach application/octet-stream book.xlsm "$T/xlsm-xlm.zip" "$T/x.eml"
	run -0 act "$T/x.eml" "$T/xout"
	v=$(verdict "$T/xout")
	[[ $v =~ ^active\ cleaned\ xlm-macro\ \(part\ 2\ book\.xlsm\ kept=[^\ \)]+\)\;\ action=clean$ ]]
	run -1 htmlmsg get "$T/xout" "$T/gone"
	unqp "$T/xout" | grep -q 'was removed: Excel 4.0 (XLM) macro sheet xl/macrosheets/sheet1.xml'
}
