#!/usr/bin/env bats
# lib/ooxml.c through t/doctool: VBA parts taken out of OOXML zips.  The
# documents come from t/data/active/mkooxml, which also checks a stripped
# document against its original ("mkooxml check IN OUT": a valid zip, no
# VBA part, no relationship or content type naming a missing part, every
# other entry's bytes unchanged, the XML parts the original minus exactly
# the removed elements).

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
