#!/usr/bin/env bats
# lib/ole.c through t/doctool: VBA storages of OLE2 compound files renamed
# in the directory.  The documents come from t/data/active/mkole, which
# also checks the results with Debian's python3-olefile.

bats_require_minimum_version 1.5.0
load helper

MKOLE=$MS_TOP/t/data/active/mkole

setup() {
	T=$BATS_TEST_TMPDIR
}

mk() { "$MKOLE" "$1" "$T/$1"; }

# strip KIND: mkole KIND, doctool ole on it into $T/KIND.out; expects 1.
strip() {
	mk "$1"
	run -1 sh -c 'doctool ole <"$1" >"$1.out"' sh "$T/$1"
	[ -s "$T/$1.out" ]
}

@test "xls with _VBA_PROJECT_CUR: renamed, Workbook intact, only the directory changed" {
	strip xls-vba
	assert_output --partial "VBA storage _VBA_PROJECT_CUR renamed"
	run "$MKOLE" check "$T/xls-vba" "$T/xls-vba.out"
	assert_success
	[ "$(stat -c %s "$T/xls-vba")" -eq "$(stat -c %s "$T/xls-vba.out")" ]
	# The streams themselves are byte for byte the same.
	run /usr/bin/python3 -c '
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
assert a.openstream("Workbook").read() == b.openstream("Workbook").read()
assert not b.exists("_VBA_PROJECT_CUR") and b.exists("_VBA_PROJECT_CUX")
print(len(b.openstream("Workbook").read()))' "$T/xls-vba" "$T/xls-vba.out"
	assert_success
	assert_output 9000
}

@test "doc with Macros/VBA: renamed, WordDocument and 1Table intact" {
	strip doc-vba
	assert_output --partial "VBA storage Macros renamed"
	run "$MKOLE" check "$T/doc-vba" "$T/doc-vba.out"
	assert_success
	run /usr/bin/python3 -c '
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
for s in ("WordDocument", "1Table"):
    assert a.openstream(s).read() == b.openstream(s).read(), s
for p in b.listdir(storages=True):
    assert not any(c.upper() in ("MACROS", "VBA", "_VBA_PROJECT_CUR") for c in p), p
print("fine")' "$T/doc-vba" "$T/doc-vba.out"
	assert_output fine
}

@test "cmp: the stripped file differs only inside the directory sectors" {
	strip doc-vba
	# mkole puts the FAT in sector 0 and the directory from sector 1 on:
	# file offsets 1024 .. 1024 + 4 * 512.
	run cmp -l "$T/doc-vba" "$T/doc-vba.out"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do
		set -- $l
		[ "$1" -gt 1024 ] && [ "$1" -le 3072 ]
	done
}

@test "clean twins are left alone" {
	for k in xls-clean doc-clean notvba; do
		mk $k
		run -0 doctool ole <"$T/$k"
		assert_output ""
	done
}

@test "a second pass over a stripped file finds nothing" {
	for k in xls-vba doc-vba doc-lower stream; do
		strip $k
		run -0 doctool ole <"$T/$k.out"
	done
}

@test "-k keeps the whole original, named by the storage" {
	mk xls-vba
	mkdir "$T/keep"
	run -1 doctool -k "$T/keep" ole <"$T/xls-vba"
	cmp "$T/keep/1" "$T/xls-vba"
	[ "$(cat "$T/keep/1.name")" = _VBA_PROJECT_CUR ]
	[ ! -e "$T/keep/2" ]
}

@test "any case, and a lone _VBA_PROJECT stream" {
	strip doc-lower
	assert_output --partial "VBA storage macros renamed"
	run "$MKOLE" check "$T/doc-lower" "$T/doc-lower.out"
	assert_success
	strip stream
	assert_output --partial "VBA stream _VBA_PROJECT renamed"
	run "$MKOLE" check "$T/stream" "$T/stream.out"
	assert_success
}

@test "the new name fits between close siblings; no name fits: 2" {
	strip close
	run "$MKOLE" check "$T/close" "$T/close.out"
	assert_success
	run /usr/bin/python3 -c '
import olefile, sys
print(sorted(p[0] for p in olefile.OleFileIO(sys.argv[1]).listdir(storages=True) if len(p) == 1 and p[0].startswith("Macro")))' "$T/close.out"
	assert_output "['MacroR', 'MacroT', 'MacroU']"
	mk tight
	run -2 doctool ole <"$T/tight"
	assert_output --partial "Macros cannot be renamed"
}

@test "version 4 (4096-byte sectors): renamed and checked the same way" {
	for k in xls-vba-v4 doc-vba-v4; do
		strip $k
		assert_output --partial "renamed"
		run "$MKOLE" check "$T/$k" "$T/$k.out"
		assert_success
	done
	mk xls-clean-v4
	run -0 doctool ole <"$T/xls-clean-v4"
}

@test "a 4096-sector file: renamed, the 2 MB Workbook read back the same" {
	strip big
	run "$MKOLE" check "$T/big" "$T/big.out"
	assert_success
	run /usr/bin/python3 -c '
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
w = b.openstream("Workbook").read()
assert w == a.openstream("Workbook").read()
print(len(w))' "$T/big" "$T/big.out"
	assert_output $((4096 * 512))
}

@test "PowerPoint: a VBAInfo record with macros, or a VBA storage, is 2" {
	for k in ppt-vba ppt-vba-mini ppt-vba-edge ppt-vba-v4; do
		mk $k
		run -2 doctool ole <"$T/$k"
		assert_output --partial "PowerPoint document with a VBA project"
	done
	mk ppt-storage
	run -2 doctool ole <"$T/ppt-storage"
	assert_output --partial "PowerPoint document with a VBA entry _VBA_PROJECT_CUR"
	# fHasMacros 0, and no VBAInfo record at all: nothing found.
	for k in ppt-nomacros ppt-clean; do
		mk $k
		run -0 doctool ole <"$T/$k"
		assert_output ""
	done
	# olefile sees what the tests think they wrote.
	run /usr/bin/python3 -c '
import olefile, sys
o = olefile.OleFileIO(sys.argv[1])
d = o.openstream("PowerPoint Document").read()
print(len(d), d.find(bytes.fromhex("1f00ff0314000000020000040c000000")))' "$T/ppt-vba-mini"
	assert_output "3000 1500"
}

@test "hostile compound files: 3 or 4, fast, with a reason" {
	local k want
	for k in truncated-header:3 truncated-dir:3 fatloop:3 dircycle:3 selfchild:3 \
	    sectorrange:3 fatrange:3 entryrange:3 hugeshift:3 difatloop:3 \
	    bigfatloop:3 bigdir:4 pptmany:4 v3shift12:3 truncated-dir-v4:3 fatloop-v4:3 \
	    dircycle-v4:3 sectorrange-v4:3; do
		want=${k#*:}
		k=${k%:*}
		mk $k
		run -"$want" timeout 5 doctool ole <"$T/$k"
		assert_output --partial "compound file:"
	done
}

@test "a file cut inside its last sector: the directory is whole, renamed" {
	for k in truncated-mid truncated-mid-v4; do
		strip $k
		run "$MKOLE" check "$T/$k" "$T/$k.out"
		assert_success
	done
}

@test "not a compound file: 0" {
	printf 'PK\3\4 not ole at all' >"$T/zip"
	run -0 doctool ole <"$T/zip"
	: >"$T/empty"
	run -0 doctool ole <"$T/empty"
	printf '\320\317\021\340\241\261\032\341short' >"$T/short"
	run -3 doctool ole <"$T/short"
}

# Excel 4.0 (XLM) macro sheets: BIFF records in the Workbook (BIFF8) or
# Book (BIFF5) stream, written by mkole.  A macro sheet is one of the
# workbook's sheets: not taken out, the answer is 2.

# biff KIND RC WHY: doctool on mkole KIND exits RC, with WHY in its reason
biff() {
	mk "$1"
	run -"$2" --separate-stderr timeout 10 doctool ole <"$T/$1"
	assert_equal "$output" ""
	[[ $stderr == *"$3"* ]] || { echo "$1: $stderr"; return 1; }
}

@test "xls: a visible macro sheet, a very hidden one with Auto_Open, a BIFF5 Book: 2, named" {
	biff xls-xlm 2 "doctool: Excel 4 macro sheet Macro1, visible"
	# the UTF-16 name's é shows as ?
	biff xls-xlm-hidden 2 "doctool: Excel 4 macro sheet Wr?x, very hidden (name Auto_Open)"
	biff xls-xlm-biff5 2 "doctool: Excel 4 macro sheet Macro1, hidden"
	biff xls-xlm-module5 2 "doctool: Excel 5 VBA module sheet Module1, visible"
	# olefile sees the streams the tests think they wrote, with a BOF first
	run -0 /usr/bin/python3 -c '
import olefile, struct, sys
for f, s in ((sys.argv[1], "Workbook"), (sys.argv[2], "Book")):
    d = olefile.OleFileIO(f).openstream(s).read()
    t, n, v, dt = struct.unpack_from("<HHHH", d)
    print(s, hex(t), hex(v), hex(dt), len(d))' "$T/xls-xlm" "$T/xls-xlm-biff5"
	assert_line --regexp '^Workbook 0x809 0x600 0x5 [0-9]{4,}$'
	assert_line --regexp '^Book 0x809 0x500 0x5 [0-9]+$'
}

@test "xls: an Auto_Open user name alone, a BOF that contradicts its sheet's type, XLM with VBA: 2" {
	biff xls-xlm-name 2 "Excel 4 macro name auto_open_x1"
	# BoundSheet8 says worksheet, the sheet's BOF says macro sheet
	biff xls-xlm-mismatch 2 "Excel 4 macro sheet Macro1, visible"
	# a VBA storage that could be renamed: the macro sheet still wins
	biff xls-xlm-vba 2 "Excel 4 macro sheet Macro1, very hidden"
	[ ! -e "$T/keep" ]
}

@test "xls: worksheets and a chart, or a stream that is not BIFF: 0, untouched" {
	for k in xls-biff-clean xls-biff-notbof; do
		mk $k
		run -0 --separate-stderr doctool ole <"$T/$k"
		assert_output ""
		assert_equal "$stderr" ""
	done
}

@test "xls: encrypted (FilePass): 4 with its reason, unless a macro sheet's BOF shows through" {
	biff xls-filepass 4 "compound file: Workbook encrypted (FilePass): its sheets cannot be read"
	# a VBA storage beside it could be renamed, but the sheets are unread
	biff xls-filepass-vba 4 "Workbook encrypted (FilePass)"
	# BOF records are not encrypted: a macro sheet is seen all the same
	biff xls-filepass-xlm 2 "Excel 4 macro sheet in an encrypted workbook"
}

@test "xls: hostile record lengths: past the end 3, a million empty records walked, truncated 3, cut files" {
	biff xls-biff-ffff 3 "compound file: Workbook: a record runs past the end of the stream"
	biff xls-biff-truncated 3 "compound file: Workbook: a record runs past the end of the stream"
	# 4 MB of four-byte records, the macro sheet after them
	biff xls-biff-zeros 2 "Excel 4 macro sheet Macro1, visible"
	mk xls-biff-zeros-clean
	run -0 timeout 10 doctool ole <"$T/xls-biff-zeros-clean"
	# the file cut inside the Workbook's last sector: read as far as it
	# goes; the macro sheet is before the cut, a clean one ends mid-record
	biff xls-xlm-cut 2 "Excel 4 macro sheet Macro1, visible"
	biff xls-biff-clean-cut 3 "Workbook: a record runs past the end of the stream"
}

@test "what was found, by name: a VBA storage, a macro sheet, a module sheet, an Auto_Open name, both" {
	local kn
	for kn in xls-vba:ole-macro doc-vba:ole-macro xls-xlm:xlm-macro xls-xlm-biff5:xlm-macro \
	    xls-xlm-module5:ole-macro xls-xlm-name:xlm-macro xls-xlm-mismatch:xlm-macro \
	    xls-filepass-xlm:xlm-macro xls-xlm-vba:ole-macro+xlm-macro; do
		mk "${kn%%:*}"
		run --separate-stderr doctool -f ole <"$T/${kn%%:*}"
		[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
		assert_equal "${stderr_lines[-1]}" "doctool: found ${kn#*:}"
	done
	mk xls-filepass
	run -4 --separate-stderr doctool -f ole <"$T/xls-filepass"
	assert_equal "${stderr_lines[1]}" "doctool: found nothing"
}

@test "the limits: directory entries and stream bytes read lowered below a workbook make it 4; the defaults strip it" {
	mk xls-vba
	run -1 sh -c 'doctool -e 100 -t 9000 ole <"$1" >/dev/null' sh "$T/xls-vba"
	# its directory is read in sectors of four entries
	run -4 --separate-stderr doctool -e 3 ole <"$T/xls-vba"
	assert_equal "${stderr_lines[0]}" "doctool: compound file: more than 3 directory entries"
	# its Workbook stream is 9000 bytes
	run -4 --separate-stderr doctool -t 8999 ole <"$T/xls-vba"
	assert_equal "${stderr_lines[0]}" "doctool: compound file: Workbook: more than 8999 bytes read from the streams"
}

@test "xls: ms-scan-active removes a workbook with a very hidden macro sheet whole and names it xlm-macro" {
	local v
	active_site
	act() { asnobody ms-scan-active <"$1" >"$2" 2>"$2.err"; }

	mk xls-xlm-hidden
	htmlmsg attach application/vnd.ms-excel invoice.xls "$T/xls-xlm-hidden" "$T/m.eml"
	run -0 act "$T/m.eml" "$T/out"
	v=$(verdict "$T/out")
	[[ $v =~ ^active\ cleaned\ xlm-macro\ \(part\ 2\ invoice\.xls\ kept=[^\ \)]+\)\;\ action=clean$ ]]
	run -1 htmlmsg get "$T/out" "$T/gone"
	unqp "$T/out" | grep -q 'Excel 4 macro sheet Wr?x, very hidden (name Auto_Open)'
	ms-quarantine list | grep -q 'active kept xlm-macro'

	# encrypted: the message is unscanned (quarantined by default, 1),
	# the part as it came
	mk xls-filepass
	htmlmsg attach application/vnd.ms-excel locked.xls "$T/xls-filepass" "$T/e.eml"
	run -1 act "$T/e.eml" "$T/eout"
	run -0 verdict "$T/eout"
	assert_output --partial "part 2: ole-macro in a form not read: compound file: Workbook encrypted (FilePass)"
	htmlmsg get "$T/eout" "$T/e.xls"
	cmp "$T/xls-filepass" "$T/e.xls"

	# a clean workbook passes byte for byte
	mk xls-biff-clean
	htmlmsg attach application/vnd.ms-excel plain.xls "$T/xls-biff-clean" "$T/c.eml"
	run -0 act "$T/c.eml" "$T/cout"
	assert_equal "$(verdict "$T/cout")" "active clean"
	htmlmsg get "$T/cout" "$T/c.xls"
	cmp "$T/xls-biff-clean" "$T/c.xls"
}
